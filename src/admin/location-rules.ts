// Location constraints with rules, as pcs 0.11 writes them: `constraint location RSC rule
// [options] EXPRESSION`, `constraint rule add CONSTRAINT [options] EXPRESSION` and
// `constraint rule remove RULE`. Ids follow pcs's pattern: location-RSC, its rule
// location-RSC-rule, expressions RULE-expr, RULE-expr-1, a nested rule RULE-rule (score 0,
// Pacemaker reads only the top rule's score), date_spec EXPR-datespec, duration EXPR-duration.
import type { Attributes, Cib, DateExpression, LocationConstraint, Rule } from "../cib";
import { EdgehaError } from "../common/errors";
import { didYouMean } from "../common/suggest";
import { normaliseScore, requireFreeId, requireResource, uniqueId } from "./lookup";
import { parseRuleWords, type RuleTree } from "./rule-words";
import type { AdminEdit } from "./types";

type Edit<K extends AdminEdit["kind"]> = Extract<AdminEdit, { kind: K }>;

/** The options that may come before the expression: pcs reads NAME=VALUE words until the first other word. */
const RULE_OPTIONS = ["id", "role", "score", "score-attribute"];
const LOCATION_OPTIONS = [...RULE_OPTIONS, "constraint-id", "resource-discovery"];
const DISCOVERY = ["always", "never", "exclusive"];
/** Roles a rule may name, as pcs takes them (the last two are the deprecated names), and what is written. */
const RULE_ROLES: Record<string, string> = { Promoted: "Promoted", Unpromoted: "Unpromoted", Master: "Promoted", Slave: "Unpromoted" };

/** Splits `[NAME=VALUE...] EXPRESSION...` into the leading options and the expression words. */
export function splitRuleOptions(words: readonly string[], location: boolean): { options: Attributes; expression: string[] } {
  const known = location ? LOCATION_OPTIONS : RULE_OPTIONS;
  const options: Attributes = {};
  let at = 0;
  for (; at < words.length; at += 1) {
    const name = known.find((option) => words[at]!.startsWith(`${option}=`));
    if (name === undefined) break;
    options[name] = words[at]!.slice(name.length + 1);
  }
  return { options, expression: words.slice(at) };
}

class RuleBuilder {
  private readonly taken = new Set<string>();

  constructor(private readonly cib: Cib) {}

  id(base: string): string {
    const id = uniqueId(this.cib, base, this.taken);
    this.taken.add(id);
    return id;
  }

  rule(id: string, tree: RuleTree): Rule {
    const rule: Rule = { id, booleanOp: "and", expressions: [], rules: [] };
    this.fill(rule, tree);
    return rule;
  }

  /** A chain of one operator stays in one rule; the other operator inside it becomes a nested rule. */
  private fill(rule: Rule, tree: RuleTree): void {
    if (tree.kind === "boolean") {
      rule.booleanOp = tree.operator;
      for (const side of [tree.left, tree.right]) {
        if (side.kind === "boolean" && side.operator !== tree.operator) rule.rules.push({ ...this.rule(this.id(`${rule.id}-rule`), side), score: "0" });
        else this.fill(rule, side);
      }
      return;
    }
    const id = this.id(`${rule.id}-expr`);
    switch (tree.kind) {
      case "defined": rule.expressions.push({ id, attribute: tree.attribute, operation: tree.operator }); return;
      case "compare": rule.expressions.push({ id, attribute: tree.attribute, operation: tree.operator, ...(tree.type === undefined ? {} : { type: tree.type }), value: tree.value }); return;
      case "date": (rule.dateExpressions ??= []).push({ id, operation: tree.operator, ...(tree.operator === "gt" ? { start: tree.date } : { end: tree.date }) }); return;
      case "range": {
        const expression: DateExpression = { id, operation: "in_range", start: tree.start, ...(tree.end === undefined ? {} : { end: tree.end }) };
        if (tree.duration) expression.duration = { id: this.id(`${id}-duration`), ...tree.duration };
        (rule.dateExpressions ??= []).push(expression);
        return;
      }
      case "date-spec": (rule.dateExpressions ??= []).push({ id, operation: "date_spec", dateSpec: { id: this.id(`${id}-datespec`), ...tree.parts } }); return;
    }
  }
}

/** The top rule with the options pcs takes (score INFINITY unless score or score-attribute is given), and warnings. */
function newRule(draft: Cib, owner: string, options: Attributes, expression: readonly string[]): { rule: Rule; warnings: string[] } {
  const tree = parseRuleWords(expression);
  if (options.score !== undefined && options["score-attribute"] !== undefined) throw new EdgehaError("E_ADMIN_ARGUMENT", "rule: give score or score-attribute, not both");
  const warnings: string[] = [];
  let role: string | undefined;
  if (options.role !== undefined) {
    const written = options.role.charAt(0).toUpperCase() + options.role.slice(1).toLowerCase();
    role = RULE_ROLES[written];
    if (role === undefined) throw new EdgehaError("E_ADMIN_ARGUMENT", `rule: invalid role '${options.role}', use Promoted or Unpromoted`);
    if (written !== role) warnings.push(`role '${options.role}' is deprecated; it is written as ${role}`);
  }
  if (options.id !== undefined) requireFreeId(draft, options.id, "rule");
  const builder = new RuleBuilder(draft);
  const rule = builder.rule(options.id ?? builder.id(`${owner}-rule`), tree);
  if (options["score-attribute"] !== undefined) rule.scoreAttribute = options["score-attribute"];
  else rule.score = normaliseScore(options.score ?? "INFINITY", "rule score");
  if (role !== undefined) rule.role = role;
  return { rule, warnings };
}

