/** Test helpers on the MySQL driver: an admin connection, dropping what a test created (table names: test/support/unique-tables.ts). */
import mysql from "mysql2/promise";

/** Runs `fn` on a fresh, separate connection (not the store's pool), then closes it. */
export async function withAdmin<T>(uri: string, fn: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const conn = await mysql.createConnection({ uri });
  try {
    return await fn(conn);
  } finally {
    await conn.end();
  }
}

/** Drops the tables a store or audit log created (with their `_migrations` tables). */
export async function dropTables(uri: string, tables: string[]): Promise<void> {
  await withAdmin(uri, async (c) => {
    for (const t of tables) await c.query(`DROP TABLE IF EXISTS \`${t}\`, \`${t}_migrations\``);
  });
}
