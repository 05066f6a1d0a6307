// The two messages `edgeha report` sends between agents over the reliable channel: a request
// for a member's part of a report, and the part it answers with. They are handled by the agent
// (the controller has no part in them) and validated here like every controller message: shape,
// sizes and counts, anything else is dropped.
//
// A member's part (up to PART_BYTES_MAX of files) is cut into several report-part messages
// (index 0, 1, ...; the last says so), none larger than REPORT_MESSAGE_BYTES_MAX on the wire:
// a file larger than a piece travels as several pieces, each after the first marked
// `continues`. The reliable channel keeps them in order; ReportAssembler puts them together.
// A build from before pieces sends one message without index or last: that is the whole part.
import type { ReportFile, ReportPart } from "./report";
import { PART_BYTES_MAX } from "./report";
import { assert } from "../common/errors";

/** No report message between agents is larger than this (bytes of its JSON). */
export const REPORT_MESSAGE_BYTES_MAX = 4 * 1024 * 1024;
/**
 * A file's content travels in pieces of at most this many characters (a multiple of 4, so a
 * base64 piece decodes alone): escaped as JSON, at most 6 bytes a character, a piece and its
 * envelope stay well under REPORT_MESSAGE_BYTES_MAX.
 */
export const PIECE_CHARS = 512 * 1024;
/** The feature a requester advertises when it takes a part in several messages (src/membership/advert.ts). */
export const REPORT_PIECES_FEATURE = "report-pieces";

/** One piece of a file: the whole file, or a slice of it that continues the file before it. */
export interface ReportPiece extends ReportFile { continues?: true }

export type ReportMessage =
  | { t: "report-request"; requestId: number; fromSeconds: number }
  | { t: "report-part"; requestId: number; index: number; last: boolean; part: { node: string; files: ReportPiece[]; problems: string[] } };

const FILES_MAX = 512;
const PIECES_MAX = 4096;
const NAME_LENGTH_MAX = 200;
const PROBLEMS_MAX = 64;
const PROBLEM_LENGTH_MAX = 1000;

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
  // A build from before pieces sends neither index nor last: its one message is the whole part.
  const index = value.index ?? 0;
  const last = value.last ?? true;
  if (!Number.isSafeInteger(index) || (index as number) < 0 || typeof last !== "boolean") return "report-part: index must be a non-negative integer and last a boolean";
  const part = value.part;
  if (!isObject(part) || typeof part.node !== "string" || part.node.length > NAME_LENGTH_MAX || !Array.isArray(part.files) || !Array.isArray(part.problems)) return "report-part: part needs node, files and problems";
  if (part.files.length > FILES_MAX || part.problems.length > PROBLEMS_MAX) return `report-part: more than ${FILES_MAX} files or ${PROBLEMS_MAX} problems`;
  let bytes = 0;
  for (const file of part.files as unknown[]) {
    if (!isObject(file) || typeof file.name !== "string" || typeof file.content !== "string" || (file.encoding !== "utf8" && file.encoding !== "base64")) return "report-part: every file needs name, encoding (utf8 or base64) and content";
    if (file.name.length > NAME_LENGTH_MAX || file.name.includes("..") || file.name.startsWith("/")) return `report-part: file name '${file.name.slice(0, 40)}' is not a plain relative name`;
    if (file.continues !== undefined && file.continues !== true) return "report-part: continues must be true or absent";
    bytes += file.content.length;
  }
  if (bytes > REPORT_MESSAGE_BYTES_MAX) return `report-part: a message carries at most ${REPORT_MESSAGE_BYTES_MAX} bytes of files`;
  if (!(part.problems as unknown[]).every((problem) => typeof problem === "string" && problem.length < PROBLEM_LENGTH_MAX)) return "report-part: problems must be short strings";
  return { t: "report-part", requestId: value.requestId as number, index: index as number, last, part: part as unknown as { node: string; files: ReportPiece[]; problems: string[] } };
}

const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/**
 * A member's part as report-part messages (JSON, ready to send), each at most
 * REPORT_MESSAGE_BYTES_MAX bytes. With `single` (a requester from before pieces, which takes
 * one message per member) only the first message goes, marked last, with a problem saying
 * what was left out.
 */
