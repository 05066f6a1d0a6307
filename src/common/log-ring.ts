// The agent's recent log lines in memory, for `edgeha report` (journald keeps the full log;
// this node's part of a report must come from the agent itself). Bounded by lines and bytes.

export const LOG_RING_LINES_MAX = 20_000;
export const LOG_RING_BYTES_MAX = 4 * 1024 * 1024;

export class LogRing {
  private readonly lines: string[] = [];
  private bytes = 0;

  constructor(private readonly linesMax = LOG_RING_LINES_MAX, private readonly bytesMax = LOG_RING_BYTES_MAX) {}

  /** A pino destination: every chunk is one or more whole JSON lines. */
  write(chunk: string): boolean {
    for (const line of chunk.split("\n")) {
      if (line.length === 0) continue;
      this.lines.push(line);
      this.bytes += line.length;
    }
    while (this.lines.length > this.linesMax || this.bytes > this.bytesMax) this.bytes -= this.lines.shift()!.length;
    return true;
  }

  snapshot(): string[] {
    return [...this.lines];
  }
}
