/** Test helpers: unique tables per test file, an admin connection, a closed port. */
import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import mysql from "mysql2/promise";

/** A table name no other test run uses (lower case, within the 48-character limit). */
export function uniqueTable(label: string): string {
  return `aidem_${label}_${randomUUID().replaceAll("-", "").slice(0, 10)}`;
}

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

/** A localhost port with nothing listening on it. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
