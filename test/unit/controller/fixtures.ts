// The small CIBs the controller tests start from: a Dummy primitive and a cluster of named nodes
// at a given epoch. One copy, so a test states only what its case changes.
import { emptyCib, type Cib, type Primitive } from "../../../src/cib";

/** An ocf:heartbeat:Dummy primitive with nothing configured. */
export function dummy(id: string): Primitive {
  return { kind: "primitive", id, class: "ocf", provider: "heartbeat", type: "Dummy", extra: {}, instance: [], meta: [], operations: [] };
}

export interface ClusterCibOptions {
  /** stonith-enabled (default true). */
  fencing?: boolean;
  /** admin_epoch 0, this epoch (default 3). */
  epoch?: number;
  /** Dummy primitives to configure (default none). */
  resources?: string[];
  /** resource-stickiness in rsc_defaults, when given. */
  stickiness?: string;
}

/** A CIB for these nodes (ids 1.. in order), no-quorum-policy=stop. */
export function clusterCib(names: readonly string[], options: ClusterCibOptions = {}): Cib {
  const cib = emptyCib();
  cib.version = { adminEpoch: 0, epoch: options.epoch ?? 3, numUpdates: 0 };
  cib.properties = [{ id: "cib-bootstrap-options", values: { "stonith-enabled": String(options.fencing ?? true), "no-quorum-policy": "stop" } }];
  cib.nodes = names.map((uname, index) => ({ id: String(index + 1), uname, extra: {}, instance: [], utilization: [] }));
  cib.resources = (options.resources ?? []).map(dummy);
  if (options.stickiness !== undefined) cib.rscDefaults = [{ id: "defaults", values: { "resource-stickiness": options.stickiness } }];
  return cib;
}
