/**
 * Normalizers turn what a model writes into what it means, so that cosmetic differences do not
 * change a key: `" Ada@Example.com "` and `"ada@example.com"`, or `"2026-12-01T11:00+01:00"` and
 * `"2026-12-01T10:00:00Z"`. A normalizer that cannot understand its input throws
 * {@link IdempotencyKeyError} naming the field: guessing would merge different calls.
 */
import { IdempotencyKeyError } from "./errors.js";

/** Turns a field's value into its canonical form. `field` is for error messages. */
export type Normalizer = (value: unknown, field: string) => unknown;

function expect(kind: string, name: string, value: unknown, field: string): never {
  throw new IdempotencyKeyError(`${field}: the ${name} normalizer expects ${kind}, got ${value === null ? "null" : typeof value}`, { field });
}

/** Strips surrounding whitespace. */
export const trim: Normalizer = (value, field) => (typeof value === "string" ? value.trim() : expect("a string", "trim", value, field));

/** Lower-cases (after Unicode NFC, so composed and decomposed accents agree). */
export const lowercase: Normalizer = (value, field) =>
  typeof value === "string" ? value.normalize("NFC").toLowerCase() : expect("a string", "lowercase", value, field);

const ISO_LIKE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const HAS_ZONE = /(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * The instant as an ISO 8601 UTC string (`2026-12-01T10:00:00.000Z`). Accepts ISO strings
 * (a string without a zone is read as UTC, not as this machine's local time), epoch milliseconds
 * and `Date`s.
 */
export const isoInstant: Normalizer = (value, field) => {
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
  } else return expect("a date-time string, epoch milliseconds or a Date", "isoInstant", value, field);
  if (!Number.isFinite(ms)) throw new IdempotencyKeyError(`${field}: not a valid instant`, { field });
  return new Date(ms).toISOString();
};

/** A number from a number or a numeric string (`"1e3"`, `" 1000 "`, `"1,000"` all give 1000). */
export const number: Normalizer = (value, field) => {
  if (typeof value === "number" && Number.isFinite(value)) return Object.is(value, -0) ? 0 : value;
  if (typeof value === "string") {
    const s = value.trim().replace(/(?<=\d),(?=\d{3}\b)/g, "");
    const n = s === "" ? Number.NaN : Number(s);
    if (Number.isFinite(n)) return Object.is(n, -0) ? 0 : n;
  }
  throw new IdempotencyKeyError(`${field}: the number normalizer expects a finite number or numeric string`, { field });
};

/** The built-in normalizers, for `normalize: { email: normalizers.lowercase }`. */
export const normalizers = { trim, lowercase, isoInstant, number } as const;

/** Runs several normalizers in order: `compose(trim, lowercase)`. */
export function compose(...fns: Normalizer[]): Normalizer {
  return (value, field) => fns.reduce((v, fn) => fn(v, field), value);
}
