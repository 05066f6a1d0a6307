// CLI clients: each reads the configuration through a random member's admin socket, changes
// it and sends it back through the same member (as `edgeha resource create` does), waits for
// the answer, pauses, and goes again. Several at once make concurrent changes.
import { formatVersion } from "../cib";
import { randomChange, changesIn } from "./changes";
import type { Checker } from "./checks";
import type { World } from "./world";

export class Clients {
  private changeIds = 0;
  private stopped = false;
  private outstanding = 0;

  constructor(private readonly world: World, private readonly checker: Checker) {}

  start(count: number, fromMs: number): void {
    for (let client = 1; client <= count; client++) this.world.agenda.at(fromMs + this.world.random.between(0, 500), () => this.next(client));
  }

  /** No new changes; answers still in flight are still counted. */
  stop(): void {
    this.stopped = true;
  }

  get waiting(): number {
    return this.outstanding;
  }

  private next(client: number): void {
    if (this.stopped) return;
    const { world } = this;
    const candidates = world.nodes.filter((node) => world.serving(node));
    if (candidates.length === 0) {
      world.agenda.at(world.nowMs + 200, () => this.next(client));
      return;
    }
    const node = world.random.pick(candidates);
    const base = node.agent!.controller.configuration;
    const change = randomChange(base, ++this.changeIds, world.nodes.map((each) => each.name), world.random);
    world.note(`client ${client} through ${node.name}: ${change.words} (on ${formatVersion(base.version)})`);
    this.outstanding++;
    world.ask(node, { kind: "cib-replace", base: formatVersion(base.version), cib: JSON.parse(JSON.stringify(change.cib)) as unknown }, (reply) => {
      this.outstanding--;
      if (reply === undefined) world.note(`client ${client}: ${node.name} went away before answering`);
      else if (reply.ok) {
        world.note(`client ${client}: "${change.words}" done (${reply.version})`);
        this.checker.acknowledgedChange(change.id, reply.version ?? "?", change.words, changesIn(change.cib));
      } else world.note(`client ${client}: "${change.words}" refused (${reply.code})`);
      world.agenda.at(world.nowMs + world.random.between(50, 1200), () => this.next(client));
    });
  }
}
