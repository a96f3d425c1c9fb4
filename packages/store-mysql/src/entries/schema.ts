/**
 * `@agent-idempotency/store-mysql/schema`: the DDL `setup()` applies, step by step, for a DBA who
 * reviews it or applies it by hand (the application then needs no DDL privilege).
 *
 * @packageDocumentation
 */

export { AUDIT_MIGRATIONS, STORE_MIGRATIONS } from "../migrations.js";
export type { Migration } from "../migrations.js";
export type { Query } from "../raw-client.js";
