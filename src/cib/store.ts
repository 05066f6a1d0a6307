// Durable CIB storage in the state directory. Each version is written to a
// temporary file, fsynced, renamed to cib-<sequence>.json, and the directory is
// fsynced, so a crash at any moment leaves either the new file whole or no new
// file at all. The newest 11 files are kept (the current one and 10 backups).
// Loading verifies each file's digest, newest first; if the newest is damaged the
// store falls back to the newest valid one and says so in `warnings` (the agent
// logs them loudly). An empty directory is reported as such, never papered over.
// Every file-system call goes through a port (node:fs by default): the simulator runs this
// store over its in-memory directory, where a write can tear and a power loss can undo a rename.
import { readBoundedText } from "../common/bounded-read";
import { nodeFileSystem, type FileSystemPort } from "../common/fs-port";
import path from "node:path";
import { EdgehaError } from "../common/errors";
import { writeFileDurably } from "../common/durable";
import type { Logger } from "../common/log";
import { emptyCib, type Cib } from "./model";
import { cibDigest, formatVersion } from "./version";
import { checkedLineage, type CibLineage } from "./lineage";

export const BACKUPS_KEPT = 10;
const FILE_PATTERN = /^cib-(\d{12})\.json$/;
const CONFLICT_PATTERN = /^conflict-[0-9.]+-[0-9a-f]+\.json$/;
/** Copies of configurations that lost a conflict, kept beside the CIB files. */
export const CONFLICTS_KEPT = 10;
/** A stored CIB is the configuration (at most CIB_LIMITS.textLengthMax as input) written with indentation and a digest: 64 MiB is far beyond any. */
const STORED_FILE_BYTES_MAX = 64 * 1024 * 1024;

interface StoredFile {
  format: "edgeha-cib/1";
  digest: string;
  cib: Cib;
  /** Where the copy comes from and the newest acknowledged change this node knows (src/cib/lineage.ts); absent in files written before lineages. */
  lineage?: CibLineage;
}

export interface LoadResult {
  /** undefined when the directory holds no CIB yet. */
  cib: Cib | undefined;
  /** The lineage stored with `cib` (checked; the copy alone when the file has none). */
  lineage?: CibLineage;
  file: string | undefined;
  warnings: string[];
}

/** What `open` found: a stored CIB, a backup after damage, or an empty state directory. */
export interface OpenResult {
  cib: Cib;
  lineage?: CibLineage;
  /** True when the directory held no CIB and `cib` is a new, empty one. */
  created: boolean;
  file: string | undefined;
  warnings: string[];
}

export class CibStore {
  /** Warnings about damaged files are also logged here, at error level, when a logger is given. */
  /** `fs`: the file system (node:fs by default; the simulator's in-memory one in src/sim/disk.ts). */
  constructor(readonly directory: string, private readonly logger?: Logger, private readonly fs: FileSystemPort = nodeFileSystem) {}

