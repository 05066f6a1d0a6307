// What happened in a run, in domain words ("node2 lost power", "start vip on node1"), kept
// in a bounded ring: a failing seed prints its last lines next to the command that replays it.
export class Trace {
  private readonly lines: string[] = [];
  constructor(private readonly keep = 60) {}

  add(atMs: number, line: string): void {
    this.lines.push(`${(atMs / 1000).toFixed(3)}s ${line}`);
    if (this.lines.length > this.keep) this.lines.splice(0, this.lines.length - this.keep);
  }

  last(count: number): string[] {
    return this.lines.slice(-count);
  }
}
