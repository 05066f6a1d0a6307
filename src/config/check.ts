// Pure validation: config text in, every problem (with its position) and the fully
// defaulted config out. No file is read here; load.ts adds the file-system checks.
import { LineCounter, parseDocument, type Node as YamlNode } from "yaml";
import { EdgehaError } from "../common/errors";
import { DEFAULT_AUTHKEY_PATH, DEFAULT_CRYPTO, DEFAULT_LOCK_MEMORY, DEFAULT_LOG_LEVEL, DEFAULT_REALTIME_PRIORITY, DEFAULT_SOCKET_PATH, DEFAULT_STATE_DIR, DEFAULT_TRANSPORT_PORT } from "./defaults";
import { ProblemList, SourcePositions, formatProblem, sortProblems } from "./problems";
import { type DraftConfig, readDraft, TIMING_FIELDS, TIMING_KEYS } from "./read";
import { checkRules, effectiveLastManStandingWindowMs, effectiveTiming } from "./rules";
import type { BootstrapConfig, ConfigCheck, ConfigProblem } from "./types";
import { YamlReader } from "./yaml-reader";

/** Checks config text; `fileName` only names the file in the result. Never throws on bad input. */
export function checkConfigText(text: string, fileName: string): ConfigCheck {
  const positions = new SourcePositions();
  const problems = new ProblemList(positions);
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const reader = new YamlReader(document, lineCounter, problems, positions);
  for (const error of document.errors) problems.error("", yamlMessage(error.code, error.message), reader.positionOfOffset(error.pos[0]));
  for (const warning of document.warnings) problems.warning("", yamlMessage(warning.code, warning.message), reader.positionOfOffset(warning.pos[0]));
  // After a syntax error the document is a guess; reading it would only add confusing problems.
  const syntaxBroken = document.errors.some((error) => error.code !== "DUPLICATE_KEY");
  if (!syntaxBroken) {
    const draft = readDraft(reader, (document.contents as YamlNode | null) ?? null);
    checkRules(draft, problems, positions);
    if (!problems.hasErrors()) {
      return { fileName, problems: sortProblems(problems.problems), config: finalize(draft), positions };
    }
  }
  return { fileName, problems: sortProblems(problems.problems), config: undefined, positions };
}

/** Parses config text into a BootstrapConfig, or throws E_CONFIG_INVALID listing every error. */
export function parseConfig(text: string, fileName: string): BootstrapConfig {
  return configOrThrow(checkConfigText(text, fileName));
}

/** The config of a check, or E_CONFIG_INVALID whose message lists every error as FILE:LINE:COLUMN: message. */
export function configOrThrow(check: ConfigCheck): BootstrapConfig {
  if (check.config) return check.config;
  const errors = check.problems.filter((problem) => problem.severity === "error");
  const lines = errors.map((problem) => formatProblem(check.fileName, problem));
  throw new EdgehaError("E_CONFIG_INVALID", `${check.fileName} is not a valid edgeha config (${errors.length} ${errors.length === 1 ? "error" : "errors"}):\n${lines.join("\n")}`, {
    problems: check.problems,
  });
}

export function warningsOf(check: ConfigCheck): ConfigProblem[] {
  return check.problems.filter((problem) => problem.severity === "warning");
}

function yamlMessage(code: string, message: string): string {
  // This one names a function of the yaml package; say it in the reader's words.
  if (code === "MULTIPLE_DOCS") return "YAML: the file holds several documents (separated by '---'); a config is one document";
  // The parser ran out of stack: nesting no config needs (a config is 4 levels deep).
  if (/call stack/i.test(message)) return "YAML: nested far deeper than a config ever is; edgeha stops reading here";
  // The yaml package appends "at line L, column C" plus a source excerpt; we print our own position.
  return `YAML: ${message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "")}`;
}

/** Applies the documented defaults; only called when the draft has no error. */
function finalize(draft: DraftConfig): BootstrapConfig {
  const nodes = (draft.nodes ?? []).map((node) => ({ name: node.name!, id: node.id!, links: node.links!.map((link) => link.text) }));
  const twoNode = draft.quorum.twoNode ?? nodes.length === 2;
  return {
    clusterName: draft.clusterName!,
    configVersion: draft.configVersion ?? 0,
    transport: { port: draft.transport.port ?? DEFAULT_TRANSPORT_PORT, crypto: draft.transport.crypto ?? DEFAULT_CRYPTO },
    nodes,
    quorum: {
      expectedVotes: draft.quorum.expectedVotes ?? nodes.length,
      twoNode,
      waitForAll: draft.quorum.waitForAll ?? twoNode,
      lastManStanding: draft.quorum.lastManStanding ?? false,
      lastManStandingWindowMs: effectiveLastManStandingWindowMs(draft),
      autoTieBreaker: draft.quorum.autoTieBreaker ?? false,
      autoTieBreakerNode: draft.quorum.autoTieBreakerNode ?? { kind: "lowest" },
      arbiter: draft.quorum.arbiter,
    },
    timing: effectiveTiming(draft.timing),
    timingWritten: TIMING_KEYS.filter((key) => draft.timing[TIMING_FIELDS[key]] !== undefined),
    paths: {
      authkey: draft.paths.authkey ?? DEFAULT_AUTHKEY_PATH,
      stateDir: draft.paths.stateDir ?? DEFAULT_STATE_DIR,
      socket: draft.paths.socket ?? DEFAULT_SOCKET_PATH,
    },
    metrics: { listen: draft.metrics.listen },
    logging: { level: draft.logging.level ?? DEFAULT_LOG_LEVEL },
    system: { realtimePriority: draft.system.realtimePriority ?? DEFAULT_REALTIME_PRIORITY, lockMemory: draft.system.lockMemory ?? DEFAULT_LOCK_MEMORY },
    ...(draft.watchdog.device ? { watchdog: { device: draft.watchdog.device, timeoutSeconds: draft.watchdog.timeoutSeconds, sbdDevices: draft.watchdog.sbdDevices ?? [], sbdStartMode: draft.watchdog.sbdStartMode ?? "always" } } : {}),
  };
}
