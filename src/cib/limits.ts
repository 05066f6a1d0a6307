// The bounds of a CIB edgeha accepts, from any source (XML or native file, the admin
// socket, a peer). They are the product's stated scale, twice what is benchmarked
// (bench/scheduler: 5,000 primitives on 16 nodes), so that no input, however large,
// can take the agent's memory or event loop with it.
export const CIB_LIMITS = {
  /** Characters of CIB text: the XML parser's bound too (src/common/xml.ts). */
  textLengthMax: 16 * 1024 * 1024,
  primitivesMax: 10_000,
  constraintsMax: 20_000,
  /** Nodes of the nodes section; Pacemaker's own clusters stop at 32 corosync nodes. */
  nodesMax: 256,
  /** Nesting of the native form: rules inside rules are the deepest part, at about 10. */
  depthMax: 64,
  /** An id: Pacemaker sets none, but ids go into operation keys, logs and file names. */
  idLengthMax: 256,
} as const;
