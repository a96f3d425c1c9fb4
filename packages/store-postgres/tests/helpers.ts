/** Test helpers on the pg driver: an admin connection, dropping what a test created, polling (table names: test/support/unique-tables.ts). */
import pg from "pg";

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


/** Polls `check` until it is true (the test's own timeout bounds the wait). */
export async function until(check: () => boolean | Promise<boolean>, stepMs = 20): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, stepMs));
}
