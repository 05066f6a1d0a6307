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
  const numeric = expression.type === "number" || expression.type === "integer" || (expression.type === undefined && ["lt", "gt", "lte", "gte"].includes(expression.operation));
  const order = numeric ? Number(actual) - Number(wanted) : actual < wanted ? -1 : actual > wanted ? 1 : 0;
  if (Number.isNaN(order)) return false;
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

/** Whether a rule holds for a node; date expressions and unknown operations do not hold. */
export function ruleMatches(rule: Rule, attributes: NodeAttributes): boolean {
  const results = [
    ...rule.expressions.map((expression) => compare(expression, attributes[expression.attribute])),
    ...rule.rules.map((inner) => ruleMatches(inner, attributes)),
  ];
  if (results.length === 0) return false;
  return rule.booleanOp === "or" ? results.some(Boolean) : results.every(Boolean);
}
