// Faults, drawn from the seed while the chaos lasts: partitions (one-way too), links down,
// loss, crashes and restarts of agents, power losses, stalls longer than the token (a
// SIGSTOP), clock jumps, the arbiter away, crashes in the middle of a write, fence devices
// that fail, are slow or do not answer, resource agents that misbehave, resources that die.
// healAll() undoes every one of them for the liveness phase.
import type { World, SimNode } from "./world";

const NO_AGENT_FAULTS = { startFails: 0, stopFails: 0, hangs: 0 };

export function injectFault(world: World): void {
  const { random, scenario, network } = world;
  const ids = scenario.nodeIds;
  const anyNode = (): SimNode => world.nodes[random.between(0, ids.length - 1)]!;
  const cluster = scenario.cluster;
  switch (random.between(0, cluster ? 15 : 8)) {
    case 0: {
      const side = new Set(ids.filter(() => random.chance(0.5)));
      if (side.size === 0 || side.size === ids.length) break;
      const oneWay = random.chance(0.3);
      const link = random.chance(0.5) ? "all" : random.between(0, scenario.links - 1);
      network.partition(side, link, oneWay);
      world.note(`partition: [${[...side].map((id) => `node${id}`).join(" ")}] cut from the rest${oneWay ? " (outgoing only)" : ""}${link === "all" ? "" : ` on link ${link}`}`);
      break;
    }
    case 1:
      network.cuts.forEach((cut) => cut.clear());
      world.note("partitions heal");
      break;
    case 2: {
      const link = random.between(0, scenario.links - 1);
      network.linkDown[link] = true;
      world.note(`link ${link} goes down`);
      break;
    }
    case 3:
      network.linkDown.fill(false);
      network.loss = random.next() * scenario.lossMax;
      world.note(`links up; ${Math.round(network.loss * 100)} % loss`);
      break;
    case 4: {
      const node = anyNode();
      if (node.agent === undefined) break;
      world.counters.crashes++;
      world.endAgent(node, "killed (kill -9)");
      // Sometimes it stays down until the faults heal, sometimes systemd starts it at once.
      if (random.chance(0.6)) world.agenda.at(world.nowMs + random.between(200, 1500), () => world.startAgent(node));
      break;
    }
    case 5: {
      const node = anyNode();
      if (!node.powered) break;
      world.counters.crashes++;
      world.note(`${node.name} loses power`);
      world.powerOff(node, "power lost");
      if (random.chance(0.5)) world.agenda.at(world.nowMs + random.between(500, 2500), () => world.powerOn(node));
      break;
    }
    case 6: {
      const node = anyNode();
      if (node.agent === undefined || world.stalled(node)) break;
      // Often longer than the token: the peers must take it for dead, and it must not act on a stale view.
      const durationMs = random.pick([random.between(100, 400), random.between(600, 2500)]);
      node.stalledUntilMs = world.nowMs + durationMs;
      world.note(`${node.name} stalls for ${durationMs} ms (SIGSTOP)`);
      world.agenda.at(node.stalledUntilMs, () => world.resume(node));
      break;
    }
    case 7:
      if (!scenario.quorum.arbiter) break;
      network.arbiterUp = !network.arbiterUp;
      world.note(`the arbiter ${network.arbiterUp ? "is back" : "is unreachable"}`);
      break;
    case 8: {
      const node = anyNode();
      const jumpMs = random.pick([-1, 1]) * random.between(1000, 3_600_000);
      node.wallOffsetMs += jumpMs;
      world.note(`${node.name}'s wall clock jumps ${jumpMs > 0 ? "forward" : "back"} ${Math.round(Math.abs(jumpMs) / 1000)} s`);
      break;
    }
    case 9: {
      const node = anyNode();
      // The agent dies in one of its next state-directory calls (a create, write, fsync, rename,
      // removal or directory sync of the CIB, membership or started-resources file): about two writes' worth.
      node.disk.armCrash(random.between(0, 11), random);
      break;
    }
    case 10: {
      if (!scenario.stonith) break;
      const device = `fence-${anyNode().name}`;
      const fault = random.pick(["fails", "slow", "dead", "repaired"] as const);
      if (fault === "repaired") world.deviceFaults.delete(device);
      else world.deviceFaults.set(device, fault);
      world.note(`fence device ${device} ${fault === "repaired" ? "is repaired" : fault === "dead" ? "stops answering (dead BMC)" : fault === "slow" ? "turns slow" : "starts failing"}`);
      break;
    }
    case 11: {
      const node = anyNode();
      const running = [...world.active].filter(([, nodes]) => nodes.has(node.name)).map(([resource]) => resource);
      if (running.length === 0) break;
      const resource = random.pick(running);
      world.active.get(resource)!.delete(node.name);
      world.note(`${resource} dies on ${node.name} (its monitor will find out)`);
      break;
    }
    case 12: {
      const node = anyNode();
      node.agentFaults = random.chance(0.5) ? { startFails: 0.5, stopFails: 0.3, hangs: 0.2 } : scenario.agentFaults;
      world.note(`${node.name}'s resource agents ${node.agentFaults === scenario.agentFaults ? "behave again" : "start failing and hanging"}`);
      break;
    }
    case 13: {
      const node = anyNode();
      const side = new Set([node.id]);
      network.partition(side, "all", false);
      if (scenario.quorum.arbiter && random.chance(0.5)) network.arbiterCut.add(node.id);
      world.note(`${node.name} is isolated`);
      break;
    }
    case 14:
    case 15: {
      for (const node of world.nodes) if (!node.powered && random.chance(0.5)) world.powerOn(node);
      for (const node of world.nodes) if (node.powered && node.agent === undefined && random.chance(0.5)) world.startAgent(node);
      break;
    }
  }
}

/** Every fault ends: the network is whole, every node powered and its agent running, devices and agents behave. */
export function healAll(world: World): void {
  world.network.heal();
  world.deviceFaults.clear();
  for (const node of world.nodes) {
    node.agentFaults = NO_AGENT_FAULTS;
    node.disk.disarm();
    if (world.stalled(node)) {
      node.stalledUntilMs = world.nowMs;
      world.resume(node);
    }
    world.powerOn(node);
    world.startAgent(node);
  }
  world.note("every fault heals");
}
