// The arbiter's side of the wire, without I/O: a vote request frame in, the reply frame out.
// `edgeha arbiter` (src/node/arbiter.ts) runs it on a UDP socket; the simulator on its network.
import { FrameCodec } from "../transport";
import { arbiterRequest, initialArbiter, type ArbiterSettings, type ArbiterState } from "../quorum";
import { ARBITER_ID } from "./membership";

/** Every node id a cluster may use. */
const NODE_ID_MAX = 65535;

export class ArbiterResponder {
  private readonly codec: FrameCodec;
  private sequence = 0;
  private arbiter: ArbiterState;

  constructor(options: { clusterName: string; authkey: Buffer; settings: ArbiterSettings; incarnation: number; knownSenders?: number[] }) {
    const knownSenders = options.knownSenders ?? Array.from({ length: NODE_ID_MAX }, (_, index) => index + 1);
    this.codec = new FrameCodec({ clusterName: options.clusterName, authkey: options.authkey, knownSenders, localId: ARBITER_ID });
    this.arbiter = initialArbiter(options.settings);
    this.incarnation = options.incarnation;
  }

  private readonly incarnation: number;

  get state(): ArbiterState {
    return this.arbiter;
  }

  /**
   * One datagram at nowMs: the reply to send back, and whether the vote went to a new side;
   * undefined for anything that is not an authentic, well-formed vote request.
   */
  receive(bytes: Uint8Array, nowMs: number): { reply: Buffer; members: number[]; priority: number; newSide: boolean } | undefined {
    const decoded = this.codec.decode(bytes);
    if (!decoded.ok || decoded.frame.kind !== "message") return undefined;
    let request: { members: number[]; ringId: number; priority?: number; sentAtMs: number };
    try {
      request = JSON.parse(Buffer.from(decoded.frame.body).toString());
      if (typeof request !== "object" || request === null || !Array.isArray(request.members) || !request.members.every(Number.isInteger) || !Number.isInteger(request.ringId)) return undefined;
    } catch {
      return undefined;
    }
    const previous = this.arbiter.grantKey;
    const priority = Number(request.priority ?? 0);
    const result = arbiterRequest(this.arbiter, { nodeId: decoded.frame.senderId, members: request.members, ringId: request.ringId, priority: Number.isFinite(priority) ? priority : 0 }, nowMs);
    this.arbiter = result.state;
    const body = Buffer.from(JSON.stringify({ ...result.reply, sentAtMs: request.sentAtMs }));
    const reply = this.codec.encode({ senderId: ARBITER_ID, incarnation: this.incarnation, sequence: ++this.sequence, kind: "message", body });
    return { reply, members: request.members, priority: Number.isFinite(priority) ? priority : 0, newSide: this.arbiter.grantKey !== previous };
  }
}
