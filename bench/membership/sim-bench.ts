// Membership figures from the pure cores in simulated time (not real processes): failure
// detection time with default timing after a peer stops, and heartbeat bytes per second
// on the wire (encrypted frames, all links) for idle clusters of 2 and 16 nodes.
import { FrameCodec } from "../../src/transport";
import { encodeHeartbeat, initialMembership, stepMembership, type Heartbeat, type MembershipState } from "../../src/membership";
import { configDefaults } from "../../src/config";
import { Random } from "../../src/sim";

const HEARTBEAT_MS = configDefaults.DEFAULT_HEARTBEAT_MS;
const TOKEN_MS = HEARTBEAT_MS * configDefaults.TOKEN_HEARTBEATS;
const STEP_MS = 1;
const key = Buffer.from("bench key, long enough for the key derivation");

function cluster(count: number, stopAtMs: number | undefined, durationMs: number, links: number) {
  const ids = Array.from({ length: count }, (_, index) => index + 1);
  const settings = { nodeIds: ids, heartbeatMs: HEARTBEAT_MS, tokenMs: TOKEN_MS, rejoinHoldMs: 2 * HEARTBEAT_MS, flapDoublingsMax: 4, flapForgetMs: 60_000 };
  const states = new Map<number, MembershipState>(ids.map((id) => [id, initialMembership(settings, id, 1, 0)]));
  const codecs = new Map(ids.map((id) => [id, new FrameCodec({ clusterName: "bench", authkey: key, knownSenders: ids, localId: id })]));
  const sequences = new Map(ids.map((id) => [id, 0]));
  let wireBytes = 0;
  let frames = 0;
  let detectedAtMs: number | undefined;
  for (let nowMs = 0; nowMs <= durationMs; nowMs += STEP_MS) {
    const outbox: Array<{ from: number; heartbeat: Heartbeat }> = [];
    const apply = (id: number, input: Parameters<typeof stepMembership>[1]) => {
      if (stopAtMs !== undefined && id === count && nowMs >= stopAtMs) return;
      const { state, effects } = stepMembership(states.get(id)!, input);
      states.set(id, state);
      for (const effect of effects) {
        if (effect.kind === "broadcast") outbox.push({ from: id, heartbeat: effect.heartbeat });
        else if (stopAtMs !== undefined && id === 1 && nowMs >= stopAtMs && detectedAtMs === undefined) detectedAtMs = nowMs;
      }
    };
    for (const id of ids) apply(id, { kind: "tick", nowMs });
    for (let round = 0; round < 5 && outbox.length > 0; round++) {
      for (const { from, heartbeat } of outbox.splice(0)) for (const to of ids) {
        if (to === from) continue;
        // The agent attaches its quorum report only with last_man_standing; this is the default, without.
        const body = encodeHeartbeat(heartbeat);
        for (let link = 0; link < links; link++) {
          const sequence = sequences.get(from)! + 1;
          sequences.set(from, sequence);
          const frame = codecs.get(from)!.encode({ senderId: from, incarnation: 1, sequence, kind: "heartbeat", body });
          if (nowMs >= 5000) { wireBytes += frame.length + 28; frames++; } // + IPv4 and UDP headers
          if (link === 0) apply(to, { kind: "heartbeat", from, heartbeat, nowMs });
        }
      }
    }
  }
  return { detectedAtMs, wireBytes, frames };
}

const random = new Random(20261123);
const detections: number[] = [];
for (let run = 0; run < 20; run++) {
  const stopAtMs = 3000 + random.between(0, HEARTBEAT_MS - 1);
  const { detectedAtMs } = cluster(2, stopAtMs, 5000, 1);
  detections.push(detectedAtMs! - stopAtMs);
}
detections.sort((a, b) => a - b);
console.log(`failure detection (simulated, 2 nodes, heartbeat ${HEARTBEAT_MS} ms, token ${TOKEN_MS} ms, 20 runs): median ${detections[10]} ms, min ${detections[0]} ms, max ${detections[19]} ms`);
for (const count of [2, 16]) {
  const { wireBytes, frames } = cluster(count, undefined, 15_000, 2);
  console.log(`idle heartbeat traffic (simulated), ${count} nodes, 2 links: ${Math.round(wireBytes / 10)} bytes/s for the whole cluster, ${Math.round(wireBytes / 10 / count)} bytes/s sent per node, ${Math.round(frames / 10)} frames/s of ${Math.round(wireBytes / frames)} bytes`);
}
