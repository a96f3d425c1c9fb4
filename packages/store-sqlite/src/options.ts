/**
 * Option checks shared by the store and the audit log. Identifiers end up inside SQL text (table
 * and index names cannot be bound as parameters), so anything but a plain identifier is refused
 * here, before a statement is ever built. Options may arrive as strings from a `sqlite:` URI.
 */
import { IdempotencyStoreError } from "@agent-idempotency/core";

const TABLE = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
// No ":": Keyv joins namespace and key with ":", so namespaces "t" and "t:x" would share rows.
const NAMESPACE = /^[A-Za-z0-9_.-]{1,100}$/;

function fail(message: string): never {
  throw new IdempotencyStoreError(`[store-sqlite] ${message}`);
}

/** A table name: a letter or underscore, then letters, digits, underscores (at most 63). */
export function tableOption(name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || !TABLE.test(value)) {
    fail(`option "${name}" must be a plain identifier (a letter or _, then letters, digits or _, at most 63), got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A key prefix: letters, digits and `_ - .` (at most 100; no ":", so namespaces cannot nest). */
export function namespaceOption(value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || !NAMESPACE.test(value)) {
    fail(`option "namespace" may hold only letters, digits, "_", "-" and "." (1 to 100; no ":", which would let namespaces nest), got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A non-negative integer, also given as a string of digits. */
export function countOption(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const n = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
    fail(`option "${name}" must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** A database path: a non-empty string (`":memory:"` for an in-memory database). */
export function pathOption(value: unknown): string {
  if (typeof value !== "string" || value === "") {
    fail(`option "path" must name a database file or ":memory:", got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A boolean, also given as the string `"true"` or `"false"` (from a URI). */
export function boolOption(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  fail(`option "${name}" must be true or false, got ${JSON.stringify(value)}`);
}
