// The graph under construction (pass 9, graph.ts): operations keyed by kind, resource and node,
// and ordering edges kept once each.
import type { GraphOperation, OperationKind } from "./types";

/**
 * An operation while the graph is built. Pseudo-operations (a stop implied by fencing, the
 * start a migration achieves) order others and are removed at the end.
 */
export interface Draft extends GraphOperation { implied?: boolean }

export interface Migration { migrateTo: Draft | undefined; migrateFrom: Draft; start: Draft; partial: boolean }

export class Builder {
  readonly operations: Draft[] = [];
  private readonly byKey = new Map<string, Draft>();
  readonly byMember = new Map<string, Draft[]>();
  private readonly edges = new Set<string>();
  /** Resources that migrate in this transition, with their operations. */
  readonly migrations = new Map<string, Migration>();

  add(kind: OperationKind, node: string, resource: string | undefined, reason: string, extra: Partial<Draft> = {}): Draft {
    const key = `${kind}\u0000${resource ?? ""}\u0000${node}`;
    const existing = kind === "notify" ? undefined : this.byKey.get(key);
    if (existing) return existing;
    const operation: Draft = { id: this.operations.length, kind, node, ...(resource !== undefined ? { resource } : {}), after: [], reason, ...extra };
    this.operations.push(operation);
    if (kind !== "notify") this.byKey.set(key, operation);
    if (resource !== undefined && kind !== "notify") {
      const list = this.byMember.get(resource);
      if (list) list.push(operation); else this.byMember.set(resource, [operation]);
    }
    return operation;
  }

  order(first: Draft, then: Draft): void {
    if (first === then) return;
    const key = `${first.id}>${then.id}`;
    if (this.edges.has(key)) return;
    this.edges.add(key);
    then.after.push(first.id);
  }

  orderAll(firsts: readonly Draft[], thens: readonly Draft[]): void {
    for (const then of thens) for (const first of firsts) this.order(first, then);
  }

  /** Removes the orderings of each of `firsts` before `then`. */
  unorder(firsts: readonly Draft[], then: Draft): void {
    const ids = new Set(firsts.map((first) => first.id));
    for (const id of ids) this.edges.delete(`${id}>${then.id}`);
    const kept = then.after.filter((id) => !ids.has(id));
    then.after.splice(0, then.after.length, ...kept);
  }

  of(member: string, kind: OperationKind): Draft[] {
    return (this.byMember.get(member) ?? []).filter((operation) => operation.kind === kind);
  }
}
