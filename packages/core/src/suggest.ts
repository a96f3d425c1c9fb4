/**
 * "Did you mean" for configuration mistakes: a misspelt tool name (`send_invoce`), policy field
 * (`identty`) or schema field (`curency`) is reported with the name that was probably meant.
 */

/** Edit distance (insertions, deletions, substitutions, adjacent transpositions). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** Case and separators do not count: `sendInvoice`, `send-invoice` and `send_invoice` are one name. */
const fold = (s: string) => s.toLowerCase().replace(/[\s_\-.]/g, "");

/**
 * The candidate `name` was most likely meant to be, or undefined when none is close: at most one
 * edit per three characters (at least one, at most three), ignoring case and `_`/`-` separators.
 */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  const target = fold(name);
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    if (c === name) continue;
    const folded = fold(c);
    // A name cut short (`ttl` for `ttlMs`, `lease` for `leaseMs`) counts as one edit.
    const cut = target.length >= 3 && (folded.startsWith(target) || target.startsWith(folded));
    const dist = cut ? Math.min(1, distance(target, folded)) : distance(target, folded);
    if (dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  const allowed = Math.min(3, Math.max(1, Math.floor(target.length / 3)));
  return best !== undefined && bestDistance <= allowed ? best : undefined;
}

/** `' (did you mean "x"?)'`, or `""` when no candidate is close. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const c = closestName(name, candidates);
  return c === undefined ? "" : ` (did you mean "${c}"?)`;
}

/**
 * One problem per own field of `value` that `known` does not list, each with a suggestion:
 * `tools.book_calendar: unknown field "identty" (did you mean "identity"?)`.
 */
export function unknownFieldProblems(where: string, value: object, known: readonly string[]): string[] {
  const problems: string[] = [];
  for (const field of Object.keys(value)) {
    if (known.includes(field)) continue;
    const hint = didYouMean(field, known);
    problems.push(`${where}: unknown field "${field}"${hint === "" ? `; the known fields are ${known.join(", ")}` : hint}`);
  }
  return problems;
}
