// Location rules on node attributes: #uname, #id, #kind and the node's own attributes.
import type { Expression, Rule } from "../cib";

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

/** Whether a rule holds for a node; date expressions and unknown operations do not hold. */
export function ruleMatches(rule: Rule, attributes: NodeAttributes): boolean {
  const results = [
    ...rule.expressions.map((expression) => compare(expression, attributes[expression.attribute])),
    ...rule.rules.map((inner) => ruleMatches(inner, attributes)),
  ];
  if (results.length === 0) return false;
  return rule.booleanOp === "or" ? results.some(Boolean) : results.every(Boolean);
}

/**
 * Whether a rule of a resource defaults set (rsc_defaults, op_defaults) holds for a resource:
 * its rsc_expressions compare the resource's class, provider and type (those given); node
 * attribute expressions have no node to read there and do not hold.
 */
export function ruleMatchesResource(rule: Rule, resource: { class: string; provider?: string; type: string }): boolean {
  const results = [
    ...(rule.resourceExpressions ?? []).map((expression) => (expression.class === undefined || expression.class === resource.class)
      && (expression.provider === undefined || expression.provider === resource.provider) && (expression.type === undefined || expression.type === resource.type)),
    ...rule.expressions.map((expression) => compare(expression, undefined)),
    ...rule.rules.map((inner) => ruleMatchesResource(inner, resource)),
  ];
  if (results.length === 0) return false;
  return rule.booleanOp === "or" ? results.some(Boolean) : results.every(Boolean);
}
