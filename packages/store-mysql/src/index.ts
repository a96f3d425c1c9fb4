export { MysqlStore } from "./mysql-store.js";
export type { MysqlStoreOptions } from "./mysql-store.js";
export { MysqlAuditLog } from "./audit-log.js";
export type { MysqlAuditLogOptions } from "./audit-log.js";
export { AUDIT_MIGRATIONS, STORE_MIGRATIONS } from "./migrations.js";
export type { Migration } from "./migrations.js";
export type { MysqlPool, MysqlPoolConnection } from "./raw-client.js";
