// Second pass: rules that relate several values (duplicates, networks, quorum and
// timing), run on the draft so that every problem is found in one check. A rule
// skips values that were present but unusable: their own error is already reported.
import { sameAddress } from "./address";
import {
  CONSENSUS_TOKEN_RATIO,
  DEFAULT_CRYPTO,
  DEFAULT_ECHO_MS,
  ECHO_CONFIRM_PROBES,
  ECHO_SILENT_PROBES,
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_JOIN_MS,
  DEFAULT_LAST_MAN_STANDING_WINDOW_MS,
  LIMITS,
  TOKEN_HEARTBEATS_MIN,
  defaultConsensusMs,
  defaultTokenMs,
} from "./defaults";
import type { ProblemList, SourcePositions } from "./problems";
import type { DraftConfig, DraftNode } from "./read";
import type { TimingConfig } from "./types";

export function checkRules(draft: DraftConfig, problems: ProblemList, positions: SourcePositions): void {
  const present = (path: string) => positions.has(path);
  if (draft.nodes) checkNodes(draft.nodes, problems, positions);
  checkQuorum(draft, problems, present);
  checkTiming(draft, problems, positions);
  if ((draft.transport.crypto ?? DEFAULT_CRYPTO) === false) {
    problems.warning("transport.crypto", "crypto is off: frames are neither encrypted nor authenticated, so anyone on a link can disturb the cluster");
  }
}

function nodeLabel(node: DraftNode, index: number): string {
  return node.name === undefined ? `nodes[${index}]` : `node '${node.name}'`;
}

function lineOf(positions: SourcePositions, path: string): number {
  return positions.locate(path).line;
}

function checkNodes(nodes: DraftNode[], problems: ProblemList, positions: SourcePositions): void {
  if (nodes.length === 1) problems.warning("nodes", "only one node: there is nothing to fail over to");
  const names = new Map<string, number>();
  const ids = new Map<number, number>();
  nodes.forEach((node, index) => {
    const path = `nodes[${index}]`;
    if (node.name !== undefined) {
      const first = names.get(node.name);
      if (first === undefined) names.set(node.name, index);
      else problems.error(`${path}.name`, `node name '${node.name}' is used twice (first at line ${lineOf(positions, `nodes[${first}].name`)})`);
    }
    if (node.id !== undefined) {
      const first = ids.get(node.id);
      if (first === undefined) ids.set(node.id, index);
      else problems.error(`${path}.id`, `node id ${node.id} is used twice (first at line ${lineOf(positions, `nodes[${first}].id`)})`);
    }
  });
  checkDuplicateAddresses(nodes, problems, positions);
  checkNetworks(nodes, problems);
}

function checkDuplicateAddresses(nodes: DraftNode[], problems: ProblemList, positions: SourcePositions): void {
  const seen = new Map<string, string>();
  nodes.forEach((node, nodeIndex) => {
    node.links?.forEach((link, linkIndex) => {
      const path = `nodes[${nodeIndex}].links[${linkIndex}]`;
      const first = seen.get(link.address.canonical);
      if (first === undefined) seen.set(link.address.canonical, path);
      else problems.error(path, `address ${link.text} is used twice (first at line ${lineOf(positions, first)}); every link of every node needs its own address`);
    });
  });
}

/** Link i of every node forms network i: same number of links everywhere, one address family per network. */
function checkNetworks(nodes: DraftNode[], problems: ProblemList): void {
  const referenceIndex = nodes.findIndex((node) => node.links !== undefined && node.linksComplete);
  if (referenceIndex === -1) return;
  const reference = nodes[referenceIndex]!;
  const referenceLinks = reference.links!;
  nodes.forEach((node, index) => {
    if (index === referenceIndex || !node.links || !node.linksComplete) return;
    const path = `nodes[${index}].links`;
    if (node.links.length !== referenceLinks.length) {
      problems.error(
        path,
        `${nodeLabel(node, index)} has ${plural(node.links.length, "link")} but ${nodeLabel(reference, referenceIndex)} has ${referenceLinks.length}: ` +
          "link i of every node forms network i, so every node needs the same number of links",
      );
      return;
    }
    node.links.forEach((link, linkIndex) => {
      const expected = referenceLinks[linkIndex]!.address.family;
      if (link.address.family !== expected) {
        problems.error(
          `${path}[${linkIndex}]`,
          `link ${linkIndex} of ${nodeLabel(node, index)} is IPv${link.address.family} but link ${linkIndex} of ${nodeLabel(reference, referenceIndex)} is IPv${expected}: ` +
            "the nodes could not reach each other on that network",
        );
      }
    });
  });
}

