/**
 * `@agent-idempotency/store-sqlite`: `SqliteStore`, records kept in one SQLite file (embedded and
 * persistent, for one machine and notebooks), and `SqliteAuditLog`, the audit table in the same file.
 *
 * @packageDocumentation
 */

export { SqliteStore } from "./sqlite-store.js";
export type { SqliteStoreOptions } from "./sqlite-store.js";
export { SqliteAuditLog } from "./audit-log.js";
export type { SqliteAuditLogOptions } from "./audit-log.js";
export { DEFAULT_BUSY_TIMEOUT_MS } from "./connection.js";
export type { SqliteDatabase } from "./connection.js";
