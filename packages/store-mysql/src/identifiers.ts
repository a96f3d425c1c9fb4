/**
 * Validation and quoting of the table names and the key namespace that come in as options.
 *
 * Why lower case only: whether MySQL table names are case-sensitive depends on the server's
 * `lower_case_table_names` (and so on its file system), so `MyTable` could be one table on Linux
 * and another on macOS. Lower-case names mean the same table everywhere. Every statement, ours
 * and `@keyv/mysql` 2's, quotes the name in backticks, so reserved words are harmless.
 */
import { IdempotencyStoreError } from "@agent-idempotency/core";

/** Room for the suffixes we append (`_migrations`, `_expires_idx`) within MySQL's 64 characters. */
const MAX_IDENTIFIER_LENGTH = 48;
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
// No ":": Keyv joins namespace and key with ":", so namespaces "t" and "t:x" would share rows.
const NAMESPACE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/**
 * Checks a table option: lower-case letters, digits and underscores, not starting with a digit,
 * at most 48 characters. Throws {@link IdempotencyStoreError} naming the option otherwise, so
 * nothing else ever reaches SQL.
 */
export function validateIdentifier(option: string, value: unknown): string {
  if (typeof value !== "string" || !IDENTIFIER.test(value) || value.length > MAX_IDENTIFIER_LENGTH) {
    throw new IdempotencyStoreError(
      `[store-mysql] invalid option ${option}: ${JSON.stringify(value)}; use 1 to ${MAX_IDENTIFIER_LENGTH} lower-case letters, ` +
        "digits or underscores, not starting with a digit",
    );
  }
  return value;
}

/**
 * Checks the Keyv namespace (the key prefix): letters, digits, `_`, `-` and `.`, at most 64
 * characters, not empty (an empty one would let `list()` and `purge()` cover every row of a table
 * that other Keyv users may share).
 */
export function validateNamespace(value: unknown): string {
  if (typeof value !== "string" || !NAMESPACE.test(value) || value.length > 64) {
    throw new IdempotencyStoreError(
      `[store-mysql] invalid option namespace: ${JSON.stringify(value)}; use 1 to 64 letters, digits, "_", "-" or "." (no ":", which would let namespaces nest), ` +
        "starting with a letter, digit or underscore",
    );
  }
  return value;
}

/** Backtick-quotes an identifier that {@link validateIdentifier} accepted (belt and braces). */
export function quoteIdent(name: string): string {
  return `\`${name.replaceAll("`", "``")}\``;
}

/**
 * The key range of a prefix under a binary collation: every key that starts with `prefix` sorts
 * at or after it and before `prefix` with its last character incremented. A range instead of
 * `LIKE 'prefix%'`, whose `_` (allowed in namespaces) would be a wildcard.
 */
export function prefixRange(prefix: string): [from: string, to: string] {
  const last = prefix.codePointAt(prefix.length - 1)!;
  return [prefix, prefix.slice(0, -1) + String.fromCodePoint(last + 1)];
}
