/**
 * Validation and quoting of the SQL identifiers and the key namespace that come in as options.
 *
 * Why lower case only: `@keyv/postgres` 2.2 pastes `schema.table` into its SQL unquoted, and
 * Postgres folds unquoted names to lower case. We quote ours, so `"MyTable"` (ours) and `MyTable`
 * (Keyv's, read as `mytable`) would be two different tables. With lower-case names and no
 * reserved words, the quoted and the unquoted spelling name the same object.
 */
import { IdempotencyStoreError } from "@agent-idempotency/core";

/** Room for the suffixes we append (`_migrations`, `_expires_idx`) within Postgres' 63 bytes. */
const MAX_IDENTIFIER_LENGTH = 48;
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
// No ":": Keyv joins namespace and key with ":", so namespaces "t" and "t:x" would share rows
// (tenant t's key "x:k1" is tenant t:x's "k1") and one's list() would cover the other's.
const NAMESPACE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/**
 * Postgres' reserved and type/function-name keywords (`pg_get_keywords()` with catcode R or T,
 * PostgreSQL 15). Unquoted, Keyv's `schema.table` cannot use them.
 */
const RESERVED = new Set(
  ("all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate collation column " +
    "concurrently constraint create cross current_catalog current_date current_role current_schema current_time " +
    "current_timestamp current_user default deferrable desc distinct do else end except false fetch for foreign freeze from " +
    "full grant group having ilike in initially inner intersect into is isnull join lateral leading left like limit localtime " +
    "localtimestamp natural not notnull null offset on only or order outer overlaps placing primary references returning " +
    "right select session_user similar some symmetric table tablesample then to trailing true union unique user using " +
    "variadic verbose when where window with").split(" "),
);

/** A schema-qualified table name, validated. */
export interface TableName {
  /** The Postgres schema (lower case, no reserved word); the stores' default is `"public"`. */
  schema: string;
  /** The table inside `schema` (lower case, at most 48 characters, no reserved word). */
  table: string;
}

/**
 * Checks a table or schema option: lower-case letters, digits and underscores, not starting with
 * a digit, at most 48 characters, not a reserved word. Throws {@link IdempotencyStoreError}
 * naming the option otherwise, so nothing else ever reaches SQL.
 */
export function validateIdentifier(option: string, value: unknown): string {
  if (typeof value !== "string" || !IDENTIFIER.test(value) || value.length > MAX_IDENTIFIER_LENGTH || RESERVED.has(value)) {
    throw new IdempotencyStoreError(
      `[store-postgres] invalid option ${option}: ${JSON.stringify(value)}; use 1 to ${MAX_IDENTIFIER_LENGTH} lower-case letters, ` +
        "digits or underscores, not starting with a digit and not an SQL reserved word",
    );
  }
  return value;
}

/**
 * Checks the Keyv namespace (the key prefix): letters, digits, `_`, `-` and `.`, at most 64
 * characters. It must not be empty: without it `list()` and `purge()` would cover every row of a
 * table that other Keyv users may share.
 */
export function validateNamespace(value: unknown): string {
  if (typeof value !== "string" || !NAMESPACE.test(value) || value.length > 64) {
    throw new IdempotencyStoreError(
      `[store-postgres] invalid option namespace: ${JSON.stringify(value)}; use 1 to 64 letters, digits, "_", "-" or "." (no ":", which would let namespaces nest), ` +
        "starting with a letter, digit or underscore",
    );
  }
  return value;
}

/** Double-quotes an identifier that {@link validateIdentifier} accepted (quoting is belt and braces). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `"schema"."table"`, optionally with a suffix on the table (`_migrations`). */
export function qualified(name: TableName, suffix = ""): string {
  return `${quoteIdent(name.schema)}.${quoteIdent(name.table + suffix)}`;
}
