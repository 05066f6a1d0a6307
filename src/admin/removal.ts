// What goes when resources go: constraints that name them (a resource set only
// loses the reference, unless it is left empty) and their place in fencing levels.
import { constraintResources, type Cib, type Constraint } from "../cib";

function withoutResources(constraint: Constraint, gone: ReadonlySet<string>): Constraint | undefined {
  if (constraint.kind !== "colocation-sets" && constraint.kind !== "order-sets") {
    return constraintResources(constraint).some((name) => gone.has(name)) ? undefined : constraint;
  }
  const sets = constraint.sets
    .map((set) => ({ ...set, resources: set.resources.filter((name) => !gone.has(name)) }))
    .filter((set) => set.resources.length > 0);
  return sets.length === 0 ? undefined : { ...constraint, sets };
}

/** Removes every trace of the resources in `gone` from constraints and fencing levels; returns warnings saying what went. */
export function forgetResources(draft: Cib, gone: ReadonlySet<string>): string[] {
  const warnings: string[] = [];
  const kept: Constraint[] = [];
  for (const constraint of draft.constraints) {
    const result = withoutResources(constraint, gone);
    if (result) kept.push(result);
    else warnings.push(`removed ${constraint.kind} constraint '${constraint.id}', which named ${constraintResources(constraint).filter((name) => gone.has(name)).map((name) => `'${name}'`).join(" and ")}`);
    if (result && result !== constraint) warnings.push(`constraint '${constraint.id}' no longer names ${[...gone].filter((name) => constraintResources(constraint).includes(name)).map((name) => `'${name}'`).join(", ")}`);
  }
  draft.constraints = kept;
  draft.fencingTopology = draft.fencingTopology.flatMap((level) => {
    if (!level.devices.some((device) => gone.has(device))) return [level];
    const devices = level.devices.filter((device) => !gone.has(device));
    if (devices.length === 0) {
      warnings.push(`removed fencing level '${level.id}' (level ${level.index}), which had no other device`);
      return [];
    }
    warnings.push(`fencing level '${level.id}' no longer uses ${level.devices.filter((device) => gone.has(device)).join(", ")}`);
    return [{ ...level, devices }];
  });
  return warnings;
}
