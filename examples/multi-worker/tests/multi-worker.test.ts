/**
 * Runs the example as its README does (`node main.mjs`, which forks real worker processes on the
 * built dist/) against the real PostgreSQL, and counts what the mail API really sent.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { describe, expect, inject, it } from "vitest";

const run = promisify(execFile);
const main = fileURLToPath(new URL("../main.mjs", import.meta.url));
const built = ["core", "langgraph", "store-postgres"].every((p) => existsSync(fileURLToPath(new URL(`../../../packages/${p}/dist/index.js`, import.meta.url))));
const pgUrl = inject("pgUrl");
if (!built) console.warn("[examples] multi-worker tests skipped: build first (pnpm run build)");
if (!pgUrl) console.warn("[examples] multi-worker tests skipped: no PostgreSQL (set IDEMPOTENCY_PG_URL)");

type Result = { worker: string; status: string; replayed: boolean; outcome: string; key: string; content: string };
type Out = { schema: string; workers: Result[]; emails: number; sentBy: string[]; keys: string[]; keysAtMailApi: string[] };

async function demo(...args: string[]): Promise<Out> {
  const { stdout } = await run(process.execPath, [main, "--json", ...args], { env: { ...process.env, IDEMPOTENCY_PG_URL: pgUrl } });
  return JSON.parse(stdout);
}

async function schemaExists(schema: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    return (await client.query("SELECT 1 FROM information_schema.schemata WHERE schema_name = $1", [schema])).rowCount === 1;
  } finally {
    await client.end();
  }
}

describe.skipIf(!built || !pgUrl)("examples/multi-worker", () => {
  for (const workers of [2, 4]) {
    it(`node main.mjs --workers ${workers}: the same job on ${workers} processes sends one email; the others replay it`, async () => {
      const out = await demo("--workers", String(workers));
      expect(out.emails).toBe(1);
      expect(out.workers).toHaveLength(workers);
      expect(out.workers.filter((r) => !r.replayed).map((r) => r.outcome)).toEqual(["executed"]);
      expect(out.workers.filter((r) => r.replayed)).toHaveLength(workers - 1);
      expect(out.workers.every((r) => r.status === "success")).toBe(true);
      // Every worker answers with the one email that was sent, by the worker that sent it.
      expect(new Set(out.workers.map((r) => r.content))).toEqual(new Set([`sent invoice inv_2002 to billing@example.com (msg_1, by ${out.sentBy[0]})`]));
      // One key, derived alike in every process, and the one the mail API received.
      expect(out.keys).toHaveLength(1);
      expect(out.keys[0]).toMatch(/^[0-9a-f]{32}$/);
      expect(out.keysAtMailApi).toEqual(out.keys);
      // The run cleans up after itself.
      expect(await schemaExists(out.schema)).toBe(false);
    }, 60_000);
  }

  it("node main.mjs: prints one line per worker and the counts, exits 0", async () => {
    const { stdout } = await run(process.execPath, [main], { env: { ...process.env, IDEMPOTENCY_PG_URL: pgUrl } });
    expect(stdout.match(/^ {2}w\d {2}executed /gm)).toHaveLength(1);
    expect(stdout.match(/^ {2}w\d {2}replayed /gm)).toHaveLength(1);
    expect(stdout).toMatch(/^emails sent: 1 \(by w[12]\), keys used: 1 \([0-9a-f]{8}…\)$/m);
  }, 60_000);

  it("node main.mjs --workers 1: refused with a usage message", async () => {
    const error = await run(process.execPath, [main, "--workers", "1"]).catch((e: { code: number; stderr: string }) => e);
    expect((error as { code: number }).code).toBe(2);
    expect((error as { stderr: string }).stderr).toMatch(/--workers takes 2 to 8/);
  });
});
