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
import type { SystemConfig } from "../config";
import { constants } from "node:os";
import { loadLivenessNative, type LivenessNative } from "./native";

export type EchoState = "answering" | "silent" | "carrier-down" | "carrier-up" | "unusable";

/** One link to one peer: the local address of the link and the peer's address on it. */
export interface EchoLink { peerId: number; link: number; localAddress: string; peerAddress: string }

export interface EchoEvent extends EchoLink { state: EchoState; detail: string; ageMs: number }

const STATES: ReadonlySet<string> = new Set(["answering", "silent", "carrier-down", "carrier-up", "unusable"]);

/** Loaded once per loader (the real one, or a test's stand-in). */
const loaded = new Map<() => LivenessNative, LivenessNative | null>();

/** The addon, or null (logged once) when it cannot be loaded: the agent then relies on the token. */
export function livenessAddon(logger: Logger, load: () => LivenessNative = loadLivenessNative): LivenessNative | null {
  const known = loaded.get(load);
  if (known !== undefined) return known;
  let addon: LivenessNative | null;
  try {
    addon = load();
  } catch (error) {
    logger.warn({ error: error instanceof Error ? error.message : String(error) }, "the liveness addon is not available: a peer's loss is noticed by its token only");
    addon = null;
  }
  loaded.set(load, addon);
  return addon;
}

/**
 * How the kernel treats the agent (system.* in edgeha.yaml): SCHED_RR for its event loop (and
 * the echo thread), so a machine whose CPUs are all busy does not delay its heartbeats past the
 * token, and its pages kept in memory. Called once at start, before the echo thread exists.
 * Failing either is logged and the agent goes on: it still works, only less well under load.
 */
export function applySystemSettings(system: SystemConfig, logger: Logger, load: () => LivenessNative = loadLivenessNative): void {
  if (system.realtimePriority === 0 && !system.lockMemory) return;
  const addon = livenessAddon(logger, load);
  if (addon === null) return;
  const reason = (errno: number) => (errno === constants.errno.EPERM ? "not permitted (the agent needs root or CAP_SYS_NICE / CAP_IPC_LOCK)" : `errno ${errno}`);
  if (system.realtimePriority > 0) {
    const errno = addon.realtime(system.realtimePriority);
    if (errno === 0) logger.info({ priority: system.realtimePriority }, "the agent runs with the realtime scheduler (SCHED_RR); what it starts runs normally");
    else logger.warn({ priority: system.realtimePriority, reason: reason(errno) }, "cannot use the realtime scheduler: with every CPU busy, heartbeats may be late");
  }
  if (system.lockMemory) {
    const errno = addon.lockMemory();
    if (errno === 0) logger.info({}, "the agent's pages stay in memory (mlockall)");
    else logger.warn({ reason: reason(errno) }, "cannot lock the agent's pages in memory");
  }
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

/** How long after the agent started its freed start-up memory is given back (issue 21, RSS). */
export const TRIM_AFTER_START_MS = 30_000;

/**
 * Once, afterMs from now: malloc_trim through the addon. Start-up (reading and validating the
 * CIB, compiling the code it runs, the first transitions) frees megabytes in the middle of
 * malloc's arenas, which glibc keeps for later; an idle agent never needs them again. One
 * wake-up in the agent's life (an unref'd Node timer). Returns what cancels it.
 */
export function trimMemoryLater(addon: Pick<LivenessNative, "trimMemory"> | null, afterMs: number, logger: Logger): () => void {
  if (addon?.trimMemory === undefined) return () => {};
  const trim = addon.trimMemory;
  const timer = setTimeout(() => {
    const before = process.memoryUsage.rss();
    trim();
    logger.debug({ rssBeforeMiB: +(before / 1048576).toFixed(1), rssAfterMiB: +(process.memoryUsage.rss() / 1048576).toFixed(1) }, "gave malloc's free start-up memory back to the kernel");
  }, afterMs);
  timer.unref();
  return () => clearTimeout(timer);
}
