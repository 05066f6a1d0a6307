// The simulated network between the nodes (and the arbiter): every datagram may be lost,
// delayed, duplicated or reordered as the seed says; links can go down and partitions can
// cut traffic in one direction or both.
import type { Agenda } from "./events";
import type { Random } from "./random";
import type { Scenario } from "./scenario";

export interface Datagram { from: number; to: number | "arbiter"; link: number; bytes: Buffer }

export class Network {
  /** Directed cuts "from>to" per link index. */
  readonly cuts: Set<string>[];
  readonly linkDown: boolean[];
  /** Nodes that cannot reach the arbiter (or it them). */
  readonly arbiterCut = new Set<number>();
  arbiterUp = true;
  loss = 0;
  datagrams = 0;

  constructor(private readonly scenario: Scenario, private readonly random: Random, private readonly agenda: Agenda, private readonly now: () => number, private readonly deliver: (datagram: Datagram) => void) {
    this.cuts = Array.from({ length: scenario.links }, () => new Set<string>());
    this.linkDown = Array.from({ length: scenario.links }, () => false);
  }

  send(datagram: Datagram): void {
    this.datagrams++;
    if (!this.passes(datagram)) return;
    if (this.random.chance(this.loss)) return;
    const copies = this.random.chance(this.scenario.duplicateProbability) ? 2 : 1;
    for (let copy = 0; copy < copies; copy++) {
      const delayMs = this.random.between(this.scenario.delayMsMin, this.scenario.delayMsMax);
      this.agenda.at(this.now() + delayMs, () => this.deliver(datagram));
    }
  }

  private passes({ from, to, link }: Datagram): boolean {
    if (to === "arbiter" || from === 0) {
      const node = to === "arbiter" ? from : to;
      return this.arbiterUp && !this.arbiterCut.has(node);
    }
    return !this.linkDown[link] && !this.cuts[link]!.has(`${from}>${to}`);
  }

  /** Cuts the nodes of `side` from the others on one link or all, both ways or from `side` outwards only. */
  partition(side: ReadonlySet<number>, link: number | "all", oneWay: boolean): void {
    const ids = this.scenario.nodeIds;
    for (let index = 0; index < this.scenario.links; index++) {
      if (link !== "all" && index !== link) continue;
      for (const a of ids) for (const b of ids) if (side.has(a) && !side.has(b)) {
        this.cuts[index]!.add(`${a}>${b}`);
        if (!oneWay) this.cuts[index]!.add(`${b}>${a}`);
      }
    }
  }

  heal(): void {
    this.cuts.forEach((cut) => cut.clear());
    this.linkDown.fill(false);
    this.arbiterCut.clear();
    this.arbiterUp = true;
    this.loss = 0;
  }
}
