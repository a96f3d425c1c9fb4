/**
 * `idempotencyMiddleware` next to langchain's own middleware, in either position: the retry and
 * tool-error middleware see the tool's errors, retries keep one key, the call limit counts replays
 * as calls, and human-in-the-loop decisions run (or do not run) the tool once.
 */
import { AIMessage } from "@langchain/core/messages";
import { Command, MemorySaver } from "@langchain/langgraph";
import { createAgent, humanInTheLoopMiddleware, MiddlewareError, toolCallLimitMiddleware, toolErrorMiddleware, toolRetryMiddleware } from "langchain";
import { createIdempotency, MemoryStore } from "@agent-idempotency/core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { idempotencyMiddleware } from "../src/index.js";
import type { Position } from "./helpers.js";
import { book, bookingTool, charge, flakyTool, human, ours, place, positions, scriptedModel, settle, thread, toolMessages } from "./helpers.js";

const policy = { charge_card: { identity: ["order_id"] }, book_calendar: { identity: ["slot"] } };
const retry = (onFailure?: "error" | "raise" | "continue") => toolRetryMiddleware({ maxRetries: 2, initialDelayMs: 0, jitter: false, ...(onFailure ? { onFailure } : {}) });
const outcomes = (entries: { tool_call_id?: string | undefined; outcome: string }[]) => entries.map((e) => `${e.tool_call_id}:${e.outcome}`);
/** ToolMessages without the middleware's documented metadata, to compare with a stock run. */
const plain = (messages: Parameters<typeof toolMessages>[0]) => toolMessages(messages).map(({ id, name, content, status }) => ({ id, name, content, status }));

afterEach(() => vi.restoreAllMocks());