export function reportPartMessages(requestId: number, part: ReportPart, options: { single?: boolean; asker?: string } = {}): Buffer[] {
  const pieces: ReportPiece[] = [];
  for (const file of part.files) {
    for (let offset = 0; offset === 0 || offset < file.content.length; offset += PIECE_CHARS) {
      pieces.push({ name: file.name, encoding: file.encoding, content: file.content.slice(offset, offset + PIECE_CHARS), ...(offset > 0 ? { continues: true as const } : {}) });
    }
  }
  const problems = part.problems.slice(0, PROBLEMS_MAX - 1).map((problem) => problem.slice(0, PROBLEM_LENGTH_MAX - 1));
  const pack = (firstProblems: string[]) => {
    const messages: Array<{ index: number; files: ReportPiece[] }> = [];
    let current: ReportPiece[] = [];
    let bytes = 0;
    // The envelope of the largest message: the first, with the problems (index and last as wide as they get).
    const envelope = jsonBytes({ t: "report-part", requestId, index: Number.MAX_SAFE_INTEGER, last: false, part: { node: part.node, files: [], problems: firstProblems } });
    for (const piece of pieces) {
      const size = jsonBytes(piece) + 1;
      if (current.length > 0 && (envelope + bytes + size > REPORT_MESSAGE_BYTES_MAX || current.length >= FILES_MAX)) {
        messages.push({ index: messages.length, files: current });
        current = [];
        bytes = 0;
      }
      current.push(piece);
      bytes += size;
    }
    messages.push({ index: messages.length, files: current });
    return messages.map((message, index) => ({ t: "report-part", requestId, index: message.index, last: index === messages.length - 1, part: { node: part.node, files: message.files, problems: index === 0 ? firstProblems : [] } }));
  };
  let messages = pack(problems);
  if (options.single === true && messages.length > 1) {
    const leftOut = messages.slice(1).reduce((total, message) => total + message.part.files.reduce((sum, file) => sum + file.content.length, 0), 0);
    messages = pack([...problems.slice(0, PROBLEMS_MAX - 2), `${leftOut} bytes of this part were left out: ${options.asker ?? "the asking node"} runs a build that takes one message of at most ${REPORT_MESSAGE_BYTES_MAX} bytes per member`]).slice(0, 1);
    messages[0]!.last = true;
  }
  return messages.map((message) => {
    const bytes = Buffer.from(JSON.stringify(message));
    assert(bytes.length <= REPORT_MESSAGE_BYTES_MAX, `a report-part message of ${bytes.length} bytes exceeds ${REPORT_MESSAGE_BYTES_MAX}`);
    return bytes;
  });
}

/**
 * Puts one member's report-part messages together, in the order they came. Bounded: at most
 * 2 x PART_BYTES_MAX of content and FILES_MAX files; a message out of order, a piece that
 * continues nothing, or too much ends the part with a problem (what came before is kept).
 */
export class ReportAssembler {
  private readonly files: ReportFile[] = [];
  private readonly problems: string[] = [];
  private nextIndex = 0;
  private bytes = 0;
  private pieces = 0;
  private finished = false;

  /** Takes the next message; true once the part is complete (the last message, or a broken one). */
  take(message: Extract<ReportMessage, { t: "report-part" }>): boolean {
    if (this.finished) return true;
    if (message.index !== this.nextIndex) return this.stop(`part ${message.index} arrived where ${this.nextIndex} was due: the rest of this member's part is left out`);
    this.nextIndex++;
    this.problems.push(...message.part.problems.slice(0, PROBLEMS_MAX - this.problems.length));
    for (const piece of message.part.files) {
      if (++this.pieces > PIECES_MAX) return this.stop(`more than ${PIECES_MAX} pieces: the rest of this member's part is left out`);
      this.bytes += piece.content.length;
      if (this.bytes > 2 * PART_BYTES_MAX) return this.stop(`larger than ${2 * PART_BYTES_MAX} bytes: the rest of this member's part is left out`);
      const previous = this.files[this.files.length - 1];
      if (piece.continues === true) {
        if (previous === undefined || previous.name !== piece.name || previous.encoding !== piece.encoding) return this.stop(`a piece of ${piece.name} continues no file: the rest of this member's part is left out`);
        previous.content += piece.content;
        continue;
      }
      if (this.files.length >= FILES_MAX) return this.stop(`more than ${FILES_MAX} files: the rest of this member's part is left out`);
      this.files.push({ name: piece.name, encoding: piece.encoding, content: piece.content });
    }
    if (message.last) this.finished = true;
    return this.finished;
  }

  /** The part as far as it came (with a problem when it did not come whole). */
  part(node: string): ReportPart {
    const problems = [...this.problems];
    if (!this.finished) problems.push(`only ${this.nextIndex} message(s) of this member's part arrived: the rest is left out`);
    return { node, files: this.files.map((file) => ({ ...file })), problems };
  }

  private stop(problem: string): true {
    this.problems.push(problem);
    this.finished = true;
    return true;
  }
}
