// A forked process that makes guarded calls one after another, with an audit sink, until it is
// SIGKILLed: what the audit-loss test kills. Each call is awaited, then written to `donePath`
// (synchronously, so a SIGKILL right after loses nothing of it), then the process lets the event
// loop turn once, as an agent awaiting its next model reply would.
//
//   node audit-writer.mjs '{"sink":"jsonl"|"sqlite"|"postgres"|"mysql","dir":...,"pgUrl":...,"mysqlUrl":...,"table":...}'
// Sends { type: "ready" } after its first calls.
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { createIdempotency, JsonlAuditLog, MemoryStore } from "@agent-idempotency/core";
import { PostgresAuditLog, PostgresStore } from "@agent-idempotency/store-postgres";
import { MysqlAuditLog, MysqlStore } from "@agent-idempotency/store-mysql";
import { SqliteAuditLog, SqliteStore } from "@agent-idempotency/store-sqlite";

const config = JSON.parse(process.argv[2]);
const donePath = join(config.dir, "done.txt");
const open = {
  jsonl: () => ({ store: new MemoryStore(), audit: new JsonlAuditLog(join(config.dir, "audit.jsonl")) }),
  sqlite: () => ({ store: new SqliteStore({ path: join(config.dir, "store.db") }), audit: new SqliteAuditLog({ path: join(config.dir, "store.db") }) }),
  postgres: () => ({ store: new PostgresStore({ uri: config.pgUrl, table: config.table }), audit: new PostgresAuditLog({ uri: config.pgUrl, table: `${config.table}_audit` }) }),
  mysql: () => ({ store: new MysqlStore({ uri: config.mysqlUrl, table: config.table }), audit: new MysqlAuditLog({ uri: config.mysqlUrl, table: `${config.table}_audit` }) }),
}[config.sink];
const { store, audit } = open();
const engine = createIdempotency({ store, audit, tools: { send: {} }, onWarning: () => undefined });
await store.setup?.();
await audit.setup?.();
for (let i = 0; ; i++) {
  await engine.run({ action: "send", args: { n: i }, sessionId: "s", toolCallId: String(i) }, async () => ({ sent: i }));
  appendFileSync(donePath, `${i} ${Date.now()}\n`);
  if (i === 20) process.send({ type: "ready" });
  await new Promise((resolve) => setImmediate(resolve));
}