function checkQuorum(draft: DraftConfig, problems: ProblemList, present: (path: string) => boolean): void {
  const quorum = draft.quorum;
  const nodeCount = draft.nodes?.length;
  const twoNode = quorum.twoNode ?? nodeCount === 2;
  if (nodeCount !== undefined && nodeCount > 0) {
    if (quorum.twoNode === true && nodeCount !== 2) {
      problems.error("quorum.two_node", `two_node needs exactly two nodes, but nodes lists ${nodeCount}`);
    }
    const votes = quorum.expectedVotes;
    if (votes !== undefined && votes < nodeCount) {
      problems.error("quorum.expected_votes", `expected_votes ${votes} is below the ${nodeCount} nodes listed: each node has one vote`);
    }
    if (votes !== undefined && twoNode && nodeCount === 2 && votes !== 2) {
      problems.error("quorum.expected_votes", `two_node needs expected_votes 2, not ${votes}`);
    }
    const available = nodeCount + (quorum.arbiter ? 1 : 0);
    if (votes !== undefined && Math.floor(votes / 2) + 1 > available) {
      problems.error(
        "quorum.expected_votes",
        `expected_votes ${votes} needs ${Math.floor(votes / 2) + 1} votes for quorum, but only ${available} exist: the cluster could never be quorate`,
      );
    }
  }
  if (quorum.waitForAll === false && twoNode) {
    problems.warning("quorum.wait_for_all", "wait_for_all is off with two_node: two nodes that boot without seeing each other may both start and fence each other");
  }
  if (present("quorum.auto_tie_breaker_node") && quorum.autoTieBreaker !== true) {
    problems.warning("quorum.auto_tie_breaker_node", "auto_tie_breaker_node has no effect unless auto_tie_breaker is true");
  }
  if (present("quorum.last_man_standing_window_ms") && quorum.lastManStanding !== true) {
    problems.warning("quorum.last_man_standing_window_ms", "last_man_standing_window_ms has no effect unless last_man_standing is true");
  }
  checkTieBreakerIds(draft, problems);
  checkArbiterIsThirdHost(draft, problems);
}

function checkTieBreakerIds(draft: DraftConfig, problems: ProblemList): void {
  const tieBreaker = draft.quorum.autoTieBreakerNode;
  if (tieBreaker?.kind !== "list" || !draft.nodes) return;
  const known = new Set(draft.nodes.map((node) => node.id));
  for (const id of tieBreaker.nodeIds) {
    if (!known.has(id)) problems.error("quorum.auto_tie_breaker_node", `auto_tie_breaker_node names node id ${id}, which no node has`);
  }
}

function checkArbiterIsThirdHost(draft: DraftConfig, problems: ProblemList): void {
  const arbiter = draft.quorum.arbiter;
  if (!arbiter || !draft.nodes) return;
  for (const node of draft.nodes) {
    for (const link of node.links ?? []) {
      if (sameAddress(link.text, arbiter.host)) {
        problems.error("quorum.arbiter", `the arbiter ${arbiter.host} is a link address of node '${node.name ?? "?"}': it must run on a third host`);
      }
    }
  }
}

/** The timing the draft adds up to, with the documented defaults for absent values. */
export function effectiveTiming(timing: DraftConfig["timing"]): TimingConfig {
  const heartbeatMs = timing.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const tokenMs = timing.tokenMs ?? defaultTokenMs(heartbeatMs);
  const consensusMs = timing.consensusMs ?? defaultConsensusMs(tokenMs);
  return { heartbeatMs, tokenMs, consensusMs, joinMs: timing.joinMs ?? DEFAULT_JOIN_MS, echoMs: timing.echoMs ?? DEFAULT_ECHO_MS };
}

export function effectiveLastManStandingWindowMs(draft: DraftConfig): number {
  return draft.quorum.lastManStandingWindowMs ?? DEFAULT_LAST_MAN_STANDING_WINDOW_MS;
}

function checkTiming(draft: DraftConfig, problems: ProblemList, positions: SourcePositions): void {
  const keys = ["heartbeat_ms", "token_ms", "consensus_ms", "join_ms"] as const;
  const fields = ["heartbeatMs", "tokenMs", "consensusMs", "joinMs"] as const;
  // A present but unusable value already has its error; relations with it would only add noise.
  if (keys.some((key, index) => positions.has(`timing.${key}`) && draft.timing[fields[index]!] === undefined)) return;
  const timing = effectiveTiming(draft.timing);
  const tokenFloorMs = TOKEN_HEARTBEATS_MIN * timing.heartbeatMs;
  if (timing.tokenMs < tokenFloorMs) {
    problems.error(
      draft.timing.tokenMs === undefined ? "timing.heartbeat_ms" : "timing.token_ms",
      `token_ms ${timing.tokenMs} is less than ${TOKEN_HEARTBEATS_MIN} x heartbeat_ms (${tokenFloorMs}): ` +
        "fewer than three probes would go out before a live node is declared dead and fenced",
    );
  }
  if (timing.consensusMs <= timing.tokenMs) {
    problems.error("timing.consensus_ms", `consensus_ms ${timing.consensusMs} must be greater than token_ms ${timing.tokenMs} (default: ${CONSENSUS_TOKEN_RATIO} x token_ms)`);
  } else if (timing.consensusMs < defaultConsensusMs(timing.tokenMs)) {
    problems.warning("timing.consensus_ms", `consensus_ms ${timing.consensusMs} is below ${CONSENSUS_TOKEN_RATIO} x token_ms (${defaultConsensusMs(timing.tokenMs)}), corosync's minimum`);
  }
  if (timing.echoMs > 0 && timing.echoMs < LIMITS.echoMsMin) {
    problems.error("timing.echo_ms", `echo_ms ${timing.echoMs} is below ${LIMITS.echoMsMin}: 0 turns the echo off, otherwise it must be at least ${LIMITS.echoMsMin} ms`);
  } else if (timing.echoMs > 0 && ECHO_SILENT_PROBES * timing.echoMs + ECHO_CONFIRM_PROBES * timing.echoMs >= timing.tokenMs) {
    problems.warning("timing.echo_ms", `echo_ms ${timing.echoMs} notices a silent machine no sooner than the token (${timing.tokenMs} ms) does; lower it or set 0`);
  }
  if (timing.joinMs >= timing.consensusMs) {
    problems.error("timing.join_ms", `join_ms ${timing.joinMs} must be less than consensus_ms ${timing.consensusMs}: joining is one step of reaching consensus`);
  }
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}