  private files(): Array<{ name: string; sequence: number }> {
    let names: string[];
    try {
      names = this.fs.readdirSync(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw new EdgehaError("E_CIB_STORE", `cannot read the state directory ${this.directory}: ${(error as Error).message}`);
    }
    return names
      .map((name) => ({ name, match: FILE_PATTERN.exec(name) }))
      .filter((entry) => entry.match)
      .map((entry) => ({ name: entry.name, sequence: Number(entry.match![1]) }))
      .sort((left, right) => right.sequence - left.sequence);
  }

  /** Writes a new version durably; returns the file written. */
  save(cib: Cib, lineage?: CibLineage): string {
    this.fs.mkdirSync(this.directory, { recursive: true, mode: 0o700 });
    const sequence = (this.files()[0]?.sequence ?? 0) + 1;
    const name = `cib-${String(sequence).padStart(12, "0")}.json`;
    const stored: StoredFile = { format: "edgeha-cib/1", digest: cibDigest(cib), cib, ...(lineage ? { lineage } : {}) };
    writeFileDurably(path.join(this.directory, name), JSON.stringify(stored), { mode: 0o600, fs: this.fs });
    this.prune();
    return path.join(this.directory, name);
  }

  /**
   * Keeps a copy of the configuration that lost a conflict (same version, other contents) as
   * conflict-<version>-<digest>.json beside the CIB files, so nothing acknowledged is ever
   * gone without a trace; the newest CONFLICTS_KEPT such files are kept. Returns the file.
   */
  keepConflict(cib: Cib): string {
    this.fs.mkdirSync(this.directory, { recursive: true, mode: 0o700 });
    const digest = cibDigest(cib);
    const name = `conflict-${formatVersion(cib.version)}-${digest.slice(0, 16)}.json`;
    const stored: StoredFile = { format: "edgeha-cib/1", digest, cib };
    writeFileDurably(path.join(this.directory, name), JSON.stringify(stored), { mode: 0o600, fs: this.fs });
    const conflicts = this.fs.readdirSync(this.directory).filter((each) => CONFLICT_PATTERN.test(each));
    if (conflicts.length > CONFLICTS_KEPT) {
      const byAge = conflicts.map((each) => ({ each, ms: this.fs.statSync(path.join(this.directory, each)).mtimeMs })).sort((left, right) => right.ms - left.ms);
      for (const old of byAge.slice(CONFLICTS_KEPT)) if (old.each !== name) this.fs.unlinkSync(path.join(this.directory, old.each));
    }
    return path.join(this.directory, name);
  }

  private prune(): void {
    for (const file of this.files().slice(BACKUPS_KEPT + 1)) this.fs.unlinkSync(path.join(this.directory, file.name));
    for (const name of this.fs.readdirSync(this.directory)) {
      // Temporary files of writers that died before their rename.
      if (name.startsWith(".cib-") && name.endsWith(".tmp") && !name.includes(`.${this.fs.processTag}.`)) {
        try {
          this.fs.unlinkSync(path.join(this.directory, name));
        } catch {
          // Another process removed it first.
        }
      }
    }
  }

  /** Loads the newest valid version, falling back over damaged files. */
  load(): LoadResult {
    const warnings: string[] = [];
    for (const file of this.files()) {
      const full = path.join(this.directory, file.name);
      const problem = this.check(full);
      if (typeof problem === "string") {
        warnings.push(`CIB file ${full} is damaged (${problem}); falling back to an older version`);
        continue;
      }
      if (warnings.length > 0) warnings.push(`loaded CIB version ${formatVersion(problem.cib.version)} from backup ${full}`);
      for (const warning of warnings) this.logger?.error({ directory: this.directory }, warning);
      return { cib: problem.cib, lineage: checkedLineage(problem.cib, problem.lineage), file: full, warnings };
    }
    if (warnings.length > 0) {
      throw new EdgehaError("E_CIB_STORE", `no valid CIB in ${this.directory}: ${warnings.join("; ")}`);
    }
    return { cib: undefined, file: undefined, warnings };
  }

  /**
   * Like `load`, but an empty state directory gives a new empty CIB, explicitly:
   * `created` is true and a warning says so (a first start, or a lost directory).
   */
  open(): OpenResult {
    const { cib, lineage, file, warnings } = this.load();
    if (cib) return { cib, ...(lineage ? { lineage } : {}), created: false, file, warnings };
    const message = `no CIB in ${this.directory}: starting with a new, empty CIB`;
    this.logger?.warn({ directory: this.directory }, message);
    return { cib: emptyCib(), created: true, file: undefined, warnings: [message] };
  }

  private check(file: string): StoredFile | string {
    let stored: StoredFile;
    try {
      stored = JSON.parse(readBoundedText(file, STORED_FILE_BYTES_MAX, { readCode: "E_CIB_STORE", tooLargeCode: "E_CIB_STORE", what: "stored CIB" }, this.fs)) as StoredFile;
    } catch (error) {
      return `unreadable: ${(error as Error).message}`;
    }
    if (stored?.format !== "edgeha-cib/1" || typeof stored.digest !== "string" || typeof stored.cib !== "object") return "not an edgeha CIB file";
    if (cibDigest(stored.cib) !== stored.digest) return "digest mismatch";
    return stored;
  }
}
