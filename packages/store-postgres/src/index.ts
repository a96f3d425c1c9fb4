export { PostgresStore } from "./postgres-store.js";
export type { PostgresStoreOptions } from "./postgres-store.js";
export { PostgresAuditLog } from "./audit-log.js";
export type { PostgresAuditLogOptions } from "./audit-log.js";
export { AUDIT_MIGRATIONS, EXPIRES_EXPRESSION, STORE_MIGRATIONS } from "./migrations.js";
export type { Migration } from "./migrations.js";
export type { PgPool, PgPoolClient, PgResult } from "./raw-client.js";
export type { TableName } from "./identifiers.js";
