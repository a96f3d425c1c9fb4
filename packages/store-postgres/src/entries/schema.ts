/**
 * `@agent-idempotency/store-postgres/schema`: the DDL `setup()` applies, step by step, for a DBA who
 * reviews it or applies it by hand (the application then needs no DDL privilege), and the
 * expression the expiry index is built on.
 *
 * @packageDocumentation
 */

export { AUDIT_MIGRATIONS, EXPIRES_EXPRESSION, STORE_MIGRATIONS } from "../migrations.js";
export type { Migration } from "../migrations.js";
export type { TableName } from "../identifiers.js";
