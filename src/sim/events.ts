// The simulator's agenda: events ordered by time, then by the order they were scheduled, so
// a seed replays exactly. A binary heap: thousands of events per simulated second stay cheap.
export interface Scheduled { atMs: number; order: number; run: () => void }

export class Agenda {
  private readonly heap: Scheduled[] = [];
  private order = 0;

  get size(): number {
    return this.heap.length;
  }

  at(atMs: number, run: () => void): void {
    const item: Scheduled = { atMs, order: this.order++, run };
    const heap = this.heap;
    heap.push(item);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!before(item, heap[parent]!)) break;
      heap[index] = heap[parent]!;
      index = parent;
    }
    heap[index] = item;
  }

  /** When the next event is due; Infinity when none is. */
  nextAtMs(): number {
    return this.heap[0]?.atMs ?? Infinity;
  }

  /** Removes and returns the earliest event. */
  pop(): Scheduled | undefined {
    const heap = this.heap;
    const top = heap[0];
    if (top === undefined) return undefined;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let index = 0;
      for (;;) {
        const left = 2 * index + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left;
        if (!before(heap[child]!, last)) break;
        heap[index] = heap[child]!;
        index = child;
      }
      heap[index] = last;
    }
    return top;
  }
}

function before(left: Scheduled, right: Scheduled): boolean {
  return left.atMs < right.atMs || (left.atMs === right.atMs && left.order < right.order);
}
