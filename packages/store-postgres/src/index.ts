/**
 * `@agent-idempotency/store-postgres`: `PostgresStore`, records shared by every process and machine
 * on one PostgreSQL database, and `PostgresAuditLog`, the audit table beside them.
 *
 * The DDL `setup()` applies is in `@agent-idempotency/store-postgres/schema`, for a DBA who reviews
 * it or applies it by hand.
 *
 * @packageDocumentation
 */

export { PostgresStore } from "./postgres-store.js";
export type { PostgresStoreOptions } from "./postgres-store.js";
export { PostgresAuditLog } from "./audit-log.js";
export type { PostgresAuditLogOptions } from "./audit-log.js";
export type { PgPool, PgPoolClient, PgResult } from "./raw-client.js";
export type { TableName } from "./identifiers.js";
