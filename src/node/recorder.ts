// The flight recorder: the DC keeps each scheduler input (the CIB with its status section and
// the time the scheduler was handed) together with the graph it gave and the reason it ran,
// gzip-compressed, one file each, like Pacemaker's pe-input-N files. The series are bounded
// by the cluster properties pe-input-series-max, pe-warn-series-max and pe-error-series-max
// (0: keep none; -1, "unlimited", is capped at SERIES_CAP_MAX here). `edgeha simulate
// --input FILE` replays one; `edgeha history` lists them.
import { gunzipSync, gzipSync } from "node:zlib";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { parseNativeCib, type Cib } from "../cib";
import { clusterOptionsAt } from "../scheduler";
import { EdgehaError } from "../common/errors";
import type { ScheduledAction, TransitionGraph } from "../scheduler";

export const RECORD_FORMAT = "edgeha-scheduler-input";
export const RECORD_VERSION = 1;
/** "Unlimited" (-1) still stops here, so the state directory cannot fill the disk. */
export const SERIES_CAP_MAX = 10_000;
/** A recorded input larger than this (compressed) is refused when read. */
export const RECORD_BYTES_MAX = 32 * 1024 * 1024;
const SERIES_DEFAULTS = { input: 4000, warn: 5000, error: -1 } as const;

export type Series = "input" | "warn" | "error";

/** One scheduler run of the DC, as stored. */
export interface RecordedInput {
  format: typeof RECORD_FORMAT;
  version: typeof RECORD_VERSION;
  transition: number;
  dc: string;
  /** The wall clock the scheduler was handed (seconds), which a replay hands it again. */
  nowSeconds: number;
  reason: string;
  cib: Cib;
  graph: { actions: ScheduledAction[]; operations: TransitionGraph["operations"] };
  /** The steps the controller compiled from the graph, as the log shows them. */
  steps: string[];
}

export interface RecordListing {
  file: string;
  series: Series;
  sequence: number;
  transition: number;
  dc: string;
  nowSeconds: number;
  reason: string;
  actions: number;
  steps: string[];
}

const NAME = /^pe-(input|warn|error)-(\d+)\.json\.gz$/;

/** Which series a run goes to: fencing or an unclean node is a warning, as in Pacemaker's pe-warn files. */
export function seriesOf(graph: Pick<TransitionGraph, "actions">): Series {
  return graph.actions.some((action) => action.action === "fence") ? "warn" : "input";
}

function seriesMax(cib: Cib, series: Series): number {
  const raw = clusterOptionsAt(cib, { now: Math.floor(Date.now() / 1000) }).options.raw[`pe-${series}-series-max`];
  const value = raw === undefined || !/^-?\d+$/.test(raw.trim()) ? SERIES_DEFAULTS[series] : Number(raw);
  return value < 0 ? SERIES_CAP_MAX : Math.min(value, SERIES_CAP_MAX);
}

export function encodeRecord(record: RecordedInput): Buffer {
  return gzipSync(Buffer.from(JSON.stringify(record)), { level: 6 });
}

/** Reads a recorded input, checking its size, format and CIB; a bad file is E_RECORD_INPUT naming it. */
export function readRecord(file: string): RecordedInput {
  let bytes: Buffer;
  try {
    if (statSync(file).size > RECORD_BYTES_MAX) throw new EdgehaError("E_RECORD_INPUT", `${file} is larger than ${RECORD_BYTES_MAX} bytes: not a recorded scheduler input`);
    bytes = readFileSync(file);
  } catch (error) {
    if (error instanceof EdgehaError) throw error;
    throw new EdgehaError("E_RECORD_INPUT", `cannot read ${file}: ${(error as Error).message}`);
  }
  let value: Partial<RecordedInput>;
  try {
    value = JSON.parse(gunzipSync(bytes, { maxOutputLength: RECORD_BYTES_MAX * 8 }).toString("utf8")) as Partial<RecordedInput>;
  } catch (error) {
    throw new EdgehaError("E_RECORD_INPUT", `${file} is not a gzip-compressed JSON scheduler input (${(error as Error).message})`);
  }
  if (value.format !== RECORD_FORMAT || value.version !== RECORD_VERSION) throw new EdgehaError("E_RECORD_INPUT", `${file} is not an edgeha scheduler input of version ${RECORD_VERSION} (format ${String(value.format)}, version ${String(value.version)})`);
  if (typeof value.nowSeconds !== "number" || typeof value.transition !== "number" || !value.graph || !Array.isArray(value.graph.actions)) throw new EdgehaError("E_RECORD_INPUT", `${file} lacks its time, transition or graph`);
  const cib = parseNativeCib(JSON.stringify(value.cib), `${file} (cib)`);
  return { ...(value as RecordedInput), cib };
}

/** The recorder's files in one directory, oldest first within each series. */
export function listRecords(directory: string): Array<{ file: string; series: Series; sequence: number }> {
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch {
    return [];
  }
  const files: Array<{ file: string; series: Series; sequence: number }> = [];
  for (const name of names) {
    const match = NAME.exec(name);
    if (match) files.push({ file: path.join(directory, name), series: match[1] as Series, sequence: Number(match[2]) });
  }
  // Plain code-unit order: localeCompare would load ICU's collation data (~1.7 MiB) into the agent.
  return files.sort((left, right) => (left.series < right.series ? -1 : left.series > right.series ? 1 : left.sequence - right.sequence));
}

export type DurableWriter = (file: string, data: Uint8Array) => void;

export class InputRecorder {
  private readonly next: Record<Series, number> = { input: 0, warn: 0, error: 0 };

  constructor(readonly directory: string, private readonly write: DurableWriter) {
    for (const entry of listRecords(directory)) this.next[entry.series] = Math.max(this.next[entry.series], entry.sequence + 1);
  }

  /** Stores one run and drops the oldest of its series beyond the series' maximum; returns the file, or undefined when the series keeps none. */
  save(record: RecordedInput): string | undefined {
    const series = seriesOf(record.graph);
    const max = seriesMax(record.cib, series);
    if (max === 0) return undefined;
    mkdirSync(this.directory, { recursive: true, mode: 0o700 });
    const sequence = this.next[series]++;
    const file = path.join(this.directory, `pe-${series}-${sequence}.json.gz`);
    this.write(file, encodeRecord(record));
    for (const entry of listRecords(this.directory)) if (entry.series === series && entry.sequence <= sequence - max) rmSync(entry.file, { force: true });
    return file;
  }
}

/** What `edgeha history` lists: every recorded run, oldest first by transition, with its reason. */
export function historyOf(directory: string): RecordListing[] {
  const listing: RecordListing[] = [];
  for (const entry of listRecords(directory)) {
    try {
      const record = readRecord(entry.file);
      listing.push({ file: entry.file, series: entry.series, sequence: entry.sequence, transition: record.transition, dc: record.dc, nowSeconds: record.nowSeconds, reason: record.reason, actions: record.graph.actions.length, steps: record.steps ?? [] });
    } catch {
      // A file the recorder did not finish or that was damaged is left out of the list.
    }
  }
  return listing.sort((left, right) => left.nowSeconds - right.nowSeconds || left.transition - right.transition);
}
