// Replay window per sender: the newest incarnation wins; within it a sliding window of
// WINDOW_SIZE sequence numbers remembers which were seen, so duplicates and frames older
// than the window are dropped while modest reordering is tolerated.
//
// The window is wide because one sequence counter serves every peer and link of a sender: in
// a 16-node cluster a receiver sees every 30th number, and a burst of reliable fragments to
// other peers moves the counter by hundreds while a heartbeat waits in another link's socket.
export const WINDOW_SIZE = 4096;

export class ReplayWindow {
  private incarnation = -1;
  private highest = -1;
  /** seen[sequence % WINDOW_SIZE] holds the sequence number last seen in that slot. */
  private readonly seen = new Float64Array(WINDOW_SIZE).fill(-1);

  /** True when (incarnation, sequence) is new; records it. */
  accept(incarnation: number, sequence: number): boolean {
    if (incarnation < this.incarnation) return false;
    if (incarnation > this.incarnation) {
      this.incarnation = incarnation;
      this.highest = -1;
      this.seen.fill(-1);
    }
    if (sequence + WINDOW_SIZE <= this.highest) return false;
    const slot = sequence % WINDOW_SIZE;
    if (this.seen[slot] === sequence) return false;
    this.seen[slot] = sequence;
    if (sequence > this.highest) this.highest = sequence;
    return true;
  }
}
