/**
 * Normalizers turn what a model writes into what it means, so that cosmetic differences do not
 * change a key: `" Ada@Example.com "` and `"ada@example.com"`, or `"2026-12-01T11:00+01:00"` and
 * `"2026-12-01T10:00:00Z"`. A normalizer that cannot understand its input throws
 * {@link IdempotencyKeyError} naming the field: guessing would merge different calls, and passing
 * the value through unchanged would hide that the policy does not fit the tool.
 *
 * This file holds the scalar normalizers; arrays are in normalize-arrays.ts, amounts in
 * normalize-money.ts, phone numbers in the `@agent-idempotency/core/phone` entry. The engine
 * passes each the field's path; a built-in called without one (from JavaScript, on its own) names
 * the field `value` in its errors.
 */
import { IdempotencyKeyError } from "./errors.js";

/** Turns a field's value into its canonical form. `field` is the path, for error messages. */
export type Normalizer = (value: unknown, field: string) => unknown;

/**
 * Gives a normalizer the name that `explainKey` prints (`"sortedBy(email)"`, `"trim+lowercase"`).
 * @internal
 */
export function named<T extends Normalizer>(name: string, fn: T): T {
  Object.defineProperty(fn, "name", { value: name, configurable: true });
  return fn;
}

/** Throws the error every built-in normalizer throws for a value of the wrong kind. @internal */
export function refuseValue(kind: string, name: string, value: unknown, field: string): never {
  const got = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
  throw new IdempotencyKeyError(`${field}: the ${name} normalizer expects ${kind}, got ${got}`, { field });
}

/** Throws for a value of the right kind that cannot be read (`"maybe"` for a boolean). @internal */
export function unreadable(field: string, name: string, value: string, hint: string): never {
  const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  throw new IdempotencyKeyError(`${field}: the ${name} normalizer cannot read ${JSON.stringify(shown)}; ${hint}`, { field });
}

/**
 * Strips surrounding whitespace.
 * @example trim("  ada@example.com\n", "email") // "ada@example.com"
 */
export const trim: Normalizer = (value, field = "value") => (typeof value === "string" ? value.trim() : refuseValue("a string", "trim", value, field));

/**
 * Lower-cases (after Unicode NFC, so composed and decomposed accents agree). For identifiers that
 * are case-insensitive: e-mail addresses, hostnames, tags.
 * @example lowercase("Zoë@Example.COM", "email") // "zoë@example.com"
 */
export const lowercase: Normalizer = (value, field = "value") =>
  typeof value === "string" ? value.normalize("NFC").toLowerCase() : refuseValue("a string", "lowercase", value, field);

/**
 * Unicode NFC, and nothing else: `"Cafe\u0301"` (e + combining accent) and `"Café"` become the
 * same string, case and spacing untouched. For names and titles, where case matters to the user.
 * @example nfc("Cafe\u0301 Rene\u0301", "title") // "Café René"
 */
export const nfc: Normalizer = (value, field = "value") => (typeof value === "string" ? value.normalize("NFC") : refuseValue("a string", "nfc", value, field));

/**
 * Trims, and turns every run of whitespace (spaces, tabs, line breaks, no-break spaces) into one
 * space. For free text whose line breaks carry no meaning: subjects, titles, short messages. Not
 * for code, addresses with line structure, or anything where layout is content.
 * @example collapseWhitespace("Quarterly  review\n\n", "subject") // "Quarterly review"
 */
export const collapseWhitespace: Normalizer = (value, field = "value") =>
  typeof value === "string" ? value.trim().replace(/\s+/g, " ") : refuseValue("a string", "collapseWhitespace", value, field);

const ISO_LIKE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const HAS_ZONE = /(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * The instant as an ISO 8601 UTC string (`2026-12-01T10:00:00.000Z`). Accepts ISO strings
 * (a string without a zone is read as UTC, not as this machine's local time), epoch milliseconds
 * and `Date`s.
 * @example isoInstant("2026-12-01T11:00:00+01:00", "slot") // "2026-12-01T10:00:00.000Z"
 */
export const isoInstant: Normalizer = (value, field = "value") => {
  let ms: number;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === "number") ms = value;
  else if (typeof value === "string") {
    const s = value.trim();
    if (!ISO_LIKE.test(s)) {
      throw new IdempotencyKeyError(`${field}: "${s.slice(0, 40)}" is not an ISO 8601 date-time; send e.g. 2026-12-01T10:00:00Z`, { field });
    }
    const withT = s.replace(" ", "T");
    ms = Date.parse(HAS_ZONE.test(withT) || !withT.includes("T") ? withT : `${withT}Z`);
  } else return refuseValue("a date-time string, epoch milliseconds or a Date", "isoInstant", value, field);
  if (!Number.isFinite(ms)) throw new IdempotencyKeyError(`${field}: not a valid instant`, { field });
  return new Date(ms).toISOString();
};

/**
 * A number from a number or a numeric string (`"1e3"`, `" 1000 "`, `"1,000"` all give 1000).
 * A comma is read only as a thousands separator before exactly three digits; `"1,5"` is refused.
 * @example number(" 1,250.00 ", "amount") // 1250
 */
export const number: Normalizer = (value, field = "value") => {
  if (typeof value === "number" && Number.isFinite(value)) return Object.is(value, -0) ? 0 : value;
  if (typeof value === "string") {
    const s = value.trim().replace(/(?<=\d),(?=\d{3}\b)/g, "");
    const n = s === "" ? Number.NaN : Number(s);
    if (Number.isFinite(n)) return Object.is(n, -0) ? 0 : n;
  }
  throw new IdempotencyKeyError(`${field}: the number normalizer expects a finite number or numeric string`, { field });
};

const TRUE_WORDS = new Set(["true", "t", "yes", "y", "on", "1"]);
const FALSE_WORDS = new Set(["false", "f", "no", "n", "off", "0"]);

/**
 * A boolean from a boolean, `1`/`0`, or the common string spellings, in any case and with
 * surrounding whitespace: `"true"`/`"false"`, `"yes"`/`"no"`, `"y"`/`"n"`, `"t"`/`"f"`,
 * `"on"`/`"off"`, `"1"`/`"0"`. Anything else (`""`, `"2"`, `"maybe"`, `null`) is refused.
 * @example boolean(" Yes ", "send_invites") // true
 */
export const boolean: Normalizer = (value, field = "value") => {
  if (typeof value === "boolean") return value;
  if (value === 1 || value === 0) return value === 1;
  if (typeof value !== "string") return refuseValue("a boolean, 0/1 or a yes/no string", "boolean", value, field);
  const word = value.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return unreadable(field, "boolean", value, "send true or false");
};

/**
 * Runs several normalizers in order: `compose(trim, lowercase)`. Its name (in `explainKey`) joins
 * theirs with `+`.
 */
export function compose(...fns: Normalizer[]): Normalizer {
  return named(fns.map((f) => f.name || "custom").join("+"), (value, field = "value") => fns.reduce((v, fn) => fn(v, field), value));
}