/** A rule as text that does not depend on ids or the order of its parts (pcs's test of a duplicate). */
function ruleText(rule: Rule): string {
  const parts = [
    ...rule.expressions.map((item) => (item.value === undefined ? `${item.operation} ${item.attribute}` : `${item.attribute} ${item.operation} ${item.type ?? "string"} ${item.value}`)),
    ...(rule.dateExpressions ?? []).map((item) => `date ${item.operation ?? "in_range"} ${item.start ?? ""} ${item.end ?? ""} ${JSON.stringify(withoutId(item.duration))} ${JSON.stringify(withoutId(item.dateSpec))}`),
    ...rule.rules.map((item) => `(${ruleText(item)})`),
  ].sort();
  return parts.join(` ${rule.booleanOp} `);
}

function withoutId(values: Attributes | undefined): Attributes | undefined {
  if (values === undefined) return undefined;
  const { id: _id, ...rest } = values;
  return Object.fromEntries(Object.entries(rest).sort(([left], [right]) => left.localeCompare(right)));
}

/** E_ADMIN_EXISTS when another location constraint of the same resource has the same rules, unless force. */
function refuseDuplicate(draft: Cib, constraint: LocationConstraint, force: boolean | undefined): void {
  if (force === true) return;
  const key = (item: LocationConstraint) => JSON.stringify([item.rsc, item.rscPattern ?? null, item.rules.map(ruleText)]);
  const duplicate = draft.constraints.find((item): item is LocationConstraint => item.kind === "location" && item !== constraint && item.rules.length > 0 && key(item) === key(constraint));
  if (duplicate) throw new EdgehaError("E_ADMIN_EXISTS", `location constraint '${duplicate.id}' already has this rule (${duplicate.rules.map(ruleText).join("; ")}); --force adds it again`, { id: duplicate.id });
}

export function locationRule(draft: Cib, edit: Edit<"location-rule">): string[] {
  const pattern = edit.rsc.startsWith("regexp%") ? edit.rsc.slice("regexp%".length) : undefined;
  if (pattern === undefined) requireResource(draft, edit.rsc.replace(/^resource%/, ""));
  const rsc = pattern === undefined ? edit.rsc.replace(/^resource%/, "") : "";
  const discovery = edit.options["resource-discovery"];
  if (discovery !== undefined && !DISCOVERY.includes(discovery)) throw new EdgehaError("E_ADMIN_ARGUMENT", `rule: resource-discovery='${discovery}' is not one of ${DISCOVERY.join(", ")}${didYouMean(discovery, DISCOVERY)}`);
  const given = edit.options["constraint-id"];
  if (given !== undefined) requireFreeId(draft, given, "constraint");
  // pcs drops the characters an id may not hold (vip.* gives location-vip.).
  const id = given ?? uniqueId(draft, `location-${pattern ?? rsc}`.replace(/[^A-Za-z0-9._-]/g, ""));
  const constraint: LocationConstraint = { kind: "location", id, rsc, rules: [], extra: discovery === undefined ? {} : { "resource-discovery": discovery } };
  if (pattern !== undefined) constraint.rscPattern = pattern;
  // The constraint's id is taken before its rule's ids are chosen, as pcs adds the element first.
  draft.constraints.push(constraint);
  const { rule, warnings } = newRule(draft, id, edit.options, edit.expression);
  constraint.rules.push(rule);
  refuseDuplicate(draft, constraint, edit.force);
  return warnings;
}

export function ruleAdd(draft: Cib, edit: Edit<"rule-add">): string[] {
  const locations = draft.constraints.filter((item): item is LocationConstraint => item.kind === "location");
  const constraint = locations.find((item) => item.id === edit.constraint);
  if (!constraint) throw new EdgehaError("E_ADMIN_UNKNOWN_CONSTRAINT", `no location constraint with id '${edit.constraint}'${didYouMean(edit.constraint, locations.map((item) => item.id))}`, { id: edit.constraint });
  const { rule, warnings } = newRule(draft, constraint.id, edit.options, edit.expression);
  // A constraint with rules takes its nodes and scores from them, so pcs drops node and score.
  delete constraint.node;
  delete constraint.score;
  constraint.rules.push(rule);
  refuseDuplicate(draft, constraint, edit.force);
  return warnings;
}

/** Removes a rule; a constraint left without rules is removed with it, as pcs does. */
export function ruleRemove(draft: Cib, edit: Edit<"rule-remove">): string[] {
  const locations = draft.constraints.filter((item): item is LocationConstraint => item.kind === "location");
  const constraint = locations.find((item) => item.rules.some((rule) => rule.id === edit.id));
  if (!constraint) {
    const ids = locations.flatMap((item) => item.rules.map((rule) => rule.id));
    throw new EdgehaError("E_ADMIN_UNKNOWN_CONSTRAINT", `no location rule with id '${edit.id}'${ids.length === 0 ? " (there are none)" : didYouMean(edit.id, ids)}`, { id: edit.id });
  }
  if (constraint.rules.length > 1) {
    constraint.rules = constraint.rules.filter((rule) => rule.id !== edit.id);
    return [];
  }
  draft.constraints = draft.constraints.filter((item) => item !== constraint);
  return [`removed constraint '${constraint.id}' with its only rule`];
}
