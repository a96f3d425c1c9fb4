/**
 * IdempotencyCallbackHandler derives the engine's key for the same call: given the agent's tools,
 * it parses the arguments with the tool's schema and hands the schema to the key derivation
 * (normalizeFromSchema), as the node and the middleware do. And it checks its options at
 * construction, as they do.
 */
import type { IdempotencyPolicyError } from "@agent-idempotency/core";
import { auditReport, createIdempotency, isIdempotencyError, MemoryAuditLog, MemoryStore } from "@agent-idempotency/core";
import { tool } from "@langchain/core/tools";
import { createAgent } from "langchain";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { rejected } from "../../../test/support/rejected.js";
import type { DuplicateToolCall, IdempotencyCallbackHandlerOptions } from "../src/index.js";
import { IdempotencyCallbackHandler, idempotencyMiddleware } from "../src/index.js";
import { human, scriptedModel, thread } from "./helpers.js";

/** A booking tool whose schema says `slot` is an instant and `email` an e-mail address. */
function bookingTool() {
  const effects: unknown[] = [];
  const t = tool(async (args) => (effects.push(args), JSON.stringify({ booking_id: `b_${effects.length}` })), {
    name: "book_calendar",
    description: "Book a slot",
    schema: z.object({ slot: z.iso.datetime({ offset: true }), email: z.string().email(), note: z.string().default("") }),
  });
  return { tool: t, effects };
}
const policies = { book_calendar: { identity: ["slot", "email"], responseId: (r: { booking_id: string }) => r.booking_id } };
// One booking, spelt two ways: another time zone, another case.
const first = { slot: "2026-12-01T10:00:00Z", email: "Ada@x.com" };
const again = { slot: "2026-12-01T11:00:00+01:00", email: "ADA@X.COM" };
const calls = () => scriptedModel([{ name: "book_calendar", args: first, id: "c1" }], [{ name: "book_calendar", args: again, id: "c2" }]);

function construct(options: unknown): IdempotencyPolicyError {
  const e = rejected(() => new IdempotencyCallbackHandler(options as IdempotencyCallbackHandlerOptions));
  expect(isIdempotencyError(e, "POLICY_INVALID")).toBe(true);
  return e as IdempotencyPolicyError;
}

describe("IdempotencyCallbackHandler: keys from the tool's schema", () => {
  it("handleToolStart(): given the tools, two spellings of one booking on a stock agent get one key, a duplicate, and a flag", async () => {
    const { tool: bookTool, effects } = bookingTool();
    const log = new MemoryAuditLog();
    const duplicates: DuplicateToolCall[] = [];
    const handler = new IdempotencyCallbackHandler({ audit: log, policies, tools: [bookTool], onDuplicate: (d) => void duplicates.push(d) });
    const agent = createAgent({ model: calls(), tools: [bookTool] }); // no middleware: observe only
    await agent.invoke({ messages: [human("book 10:00 for Ada")] }, { ...thread("t-schema"), callbacks: [handler] });

    expect(effects).toHaveLength(2);
    expect(log.entries.map((e) => e.outcome)).toEqual(["unguarded", "duplicate"]);
    expect(log.entries[1]!.idempotency_key).toBe(log.entries[0]!.idempotency_key);
    expect(duplicates).toHaveLength(1);
    const report = await auditReport(log.entries);
    expect(report.flags).toMatchObject([{ kind: "one_key_several_response_ids", response_ids: ["b_1", "b_2"], cause: "no_guard" }]);
  });

  it("handleToolStart(): its key and fingerprint equal the engine's for the same call under the middleware (thread scope)", async () => {
    const observed = new MemoryAuditLog();
    const stock = bookingTool();
    await createAgent({ model: calls(), tools: [stock.tool] }).invoke(
      { messages: [human("book")] },
      { ...thread("t-same"), callbacks: [new IdempotencyCallbackHandler({ audit: observed, policies, tools: [stock.tool] })] },
    );
    const engineLog = new MemoryAuditLog();
    const guarded = bookingTool();
    const idempotency = createIdempotency({ store: new MemoryStore(), tools: policies, audit: engineLog });
    await createAgent({ model: calls(), tools: [guarded.tool], middleware: [idempotencyMiddleware({ idempotency, scope: "thread" })] }).invoke(
      { messages: [human("book")] },
      thread("t-same"),
    );

    expect(guarded.effects).toHaveLength(1);
    expect(engineLog.entries.map((e) => e.outcome)).toEqual(["executed", "replayed"]);
    const pick = (e: { idempotency_key?: string | undefined; fingerprint?: string | undefined; scope?: string | undefined }) => [e.idempotency_key, e.fingerprint, e.scope];
    expect(observed.entries.map(pick)).toEqual(engineLog.entries.map(pick));
  });

  it("handleToolStart(): without the tools, a tool with a policy is warned about once: its keys may differ from the engine's", async () => {
    const { tool: bookTool } = bookingTool();
    const warnings: string[] = [];
    const handler = new IdempotencyCallbackHandler({ audit: new MemoryAuditLog(), policies, onWarning: (m) => void warnings.push(m) });
    await createAgent({ model: calls(), tools: [bookTool] }).invoke({ messages: [human("book")] }, { ...thread("t-warn"), callbacks: [handler] });
    expect(warnings).toEqual([expect.stringMatching(/book_calendar: .*pass the agent's tools \(tools: \[…\]\)/)]);
  });
});

describe("new IdempotencyCallbackHandler(): validation", () => {
  it("a missing audit sink fails at construction, instead of a TypeError on every call", () => {
    expect(construct({ policies: {} }).problems).toEqual([expect.stringMatching(/^audit: missing; pass new MemoryAuditLog\(\)/)]);
    expect(construct({ audit: "./audit.jsonl" }).problems).toEqual([expect.stringMatching(/^audit: not an audit sink \(no write\(\)\)/)]);
  });

  it("unknown options, bad policies and policies that do not fit the tools: all in one error, each with a did-you-mean", () => {
    const { tool: bookTool } = bookingTool();
    const e = construct({
      audit: new MemoryAuditLog(),
      polices: {},
      policies: { book_calender: {}, book_calendar: { identity: ["slott"], identty: [] } },
      tools: [bookTool],
      windowMs: -1,
    });
    expect(e.problems).toEqual([
      'options: unknown field "polices" (did you mean "policies"?)',
      "options.windowMs must be a non-negative number of milliseconds, got -1",
      'policies.book_calendar: unknown field "identty" (did you mean "identity"?)',
      expect.stringMatching(/^policies\.book_calender: a policy for a tool the agent was not given \(did you mean "book_calendar"\?\)/),
      expect.stringMatching(/^policies\.book_calendar\.identity: "slott" is not a field of book_calendar: .*\(did you mean "slot"\?\)/),
    ]);
    expect(e.message).toMatch(/^\[agent-idempotency\] IdempotencyCallbackHandler: 5 problems/);
  });

  it("warnOnly turns the tool checks into warnings, for a handler shared by agents with other tools", () => {
    const { tool: bookTool } = bookingTool();
    const warnings: string[] = [];
    new IdempotencyCallbackHandler({ audit: new MemoryAuditLog(), policies: { ...policies, send_invoice: {} }, tools: [bookTool], warnOnly: ["unknown-tool"], onWarning: (m) => void warnings.push(m) });
    expect(warnings).toEqual([expect.stringMatching(/^policies\.send_invoice: a policy for a tool the agent was not given/)]);
  });
});
