/** Test helpers: unique database objects per test file, an admin connection, a closed port. */
import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import pg from "pg";

/** A table name no other test run uses (lower case, within the 48-character limit). */
export function uniqueTable(label: string): string {
  return `aidem_${label}_${randomUUID().replaceAll("-", "").slice(0, 10)}`;
}

/** Runs `fn` on a fresh, separate connection (not the store's pool), then closes it. */
export async function withAdmin<T>(uri: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: uri, application_name: "aidem-test-admin" });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Drops the tables a store or audit log created (with their `_migrations` tables). */
export async function dropTables(uri: string, tables: string[], schema = "public"): Promise<void> {
  await withAdmin(uri, async (c) => {
    for (const t of tables) await c.query(`DROP TABLE IF EXISTS "${schema}"."${t}", "${schema}"."${t}_migrations" CASCADE`);
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

/** Polls `check` until it is true (the test's own timeout bounds the wait). */
export async function until(check: () => boolean | Promise<boolean>, stepMs = 20): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, stepMs));
}