describe.each(positions)("toolRetryMiddleware with idempotencyMiddleware %s", (at: Position) => {
  it("wrapToolCall(): every retry of a guarded call gets the same key; after the success the model's repeat replays", async () => {
    const t = flakyTool(2);
    const { middleware, audit } = ours(policy);
    const model = scriptedModel([charge("o-1", "c1")], [charge("o-1", "c2")]);
    const out = await createAgent({ model, tools: [t.tool], middleware: place(middleware, [retry()], at) }).invoke({ messages: [human("charge o-1")] }, thread("t-retry"));

    expect(t.effects).toEqual(["o-1", "o-1", "o-1"]); // two failures, one success; the repeat did not run
    expect(t.keys[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(t.keys)).toEqual(new Set([t.keys[0]]));
    expect(toolMessages(out.messages)).toMatchObject([
      { id: "c1", content: "charged o-1", status: "success", replayed: false, key: t.keys[0] },
      { id: "c2", content: "charged o-1", status: "success", replayed: true, key: t.keys[0] },
    ]);
    // First, the middleware holds one claim across the attempts; inside the retry, each attempt is
    // a call of its own under the same key.
    const attempts = at === "prepended" ? ["c1:executed"] : ["c1:failed", "c1:failed", "c1:executed"];
    expect(outcomes(audit.entries)).toEqual([...attempts, "c2:replayed"]);
  });

  it.each(["error", "raise"] as const)('wrapToolCall(): onFailure "%s" fails the run as without idempotencyMiddleware, with the last error the tool threw; the claim is released', async (onFailure) => {
    vi.spyOn(console, "warn").mockImplementation(() => undefined); // "raise" is deprecated and says so
    const run = async (withOurs: boolean) => {
      const t = flakyTool();
      const mine = ours(policy);
      const middleware = withOurs ? place(mine.middleware, [retry(onFailure)], at) : [retry(onFailure)];
      const out = await settle(createAgent({ model: scriptedModel([charge("o-2", "c1")]), tools: [t.tool], middleware }).invoke({ messages: [human("charge")] }, thread("t-raise")));
      return { out, t, audit: mine.audit };
    };
    for (const { out, t } of [await run(false), await run(true)]) {
      expect(t.effects).toHaveLength(3);
      expect(!out.ok && out.error).toBe(t.thrown[2]);
    }
    const { audit } = await run(true);
    expect(audit.entries.map((e) => e.outcome)).toEqual(at === "prepended" ? ["failed"] : ["failed", "failed", "failed"]);
  });

  it('wrapToolCall(): onFailure "continue" answers the model as without idempotencyMiddleware; the failure is not recorded', async () => {
    const run = async (withOurs: boolean) => {
      const t = flakyTool(3);
      const middleware = withOurs ? place(ours(policy).middleware, [retry("continue")], at) : [retry("continue")];
      const model = scriptedModel([charge("o-3", "c1")], [charge("o-3", "c2")]);
      const out = await createAgent({ model, tools: [t.tool], middleware }).invoke({ messages: [human("charge")] }, thread("t-continue"));
      return { messages: plain(out.messages), effects: t.effects.length };
    };
    const stock = await run(false);
    expect(stock.messages[0]).toMatchObject({ id: "c1", status: "error", content: "Tool 'charge_card' failed after 3 attempts with Error" });
    expect(stock.effects).toBe(4); // the repeat runs again: three failures, then the success
    expect(await run(true)).toEqual(stock);
  });
});

describe.each(positions)("toolErrorMiddleware with idempotencyMiddleware %s", (at: Position) => {
  it("wrapToolCall(): its handler sees the very error the tool threw and answers the model; the claim is released, the repeat runs", async () => {
    const run = async (withOurs: boolean) => {
      const seen: unknown[] = [];
      const handler = toolErrorMiddleware({ onError: (error) => (seen.push(error), `charge failed: ${(error as Error).message}`) });
      const t = flakyTool(1);
      const middleware = withOurs ? place(ours(policy).middleware, [handler], at) : [handler];
      const model = scriptedModel([charge("o-4", "c1")], [charge("o-4", "c2")]);
      const out = await createAgent({ model, tools: [t.tool], middleware }).invoke({ messages: [human("charge")] }, thread("t-onerror"));
      expect(seen).toHaveLength(1);
      expect(seen[0]).toBe(t.thrown[0]);
      return { messages: plain(out.messages), effects: t.effects, keys: t.keys };
    };
    const stock = await run(false);
    expect(stock.messages).toEqual([
      { id: "c1", name: "charge_card", content: "charge failed: upstream 504 for order o-4", status: "error" },
      { id: "c2", name: "charge_card", content: "charged o-4", status: "success" },
    ]);
    const guarded = await run(true);
    expect(guarded.messages).toEqual(stock.messages);
    expect(guarded.effects).toEqual(stock.effects);
    expect(guarded.keys[1]).toBe(guarded.keys[0]); // released, then the same key again
  });

  it("wrapToolCall(): the engine's refusal (store down) fails the run; only a handler placed outside idempotencyMiddleware sees it", async () => {
    const seen: unknown[] = [];
    const handler = toolErrorMiddleware({ onError: (error) => void seen.push(error) }); // answers nothing: rethrows
    const t = flakyTool(0);
    class DownStore extends MemoryStore {
      override claim(): never {
        throw new Error("connect ECONNREFUSED 127.0.0.1:1");
      }
    }
    const idempotency = createIdempotency({ store: new DownStore(), tools: policy, onWarning: () => undefined });
    const middleware = idempotencyMiddleware({ idempotency, warnOnly: ["unknown-tool"] });
    const out = await settle(createAgent({ model: scriptedModel([charge("o-5", "c1")]), tools: [t.tool], middleware: place(middleware, [handler], at) }).invoke({ messages: [human("charge")] }, thread("t-down")));
    expect(out.ok).toBe(false);
    expect(t.effects).toEqual([]);
    if (at === "prepended") expect(seen).toEqual([]);
    else expect(MiddlewareError.isInstance(seen[0]) && (seen[0] as Error).cause).toMatchObject({ code: "STORE_FAILED" });
  });

});

describe.each(positions)("toolCallLimitMiddleware with idempotencyMiddleware %s", (at: Position) => {
  it("afterModel(): a replay counts as a call (the limit counts the model's calls); a blocked call never reaches the middleware", async () => {
    const run = async (withOurs: boolean) => {
      const { tool, effects } = bookingTool();
      const mine = ours(policy);
      const limit = toolCallLimitMiddleware({ threadLimit: 2 });
      const model = scriptedModel([book("10:00", "c1")], [book("10:00", "c2")], [book("10:00", "c3")]);
      const out = await createAgent({ model, tools: [tool], middleware: withOurs ? place(mine.middleware, [limit], at) : [limit] }).invoke({ messages: [human("book")] }, thread("t-limit"));
      return { out, effects, audit: mine.audit };
    };
    const stock = await run(false);
    const guarded = await run(true);
    expect(stock.effects).toHaveLength(2);
    expect(guarded.effects).toHaveLength(1);
    // The limit middleware's state field, which createAgent's inferred state type does not carry.
    const callCount = (out: object) => (out as { threadToolCallCount?: unknown }).threadToolCallCount;
    expect(callCount(guarded.out)).toEqual(callCount(stock.out));
    expect(callCount(guarded.out)).toEqual({ __all__: 2 });
    const blocked = { id: "c3", status: "error", content: "Tool call limit exceeded. Do not make additional tool calls." };
    expect(toolMessages(stock.out.messages)[2]).toMatchObject(blocked);
    expect(toolMessages(guarded.out.messages)).toMatchObject([{ id: "c1", replayed: false }, { id: "c2", replayed: true }, { ...blocked, replayed: undefined }]);
    expect(outcomes(guarded.audit.entries)).toEqual(["c1:executed", "c2:replayed"]);
  });
});

describe.each(positions)("humanInTheLoopMiddleware with idempotencyMiddleware %s", (at: Position) => {
  const decide = async (decision: Record<string, unknown>) => {
    const { tool, effects } = bookingTool();
    const mine = ours(policy);
    const hitl = humanInTheLoopMiddleware({ interruptOn: { book_calendar: true } });
    const agent = createAgent({ model: scriptedModel([book("10:00", "c1")]), tools: [tool], middleware: place(mine.middleware, [hitl], at), checkpointer: new MemorySaver() });
    const paused = await agent.invoke({ messages: [human("book 10:00")] }, thread(`t-hitl-${decision.type}`));
    expect((paused as { __interrupt__?: unknown[] }).__interrupt__).toHaveLength(1);
    expect(effects).toEqual([]);
    const done = await agent.invoke(new Command({ resume: { decisions: [decision] } }), thread(`t-hitl-${decision.type}`));
    expect(done.messages.at(-1)).toBeInstanceOf(AIMessage);
    return { done, effects, audit: mine.audit };
  };

  it("afterModel(): approve runs the guarded tool once, with its key", async () => {
    const { effects, audit } = await decide({ type: "approve" });
    expect(effects.map((e) => e.slot)).toEqual(["10:00"]);
    expect(effects[0]!.key).toBe(audit.entries[0]!.idempotency_key);
    expect(outcomes(audit.entries)).toEqual(["c1:executed"]);
  });

  it("afterModel(): edit runs the tool once with the edited arguments, keyed by them", async () => {
    const { effects, audit, done } = await decide({ type: "edit", editedAction: { name: "book_calendar", args: { slot: "11:00" } } });
    expect(effects.map((e) => e.slot)).toEqual(["11:00"]);
    expect(effects[0]!.key).toBe(audit.entries[0]!.idempotency_key);
    expect(toolMessages(done.messages)).toMatchObject([{ id: "c1", content: expect.stringContaining('"slot":"11:00"'), replayed: false }]);
  });

  it("afterModel(): reject runs nothing and claims nothing", async () => {
    const { effects, audit, done } = await decide({ type: "reject", message: "not that slot" });
    expect(effects).toEqual([]);
    expect(audit.entries).toEqual([]);
    expect(toolMessages(done.messages)).toMatchObject([{ id: "c1", content: "not that slot", status: "error", replayed: undefined }]);
  });
});
