/**
 * Validation of the key prefix (the Keyv namespace). The prefix ends up in every Redis key and
 * in the `SCAN MATCH` pattern that `list()` and `purge()` use, so it is restricted to characters
 * that mean nothing to either: a glob character (`* ? [ ]`) would make `SCAN` match another
 * application's keys, and quotes, spaces or semicolons are never intended.
 */
import { IdempotencyStoreError } from "@agent-idempotency/core";

/** The prefix used when none is given. */
export const DEFAULT_PREFIX = "idempotency";

const MAX_LENGTH = 128;
const ALLOWED = /^[A-Za-z0-9_.-]+(?::[A-Za-z0-9_.-]+)*$/;

/**
 * Returns `value` when it is a usable prefix; throws {@link IdempotencyStoreError} naming the
 * option and what is allowed otherwise.
 *
 * Allowed: letters, digits, `_`, `-`, `.`, and single `:` between them (no leading, trailing or
 * doubled `:`). `::` is what `@keyv/redis` puts between its namespace and the key; forbidding it
 * here guarantees that no prefix's `SCAN MATCH <prefix>::<prefix>:*` also matches the keys of a
 * longer prefix.
 */
export function validatePrefix(option: string, value: unknown): string {
  if (typeof value === "string" && value.length <= MAX_LENGTH && ALLOWED.test(value)) return value;
  const shown = typeof value === "string" ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value) : typeof value;
  throw new IdempotencyStoreError(
    `[store-redis] invalid option ${option}: ${shown}. Use 1-${MAX_LENGTH} letters, digits, "_", "-", "." and single ":" separators; ` +
      `quotes, spaces, semicolons and the glob characters * ? [ ] are refused (they would break SCAN MATCH).`,
  );
}
