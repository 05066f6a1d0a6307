// Scripted scenarios: a readable text script drives a calm world (no random faults, no random
// clients) one step at a time, and what happened comes out in domain words, to be compared
// with a golden file (test/unit/sim/scenarios.test.ts). The same invariants are checked as in
// seeded runs. Commands, one per line ('#' starts a comment):
//
//   cluster nodes=2 fencing=on arbiter=off policy=stop seed=1   (first; every key optional)
//   resource vip                   a service (a primitive), or: group web vip proxy
//   run 2s                         let time pass (ms or s)
//   cut node1 from node2           both ways; "cut node1 to node2" cuts one way only
//   isolate node1 | heal           every link of a node cut; everything whole again
//   kill node1 | start node1       the agent process killed (resources keep running) or started
//   power off node1 | power on node1
//   stall node1 2s                 the agent process stopped (SIGSTOP) that long
//   device fence-node1 dead        a fence device that works, fails, is slow or is dead
//   starts fail on node1           every start of a resource agent there fails ("starts work on node1" undoes it)
//   stops fail on node1            every stop of a resource agent there fails ("stops work on node1" undoes it)
//   vip dies on node1              the resource stops by itself (its monitor will notice); "vip dies": where it runs
//   change through node2: delete resource vip   (also: create, stop, start resource X; standby, unstandby X;
//                                  a trailing --this-half-only sends it as the CLI's does: its answer is not counted durable)
//   cleanup through node1
//   show                           one line per node: view, quorum, DC, what runs there
import { formatVersion, type Cib, type Resource } from "../cib";
import { Checker } from "./checks";
import { simPrimitive, changesIn } from "./changes";
import { nodeName, scenarioFor, type Scenario } from "./scenario";
import { World, type SimNode } from "./world";

export interface ScriptResult { lines: string[]; ok: boolean }

interface Running { world: World; checker: Checker; changeIds: number; lines: string[]; printedTrace: number }

