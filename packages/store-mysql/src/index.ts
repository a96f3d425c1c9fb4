/**
 * `@agent-idempotency/store-mysql`: `MysqlStore`, records shared by every process and machine on one
 * MySQL 8 or MariaDB 10.11 database, and `MysqlAuditLog`, the audit table beside them.
 *
 * The DDL `setup()` applies is in `@agent-idempotency/store-mysql/schema`, for a DBA who reviews it
 * or applies it by hand.
 *
 * @packageDocumentation
 */

export { MysqlStore } from "./mysql-store.js";
export type { MysqlStoreOptions } from "./mysql-store.js";
export { MysqlAuditLog } from "./audit-log.js";
export type { MysqlAuditLogOptions } from "./audit-log.js";
export type { MysqlPool, MysqlPoolConnection } from "./raw-client.js";
