// A fixed-bucket histogram (Prometheus' cumulative buckets), bounded in size: a handful of
// numbers however many observations it takes.

export class Histogram {
  private readonly counts: number[];
  private sumValue = 0;
  private countValue = 0;

  /** `bounds`: upper bounds in increasing order (the +Inf bucket is implied). */
  constructor(readonly bounds: readonly number[]) {
    for (let index = 1; index < bounds.length; index++) if (!(bounds[index]! > bounds[index - 1]!)) throw new RangeError("histogram bounds must increase");
    this.counts = new Array<number>(bounds.length).fill(0);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    this.sumValue += value;
    this.countValue++;
    const index = this.bounds.findIndex((bound) => value <= bound);
    if (index !== -1) this.counts[index]!++;
  }

  get sum(): number { return this.sumValue; }
  get count(): number { return this.countValue; }

  /** Cumulative counts per bound, as the text format's `le` buckets want them. */
  cumulative(): Array<{ le: number; count: number }> {
    let running = 0;
    return this.bounds.map((le, index) => ({ le, count: (running += this.counts[index]!) }));
  }
}
