// The parameters a resource's operation runs with, resolved for the node it runs on, as
// Pacemaker's scheduler resolves them and puts them in the graph with each operation: the
// primitive's instance attributes whose rules hold on that node (node attribute, date and
// other rules; sets by score), its group's and clone's inherited, plus the operation's own
// instance attributes. The same values the scheduler digests to detect a definition change
// (digest.ts), so what runs is what was planned. Pure.
import { allPrimitives, type Cib, type Primitive } from "../cib";
import { evaluateConfigurationRules } from "./defaults";
import { parentInstanceSets, resolvedParameters } from "./digest";
import type { GraphOperation } from "./types";
import { unpackNodes } from "./unpack";

/** The parameters of `operation` of `resource` (a clone instance "web:1" counts as its primitive) on `node`; undefined when not configured. */
export type ParameterResolver = (resource: string, node: string, operation: string) => Record<string, string> | undefined;

/** Resolves parameters against a CIB with status (node attributes, transient ones included, as the scheduler reads them) at `nowSeconds`. */
export function parameterResolver(cib: Cib, nowSeconds: number): ParameterResolver {
  const evaluated = evaluateConfigurationRules(cib, { now: nowSeconds });
  const attributes = new Map(unpackNodes(evaluated).map((node) => [node.name, node.attributes]));
  const primitives = new Map<string, Primitive>();
  for (const primitive of allPrimitives(evaluated.resources)) if (!primitives.has(primitive.id)) primitives.set(primitive.id, primitive);
  const parents = parentInstanceSets(evaluated.resources);
  return (resource, node, operation) => {
    const base = resource.replace(/:\d+$/, "");
    const primitive = primitives.get(base);
    if (primitive === undefined) return undefined;
    return resolvedParameters(primitive, parents.get(base) ?? [], operation, { now: nowSeconds, node: attributes.get(node) ?? {} });
  };
}

/**
 * The parameters each resource operation of a graph runs with, by operation id (fencing and
 * operations on resources the configuration no longer holds have none: an orphan is stopped
 * with the definition it last ran with, which its node keeps).
 */
export function operationParameters(cib: Cib, operations: readonly GraphOperation[], nowSeconds: number): Map<number, Record<string, string>> {
  const result = new Map<number, Record<string, string>>();
  if (!operations.some((operation) => operation.kind !== "fence" && operation.resource !== undefined)) return result;
  const resolve = parameterResolver(cib, nowSeconds);
  for (const operation of operations) {
    if (operation.kind === "fence" || operation.resource === undefined) continue;
    const parameters = resolve(operation.resource, operation.node, operation.kind);
    if (parameters !== undefined) result.set(operation.id, parameters);
  }
  return result;
}

/**
 * What a node resolves itself, for the operations it starts on its own (probes): the CIB it
 * holds, with its own transient attributes standing for its status entry.
 */
export function localParameterResolver(cib: Cib, node: string, transient: Record<string, string>, nowSeconds: number): (primitive: Primitive, operation: string) => Record<string, string> {
  const configured = cib.nodes.find((each) => each.uname === node);
  const status = cib.status.filter((entry) => entry.uname !== node);
  const own = { id: configured?.id ?? node, uname: node, attributes: {}, transient: [{ id: `${node}-transient`, values: { ...transient } }], resources: [] };
  const evaluated = evaluateConfigurationRules({ ...cib, status: [...status, own] }, { now: nowSeconds });
  const attributes = unpackNodes(evaluated).find((each) => each.name === node)?.attributes ?? { "#uname": node };
  const parents = parentInstanceSets(cib.resources);
  return (primitive, operation) => resolvedParameters(primitive, parents.get(primitive.id) ?? [], operation, { now: nowSeconds, node: attributes });
}
