/**
 * The audit's acceptance through IdempotentToolNode on real stores (SQLite file, Postgres), with
 * each store's own audit table as the log: the weekly report flags exactly the two ways
 * idempotency broke and lists the deliberate repeat for review.
 *
 * - thread "expired": the upstream ignores the key, and the record expired before the same turn
 *   was retried: flag 1 (one key, both response ids; the key was sent);
 * - thread "again": the user asked again in a new turn: no flag, one review entry with both turns;
 * - thread "resent": the same turn retried with a new message id (a client re-sending its history
 *   without ids): flag 2 (turn_id_changed);
 * - thread "clean": the model repeats its call in one turn: replayed, nothing to report.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditSink, IdempotencyStore } from "@agent-idempotency/core";
import { auditReport } from "@agent-idempotency/core";
import { FakeClock } from "@agent-idempotency/core/testing";
import { IdempotentToolNode } from "@agent-idempotency/langgraph";
import { PostgresAuditLog, PostgresStore } from "@agent-idempotency/store-postgres";
import { SqliteAuditLog, SqliteStore } from "@agent-idempotency/store-sqlite";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { fakeModel } from "@langchain/core/testing";
import { tool } from "@langchain/core/tools";
import { MemorySaver } from "@langchain/langgraph";
import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";
import { z } from "zod";
import { agentGraph, thread } from "./helpers.js";

const pgUrl = inject("pgUrl");
const dir = mkdtempSync(join(tmpdir(), "aidem-audit-e2e-"));
const run = randomUUID().replaceAll("-", "").slice(0, 8);
const pgTables = [`aidem_e2e_${run}`, `aidem_e2e_audit_${run}`];

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (!pgUrl) return;
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  for (const t of pgTables) await client.query(`DROP TABLE IF EXISTS "${t}", "${t}_migrations"`);
  await client.end();
});

const backends: { name: string; enabled: boolean; open: () => { store: IdempotencyStore; audit: AuditSink } }[] = [
  {
    name: "SQLite",
    enabled: true,
    open: () => ({ store: new SqliteStore({ path: join(dir, "e2e.db") }), audit: new SqliteAuditLog({ path: join(dir, "e2e.db") }) }),
  },
  {
    name: "Postgres",
    enabled: !!pgUrl,
    open: () => ({ store: new PostgresStore({ uri: pgUrl!, table: pgTables[0]! }), audit: new PostgresAuditLog({ uri: pgUrl!, table: pgTables[1]! }) }),
  },
];

for (const backend of backends) {
  describe.skipIf(!backend.enabled)(`the audit through IdempotentToolNode on ${backend.name}`, () => {
    it("auditReport(): flag 1 for the expired record whose upstream ignored the key, flag 2 for the turn re-sent under a new id, review (no flag) for the new turn", async () => {
      const { store, audit } = backend.open();
      const clock = new FakeClock(Date.now());
      const bookings: string[] = [];
      // The upstream ignores idempotency keys: every call is a new booking with a new id.
      const book = tool(async ({ slot }) => ({ booking_id: `bk_${bookings.push(slot)}`, slot }), { name: "book_calendar", description: "Book", schema: z.object({ slot: z.string() }) });
      const node = new IdempotentToolNode([book], { idempotency: { store, audit, clock, tools: { book_calendar: { identity: ["slot"], ttlMs: 60_000 } }, onWarning: () => {} } });
      const graph = (turns: number, checkpointer?: MemorySaver, inOneTurn = false) => {
        const model = fakeModel();
        for (let i = 0; i < turns; i++) {
          model.respondWithTools([{ name: "book_calendar", args: { slot: "10:00" }, id: `c${i + 1}` }]);
          if (!inOneTurn) model.respond(new AIMessage("booked"));
        }
        if (inOneTurn) model.respond(new AIMessage("booked"));
        return agentGraph(model, node, checkpointer ? { checkpointer } : {});
      };
      const ask = (id: string, content = "book 10:00") => ({ messages: [new HumanMessage({ id, content })] });
      try {
        // "expired": the same turn twice, the second after the record's ttl.
        const expired = graph(2);
        await expired.invoke(ask("h-1"), thread("expired"));
        clock.advance(61_000);
        await expired.invoke(ask("h-1"), thread("expired"));
        // "again": a new turn, 20 s later, in a thread with a checkpointer.
        const again = graph(2, new MemorySaver());
        await again.invoke(ask("h-1"), thread("again"));
        clock.advance(20_000);
        await again.invoke(ask("h-2", "book it again"), thread("again"));
        // "resent": the same turn, 5 s later, its message under a new id.
        const resent = graph(2);
        await resent.invoke(ask("h-1"), thread("resent"));
        clock.advance(5_000);
        await resent.invoke(ask("h-1-resent"), thread("resent"));
        // "clean": the model repeats the call with a new tool_call_id in the same turn.
        await graph(2, undefined, true).invoke(ask("h-1"), thread("clean"));
        expect(bookings).toHaveLength(7);
        await audit.flush?.();

        const report = await auditReport(audit.query());
        expect(report.malformed.count).toBe(0);
        const byCause = Object.fromEntries(report.flags.map((f) => [f.cause, f]));
        expect(report.flags).toHaveLength(2);
        expect(byCause.key_ignored_or_record_lost).toMatchObject({ kind: "one_key_several_response_ids", action_type: "book_calendar", response_ids: ["bk_1", "bk_2"], sessions: ["expired"], key_sent: true });
        expect(byCause.turn_id_changed).toMatchObject({
          kind: "one_action_several_keys",
          session_id: "resent",
          executions: 2,
          scopes: ['turn:["resent","h-1"]', 'turn:["resent","h-1-resent"]'],
        });
        expect(report.review).toHaveLength(1);
        expect(report.review[0]).toMatchObject({ kind: "repeated_in_new_turn", session_id: "again" });
        expect(report.review[0]!.executions.map((x) => [x.scope, x.turn!.split(":")[0]])).toEqual([
          ['turn:["again","h-1"]', "1"],
          ['turn:["again","h-2"]', "2"],
        ]);
        // Every execution logged the tool's own booking id (no responseId: the default found it).
        expect(report.blind_spots).toEqual({ no_response_ids: [], unguarded_repeats: [] });
        expect(report.totals).toMatchObject({ executed: 7, replayed: 1 });
        expect([...report.flags.map((f) => (f.kind === "one_key_several_response_ids" ? f.sessions[0] : f.session_id)), ...report.review.map((r) => r.session_id)]).not.toContain("clean");
      } finally {
        await node.idempotency.close();
      }
    });
  });
}
