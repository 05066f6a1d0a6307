/**
 * The first id of the requests a node sends to its peers and matches their answers to (the
 * controller's changes forwarded to the DC, the whole-cluster verbs, node list changes). Ids are
 * unique across the restarts of a node: a peer may answer after the asking process restarted,
 * and with ids counted from 1 again that late answer went to the new process's request for
 * something else (seed 922 of the simulator: "done" for a change on a stale configuration that
 * was never made). `incarnation` is membership's, larger after every restart; 2^20 ids per
 * incarnation (1/10 s): never reached. Without one (tests, older callers) ids start at 1.
 */
export function firstRequestId(incarnation: number | undefined): number {
  return incarnation === undefined ? 1 : (incarnation % 2 ** 32) * 2 ** 20 + 1;
}
