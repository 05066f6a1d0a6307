// The two messages `edgeha report` sends between agents over the reliable channel: a request
// for a member's part of a report, and the part it answers with. They are handled by the agent
// (the controller has no part in them) and validated here like every controller message: shape,
// sizes and counts, anything else is dropped.
import type { ReportPart } from "./report";
import { PART_BYTES_MAX } from "./report";

export type ReportMessage =
  | { t: "report-request"; requestId: number; fromSeconds: number }
  | { t: "report-part"; requestId: number; part: ReportPart };

const FILES_MAX = 512;
const NAME_LENGTH_MAX = 200;
const PROBLEMS_MAX = 64;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The message if it is a valid report message, undefined if it is some other message, a string naming the problem if it is a broken one. */
export function parseReportMessage(value: unknown): ReportMessage | string | undefined {
  if (!isObject(value) || (value.t !== "report-request" && value.t !== "report-part")) return undefined;
  if (!Number.isSafeInteger(value.requestId) || (value.requestId as number) < 0) return `${value.t}: requestId must be a non-negative integer`;
  if (value.t === "report-request") {
    if (typeof value.fromSeconds !== "number" || !Number.isFinite(value.fromSeconds) || value.fromSeconds < 0) return "report-request: fromSeconds must be a time in seconds";
    return { t: "report-request", requestId: value.requestId as number, fromSeconds: value.fromSeconds };
  }
  const part = value.part;
  if (!isObject(part) || typeof part.node !== "string" || part.node.length > NAME_LENGTH_MAX || !Array.isArray(part.files) || !Array.isArray(part.problems)) return "report-part: part needs node, files and problems";
  if (part.files.length > FILES_MAX || part.problems.length > PROBLEMS_MAX) return `report-part: more than ${FILES_MAX} files or ${PROBLEMS_MAX} problems`;
  let bytes = 0;
  for (const file of part.files as unknown[]) {
    if (!isObject(file) || typeof file.name !== "string" || typeof file.content !== "string" || (file.encoding !== "utf8" && file.encoding !== "base64")) return "report-part: every file needs name, encoding (utf8 or base64) and content";
    if (file.name.length > NAME_LENGTH_MAX || file.name.includes("..") || file.name.startsWith("/")) return `report-part: file name '${file.name.slice(0, 40)}' is not a plain relative name`;
    bytes += file.content.length;
  }
  if (bytes > PART_BYTES_MAX * 2) return "report-part: larger than a part may be";
  if (!(part.problems as unknown[]).every((problem) => typeof problem === "string" && problem.length < 1000)) return "report-part: problems must be short strings";
  return { t: "report-part", requestId: value.requestId as number, part: part as unknown as ReportPart };
}
