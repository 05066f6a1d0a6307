// Rules as Pacemaker evaluates them: expressions on a node's attributes (#uname, #id, #kind and
// the node's own), date expressions, rsc_expression and op_expression, nested rules; and nvpair
// sets ordered by score whose rules decide whether they apply.
import { dateExpressionHolds, parseDurationMs, parseScore, type Attributes, type Expression, type NvSet, type OperationExpression, type ResourceExpression, type Rule, type RuleClock } from "../cib";

export type NodeAttributes = Record<string, string>;

function compare(expression: Expression, actual: string | undefined): boolean {
  const wanted = expression.value;
  switch (expression.operation) {
    case "defined": return actual !== undefined;
    case "not_defined": return actual === undefined;
  }
  if (actual === undefined || wanted === undefined) return expression.operation === "ne" && actual === undefined;
  // Without a type, ordering comparisons are numeric: "number" when either value has a
  // decimal point, else "integer". Values are read from their leading numeric text (3.6 as an
  // integer is 3); when either side has none, the comparison falls back to strings.
  const type = expression.type?.toLowerCase() ?? (["lt", "gt", "lte", "gte"].includes(expression.operation) ? (actual.includes(".") || wanted.includes(".") ? "number" : "integer") : "string");
  let order = actual < wanted ? -1 : actual > wanted ? 1 : 0;
  if (type === "integer" || type === "number") {
    const left = leadingNumber(actual, type === "integer");
    const right = leadingNumber(wanted, type === "integer");
    if (left !== undefined && right !== undefined) order = Math.sign(left - right);
  } else if (type === "version") order = compareVersions(actual, wanted);
  switch (expression.operation) {
    case "eq": return order === 0;
    case "ne": return order !== 0;
    case "lt": return order < 0;
    case "gt": return order > 0;
    case "lte": return order <= 0;
    case "gte": return order >= 0;
    default: return false;
  }
}

function leadingNumber(text: string, integer: boolean): number | undefined {
  const match = (integer ? /^\s*[+-]?\d+/ : /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/).exec(text);
  return match ? Number(match[0]) : undefined;
}

function compareVersions(left: string, right: string): number {
  const a = left.split(".").map((part) => Number.parseInt(part, 10) || 0);
  const b = right.split(".").map((part) => Number.parseInt(part, 10) || 0);
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    const difference = (a[index] ?? 0) - (b[index] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

/**
 * What a rule is evaluated against (Pacemaker's pe_rule_eval_data_t): the clock for date
 * expressions; a node's attributes for attribute expressions (without a node, none holds); a
 * resource for rsc_expression and an operation for op_expression (without one, none holds).
 */
export interface RuleContext extends RuleClock {
  node?: NodeAttributes;
  resource?: { class: string; provider?: string; type: string };
  operation?: { name: string; intervalMs: number };
  /**
   * The resource a location constraint is for (Pacemaker's match data): an expression with
   * value-source="param" or "meta" compares with that resource's instance or meta attribute
   * named by its value. Without it, the value is taken literally.
   */
  resourceValues?: { param: Record<string, string>; meta: Record<string, string> };
}

/** Whether a rule holds (pe_eval_expr): every part for boolean-op "and", any part for "or"; a rule with no parts does not hold. */
export function ruleHolds(rule: Rule, context: RuleContext): boolean {
  const parts: Array<() => boolean> = [
    ...rule.expressions.map((expression) => () => context.node !== undefined && compare(withValueSource(expression, context), context.node[expression.attribute])),
    ...(rule.dateExpressions ?? []).map((expression) => () => dateExpressionHolds(expression, context)),
    ...(rule.resourceExpressions ?? []).map((expression) => () => resourceMatches(expression, context.resource)),
    ...(rule.operationExpressions ?? []).map((expression) => () => operationMatches(expression, context.operation)),
    ...rule.rules.map((inner) => () => ruleHolds(inner, context)),
  ];
  if (parts.length === 0) return false;
  return rule.booleanOp === "or" ? parts.some((part) => part()) : parts.every((part) => part());
}

/** The expression with its value read from the resource when value-source says so (expand_value_source). */
function withValueSource(expression: Expression, context: RuleContext): Expression {
  const source = expression.valueSource?.toLowerCase();
  if (context.resourceValues === undefined || (source !== "param" && source !== "meta") || expression.value === undefined || expression.value === "") return expression;
  const { value: name, ...rest } = expression;
  const value = context.resourceValues[source][name];
  return value === undefined ? rest : { ...rest, value };
}

/**
 * rsc_expression (pe__eval_rsc_expr): the class and type match when given; the provider must
 * equal the resource's, a missing one matching only a resource without a provider.
 */
function resourceMatches(expression: ResourceExpression, resource: RuleContext["resource"]): boolean {
  if (resource === undefined) return false;
  return (expression.class === undefined || expression.class === resource.class)
    && expression.provider === resource.provider
    && (expression.type === undefined || expression.type === resource.type);
}

/** op_expression (pe__eval_op_expr): the name matches, and the interval when one is given. */
function operationMatches(expression: OperationExpression, operation: RuleContext["operation"]): boolean {
  if (operation === undefined || expression.name !== operation.name) return false;
  return expression.interval === undefined || parseDurationMs(expression.interval) === operation.intervalMs;
}

/** Whether a rule holds on a node at a time (location constraints, attribute sets evaluated for a node). */
export function ruleMatches(rule: Rule, attributes: NodeAttributes, clock: RuleClock, resourceValues?: RuleContext["resourceValues"]): boolean {
  return ruleHolds(rule, { ...clock, node: attributes, ...(resourceValues ? { resourceValues } : {}) });
}

/**
 * The values of nvpair sets as Pacemaker unpacks them (pe_eval_nvpairs): sets in order of
 * their score, highest first (equal scores in document order); a set whose rule does not hold
 * is skipped; the first set to name a key gives its value.
 */
export function evaluateSets(sets: readonly NvSet[], context: RuleContext): Attributes {
  const result: Attributes = {};
  for (const set of applicableSets(sets, context)) for (const [key, value] of Object.entries(set.values)) if (!(key in result)) result[key] = value;
  return result;
}

/** The sets that apply, in the order evaluateSets reads them (so flattenSets of them gives its values). */
export function applicableSets(sets: readonly NvSet[], context: RuleContext): NvSet[] {
  return sets.map((set, index) => ({ set, index, score: parseScore(set.score) }))
    .sort((left, right) => right.score - left.score || left.index - right.index)
    .filter(({ set }) => set.rule === undefined || ruleHolds(set.rule, context))
    .map(({ set }) => set);
}

/** Whether any set has a rule or a score, so that evaluating them can differ from taking them in document order. */
export function setsNeedEvaluation(sets: readonly NvSet[]): boolean {
  return sets.some((set) => set.rule !== undefined || (set.score !== undefined && parseScore(set.score) !== 0));
}
