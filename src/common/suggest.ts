// "Did you mean" suggestions for unknown names (commands, config keys, resources).

/** Levenshtein distance, bounded: strings longer than 128 characters are compared by prefix. */
export function editDistance(left: string, right: string): number {
  const a = left.slice(0, 128);
  const b = right.slice(0, 128);
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(current[j - 1]! + 1, previous[j]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The candidates close to `name`, nearest first (at most `limit`). */
export function nearMatches(name: string, candidates: Iterable<string>, limit = 3): string[] {
  const threshold = Math.max(2, Math.floor(name.length / 3));
  const scored: Array<[string, number]> = [];
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    const prefix = candidate.startsWith(name) || name.startsWith(candidate);
    if (distance <= threshold || (prefix && name.length >= 2)) scored.push([candidate, distance]);
  }
  scored.sort((x, y) => x[1] - y[1] || x[0].localeCompare(y[0]));
  return scored.slice(0, limit).map(([candidate]) => candidate);
}

/** " (did you mean 'x'?)" or "" when nothing is close. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const matches = nearMatches(name, candidates);
  if (matches.length === 0) return "";
  return ` (did you mean ${matches.map((match) => `'${match}'`).join(" or ")}?)`;
}
