/**
 * Normalizers for arrays whose order carries no meaning (attendees, recipients, labels, the lines
 * of a cart), and for normalizing each element of an array.
 *
 * Order is put back deterministically: by the element's canonical JSON (RFC 8785), or by one of
 * its fields and then its canonical JSON, so two permutations of the same elements always give
 * the same array, and two arrays with different elements never do. Compose element normalizers
 * first: `compose(each(lowercase), asSet)` sorts what the elements mean, not how they were written.
 */
import { canonicalJson } from "./canonical.js";
import { IdempotencyKeyError, IdempotencyPolicyError } from "./errors.js";
import { parsePath, readPath } from "./key.js";
import type { Normalizer } from "./normalize.js";
import { named, refuseValue } from "./normalize.js";

function asArray(value: unknown, name: string, field: string): unknown[] {
  return Array.isArray(value) ? value : refuseValue("an array", name, value, field);
}

/** Code-unit order, as RFC 8785 sorts member names: the same on every machine and locale. */
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function sortByCanonical(items: readonly unknown[], field: string): unknown[] {
  // canonicalJson refuses what JSON cannot carry, with the element's own path.
  const keyed = items.map((item, i) => {
    try {
      return { item, text: canonicalJson(item) };
    } catch (e) {
      throw new IdempotencyKeyError(`${field}[${i}]: ${(e as Error).message.replace(/^\[agent-idempotency\] /, "")}`, { field: `${field}[${i}]`, cause: e });
    }
  });
  return keyed.sort((a, b) => byText(a.text, b.text));
}

/**
 * Applies `fn` to every element; each element's errors name it (`attendees[2]`).
 * @example each(lowercase)(["Ada@X.com", "bob@x.com"], "to") // ["ada@x.com", "bob@x.com"]
 */
export function each(fn: Normalizer): Normalizer {
  return named(`each(${fn.name || "custom"})`, (value, field = "value") => asArray(value, "each", field).map((item, i) => fn(item, `${field}[${i}]`)));
}

/**
 * The array as a set: sorted by canonical JSON, duplicates dropped. For recipients, attendees and
 * labels, where `["a", "b", "a"]` and `["b", "a"]` are the same request.
 * @example asSet(["bob@x.com", "ada@x.com", "bob@x.com"], "to") // ["ada@x.com", "bob@x.com"]
 */
export const asSet: Normalizer = named("asSet", (value, field = "value") => {
  const out: unknown[] = [];
  let last: string | undefined;
  for (const { item, text } of sortByCanonical(asArray(value, "asSet", field), field) as { item: unknown; text: string }[]) {
    if (text !== last) out.push(item);
    last = text;
  }
  return out;
});

/**
 * The array in a canonical order, duplicates kept (a multiset): for lists where a repeated element
 * means "twice", such as the lines of an order.
 * @example unordered([2, 1, 2], "seats") // [1, 2, 2]
 */
export const unordered: Normalizer = named("unordered", (value, field = "value") =>
  (sortByCanonical(asArray(value, "unordered", field), field) as { item: unknown }[]).map((k) => k.item),
);

/**
 * An array of objects sorted by one of their fields (a path such as `"email"` or `"sku.id"`),
 * ties broken by the whole element's canonical JSON, duplicates kept. Every element must have the
 * field. Numbers sort as numbers, everything else by canonical JSON.
 * @example sortedBy("sku")([{ sku: "B", qty: 1 }, { sku: "A", qty: 2 }], "items") // A first, then B
 */
export function sortedBy(path: string): Normalizer {
  try {
    parsePath(path); // a malformed path fails when the policy is written, not on the first call
  } catch (cause) {
    throw new IdempotencyPolicyError(`sortedBy("${path}"): ${(cause as Error).message.replace(/^\[agent-idempotency\] /, "")}`, { cause });
  }
  return named(`sortedBy(${path})`, (value, field = "value") => {
    const items = asArray(value, `sortedBy(${path})`, field);
    const keyed = (sortByCanonical(items, field) as { item: unknown; text: string }[]).map((k) => {
      const got = readPath(k.item, path);
      if (!got.found) {
        const at = `${field}[${items.indexOf(k.item)}].${path}`;
        throw new IdempotencyKeyError(`${at}: sortedBy("${path}") needs every element to have "${path}"`, { field: at });
      }
      return { ...k, by: got.value, byText: canonicalJson(got.value) };
    });
    keyed.sort((a, b) => {
      const primary = typeof a.by === "number" && typeof b.by === "number" ? a.by - b.by : byText(a.byText, b.byText);
      return primary !== 0 ? primary : byText(a.text, b.text);
    });
    return keyed.map((k) => k.item);
  });
}