export function runScript(text: string): ScriptResult {
  const commands = text.split("\n").map((line, index) => ({ line: index + 1, words: line.replace(/#.*$/, "").trim() })).filter((each) => each.words !== "");
  const first = commands.shift();
  if (first === undefined || !first.words.startsWith("cluster")) throw new Error("a scenario starts with a 'cluster' line");
  const resources: Resource[] = [];
  while (commands[0] && /^(resource|group) /.test(commands[0].words)) {
    const [kind, name, ...members] = commands.shift()!.words.split(/\s+/);
    resources.push(kind === "resource" ? simPrimitive(name!) : { kind: "group", id: name!, extra: {}, instance: [], meta: [], members: members.map((member) => simPrimitive(member)) });
  }
  const world = new World(calmScenario(first.words, resources), { traceLines: 100_000 });
  const checker = new Checker(world);
  world.observer = checker;
  const running: Running = { world, checker, changeIds: 0, lines: [], printedTrace: 0 };
  for (const node of world.nodes) world.startAgent(node);
  for (const command of commands) {
    try {
      perform(running, command.words);
    } catch (error) {
      throw new Error(`line ${command.line}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  flushTrace(running);
  checker.finalConfigurations();
  return { lines: running.lines, ok: checker.violation === undefined };
}

function calmScenario(words: string, resources: Resource[]): Scenario {
  const options = Object.fromEntries(words.split(/\s+/).slice(1).map((pair) => pair.split("=") as [string, string]));
  const nodes = Number(options.nodes ?? 2);
  const stonith = (options.fencing ?? "on") === "on";
  const drawn = scenarioFor(Number(options.seed ?? 1), nodes, { stonith, noQuorumPolicy: (options.policy ?? "stop") as "stop" | "freeze" });
  const arbiter = nodes === 2 && options.arbiter === "on";
  const cib: Cib = { ...drawn.initialCib, resources: [...drawn.initialCib.resources.filter((resource) => resource.kind === "primitive" && resource.class === "stonith"), ...resources] };
  return {
    ...drawn, links: 1, lossMax: 0, duplicateProbability: 0, faultProbability: 0, clients: 0, chaosMs: 0,
    agentFaults: { startFails: 0, stopFails: 0, hangs: 0 },
    quorum: { ...drawn.quorum, arbiter, lastManStanding: false, autoTieBreaker: false, waitForAll: nodes === 2 },
    initialCib: cib,
  };
}

function duration(text: string | undefined): number {
  const match = /^(\d+)(ms|s)$/.exec(text ?? "");
  if (!match) throw new Error(`'${text}' is not a duration like 500ms or 2s`);
  return Number(match[1]) * (match[2] === "s" ? 1000 : 1);
}

function node(world: World, name: string | undefined): SimNode {
  const found = world.nodes.find((each) => each.name === name);
  if (!found) throw new Error(`no node '${name}'`);
  return found;
}

function perform(running: Running, words: string): void {
  const { world } = running;
  const parts = words.split(/\s+/);
  const livelock = (message: string) => running.checker.fail("liveness", message);
  let match: RegExpExecArray | null;
  if (parts[0] === "run") world.runUntil(world.nowMs + duration(parts[1]), () => false, livelock);
  else if ((match = /^cut (\S+) (from|to) (\S+)$/.exec(words))) {
    const [a, b] = [node(world, match[1]), node(world, match[3])];
    for (const cut of world.network.cuts) {
      cut.add(`${a.id}>${b.id}`);
      if (match[2] === "from") cut.add(`${b.id}>${a.id}`);
    }
    world.note(`${a.name} ${match[2] === "from" ? "and" : "can no longer reach"} ${b.name}${match[2] === "from" ? " are cut from each other" : ""}`);
  } else if (parts[0] === "isolate") {
    world.network.partition(new Set([node(world, parts[1]).id]), "all", false);
    world.note(`${parts[1]} is isolated`);
  } else if (words === "heal") {
    world.network.heal();
    world.note("the network is whole again");
  } else if (parts[0] === "kill") world.endAgent(node(world, parts[1]), "killed (kill -9)");
  else if (parts[0] === "start") world.startAgent(node(world, parts[1]));
  else if (words.startsWith("power off ")) {
    world.note(`${parts[2]} loses power`);
    world.powerOff(node(world, parts[2]), "power lost");
  } else if (words.startsWith("power on ")) world.powerOn(node(world, parts[2]));
  else if (parts[0] === "stall") stall(world, node(world, parts[1]), duration(parts[2]));
  else if (parts[0] === "device" && parts.length === 3) device(world, parts[1]!, parts[2]!);
  else if ((match = /^(\S+) dies(?: on (\S+))?$/.exec(words))) {
    const where = match[2] ?? [...(world.active.get(match[1]!) ?? [])][0];
    if (where === undefined || !world.active.get(match[1]!)?.delete(node(world, where).name)) throw new Error(`${match[1]} does not run${match[2] ? ` on ${match[2]}` : ""}`);
    world.note(`${match[1]} dies on ${where} (its monitor will find out)`);
  } else if ((match = /^change through (\S+): (.+)$/.exec(words))) change(running, node(world, match[1]), match[2]!);
  else if ((match = /^cleanup through (\S+)$/.exec(words))) {
    world.note(`operator: resource cleanup through ${match[1]}`);
    world.ask(node(world, match[1]), { kind: "cleanup" }, (reply) => world.note(`cleanup ${reply?.ok ? "done" : `refused (${reply === undefined ? "no answer" : reply.code})`}`));
  } else if ((match = /^(starts|stops) (fail|work) on (\S+)$/.exec(words))) {
    const target = node(world, match[3]);
    target.agentFaults = { ...target.agentFaults, [match[1] === "starts" ? "startFails" : "stopFails"]: match[2] === "fail" ? 1 : 0 };
    world.note(`${match[1]} ${match[2] === "fail" ? "fail" : "work again"} on ${target.name}`);
  } else if (words === "show") show(running);
  else throw new Error(`unknown command '${words}'`);
}

function stall(world: World, target: SimNode, durationMs: number): void {
  target.stalledUntilMs = world.nowMs + durationMs;
  world.note(`${target.name} stalls for ${durationMs} ms (SIGSTOP)`);
  world.agenda.at(target.stalledUntilMs, () => world.resume(target));
}

function device(world: World, id: string, state: string): void {
  if (state === "works") world.deviceFaults.delete(id);
  else if (state === "fails" || state === "slow" || state === "dead") world.deviceFaults.set(id, state);
  else throw new Error(`a device works, fails, is slow or dead, not '${state}'`);
  world.note(`fence device ${id} ${state === "dead" ? "is dead (no answer)" : state}`);
}

/** A configuration change in CLI words, through a node's admin socket. */
function change(running: Running, through: SimNode, words: string): void {
  const { world } = running;
  const base = through.agent?.controller.configuration;
  if (base === undefined) throw new Error(`${through.name} has no agent to ask`);
  const cib = structuredClone(base);
  const force = /\s--this-half-only$/.test(words);
  const [verb, what, name] = words.replace(/\s--this-half-only$/, "").split(/\s+/);
  if (verb === "create" && what === "resource") cib.resources.push(simPrimitive(name!));
  else if (verb === "delete" && what === "resource") cib.resources = cib.resources.filter((resource) => resource.id !== name);
  else if ((verb === "stop" || verb === "start") && what === "resource") {
    const target = cib.resources.find((resource) => resource.id === name);
    if (target === undefined) throw new Error(`no resource '${name}'`);
    target.meta = verb === "stop" ? [{ id: `${name}-meta`, values: { "target-role": "Stopped" } }] : [];
  } else if (verb === "standby" || verb === "unstandby") {
    const entry = cib.nodes.find((each) => each.uname === what);
    if (entry === undefined) throw new Error(`no node '${what}'`);
    entry.instance = verb === "standby" ? [{ id: `${what}-attributes`, values: { standby: "on" } }] : [];
  } else throw new Error(`unknown change '${words}'`);
  const id = ++running.changeIds;
  cib.attributes = { ...cib.attributes, "sim-changes": [...changesIn(base), id].join(" ") };
  world.note(`client through ${through.name}: ${words} (on ${formatVersion(base.version)})`);
  world.ask(through, { kind: "cib-replace", base: formatVersion(base.version), cib: JSON.parse(JSON.stringify(cib)) as unknown, ...(force ? { force: true } : {}) }, (reply) => {
    if (reply?.ok && force) {
      // A forced change may be stored on one half of a split only, as its answer says: the
      // oracle does not hold the cluster to it (acked-change-durable counts it not).
      world.note(`client: "${words}" done (${reply.version}): ${reply.message ?? ""}`);
    } else if (reply?.ok) {
      world.note(`client: "${words}" done (${reply.version})`);
      running.checker.acknowledgedChange(id, reply.version ?? "?", words, changesIn(cib));
    } else world.note(`client: "${words}" refused (${reply === undefined ? "no answer" : reply.code})`);
  });
}

function show(running: Running): void {
  flushTrace(running);
  const { world } = running;
  for (const each of world.nodes) {
    const agent = each.agent;
    const runs = [...world.active].filter(([, nodes]) => nodes.has(each.name)).map(([resource]) => resource).sort();
    if (agent === undefined) running.lines.push(`  ${each.name}: ${each.powered ? "agent down" : "powered off"}; runs ${runs.length ? runs.join(" ") : "nothing"}`);
    else {
      const view = agent.core.stack.view;
      running.lines.push(`  ${each.name}: view ${view.ringId} [${view.members.map(nodeName).join(" ")}], ${agent.core.stack.quorum().quorate ? "quorate" : "no quorum"}, DC ${agent.controller.dcName ?? "none"}; runs ${runs.length ? runs.join(" ") : "nothing"}`);
    }
  }
}

function flushTrace(running: Running): void {
  const all = running.world.trace.last(Number.MAX_SAFE_INTEGER);
  running.lines.push(...all.slice(running.printedTrace));
  running.printedTrace = all.length;
}
