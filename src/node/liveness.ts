// The runner's echo: whether the peers' MACHINES still answer, watched by a thread of our own
// addon (src/node/native/liveness.c) so that neither this agent's event loop nor the peer's
// wakes for it. Every echo interval the thread sends an ARP request for each peer's link
// address on the link's interface; the peer's kernel answers. The agent hears only of changes:
// a machine that answers, one that left ECHO_SILENT_PROBES requests in a row unanswered, a link
// that lost its carrier (netlink), and links where ARP cannot work (a peer that is routed, a
// loopback address), which are then left to the token. What an echo means for membership is
// decided in the pure core (src/membership: a silent machine is confirmed with probe
// heartbeats its agent must answer); this file only carries the events there.
import type { Logger } from "../common/log";
import { loadLivenessNative, type LivenessNative } from "./native";

export type EchoState = "answering" | "silent" | "carrier-down" | "carrier-up" | "unusable";

/** One link to one peer: the local address of the link and the peer's address on it. */
export interface EchoLink { peerId: number; link: number; localAddress: string; peerAddress: string }

export interface EchoEvent extends EchoLink { state: EchoState; detail: string; ageMs: number }

const STATES: ReadonlySet<string> = new Set(["answering", "silent", "carrier-down", "carrier-up", "unusable"]);

let native: LivenessNative | undefined | null;

/** The addon, or null (logged once) when it cannot be loaded: the agent then relies on the token. */
export function livenessAddon(logger: Logger, load: () => LivenessNative = loadLivenessNative): LivenessNative | null {
  if (native !== undefined) return native;
  try {
    native = load();
  } catch (error) {
    logger.warn({ error: error instanceof Error ? error.message : String(error) }, "the liveness addon is not available: a peer's loss is noticed by its token only");
    native = null;
  }
  return native;
}

export class HostWatch {
  private handle: object | undefined;

  private constructor(private readonly addon: LivenessNative, private readonly links: readonly EchoLink[]) {}

  /**
   * Starts the thread; events arrive on the event loop. silentAfterProbes requests in a row
   * without an answer make a machine silent on that link.
   */
  static start(addon: LivenessNative, links: readonly EchoLink[], probeEveryMs: number, silentAfterProbes: number, onEvent: (event: EchoEvent) => void): HostWatch {
    const watch = new HostWatch(addon, links);
    watch.handle = addon.start(links.map((link) => [link.localAddress, link.peerAddress]), probeEveryMs, silentAfterProbes, (index, state, monotonicMs, detail) => {
      const link = watch.links[index];
      if (link === undefined || !STATES.has(state) || watch.handle === undefined) return;
      onEvent({ ...link, state: state as EchoState, detail, ageMs: Math.max(0, addon.monotonicMs() - monotonicMs) });
    });
    return watch;
  }

  stop(): void {
    if (this.handle === undefined) return;
    const handle = this.handle;
    this.handle = undefined;
    this.addon.stop(handle);
  }
}

/** Link i of the local node paired with link i of every peer that has one. */
export function echoLinks(local: { id: number; links: readonly string[] }, nodes: ReadonlyArray<{ id: number; links: readonly string[] }>): EchoLink[] {
  const links: EchoLink[] = [];
  for (const peer of nodes) {
    if (peer.id === local.id) continue;
    const count = Math.min(local.links.length, peer.links.length);
    for (let link = 0; link < count; link++) links.push({ peerId: peer.id, link, localAddress: local.links[link]!, peerAddress: peer.links[link]! });
  }
  return links;
}
