// Comparison of action lists with the corpus README's normalization: only some keys,
// action/kind case-insensitive, Master/Slave as Promoted/Unpromoted, blocked=false and
// null treated as absent; equal as multisets.
const KEYS = ["action", "resource", "node", "from", "to", "role", "from_role", "to_role", "kind", "container", "blocked"];
const ROLE_WORDS: Record<string, string> = { Master: "Promoted", Slave: "Unpromoted" };

export function normalizeAction(action: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const key of KEYS) {
    let value = action[key];
    if (value === null || value === undefined) continue;
    if (key === "blocked" && value === false) continue;
    if (key === "action" || key === "kind") value = String(value).toLowerCase();
    if (typeof value === "string" && value in ROLE_WORDS) value = ROLE_WORDS[value];
    parts.push(`${key}=${JSON.stringify(value)}`);
  }
  return parts.join(",");
}

export function sameActions(actual: Record<string, unknown>[], expected: Record<string, unknown>[]): boolean {
  const left = actual.map(normalizeAction).sort();
  const right = expected.map(normalizeAction).sort();
  return left.length === right.length && left.every((entry, index) => entry === right[index]);
}
