import { isIdempotencyError } from "@agent-idempotency/core";
import { latestHumanMessage, resolveScope, validateScopeOption } from "@agent-idempotency/langgraph/internal";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { describe, expect, it } from "vitest";

const cfg = (thread_id?: unknown) => ({ configurable: thread_id === undefined ? {} : { thread_id } });
const state = (...ids: string[]) => ({ messages: ids.map((id, i) => (i % 2 ? new AIMessage({ id, content: "" }) : new HumanMessage({ id, content: "" }))) });

function keyError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(isIdempotencyError(e, "KEY_INVALID")).toBe(true);
    return (e as Error).message;
  }
  throw new Error("expected an IdempotencyKeyError");
}

describe("resolveScope", () => {
  it("resolveScope(): turn is the thread plus the latest human message id", () => {
    const a = resolveScope("turn", cfg("t1"), state("h1", "a1"));
    expect(a).toEqual({ scope: expect.stringContaining("h1"), sessionId: "t1" });
    expect(resolveScope("turn", cfg("t1"), state("h1", "a1", "h2")).scope).not.toBe(a.scope);
    expect(resolveScope("turn", cfg("t2"), state("h1", "a1")).scope).not.toBe(a.scope);
    expect(resolveScope("turn", cfg("t1"), state("h1", "a1", "h1")).scope).toBe(a.scope);
  });

  it("resolveScope(): a colon in a thread id cannot make two turns collide", () => {
    expect(resolveScope("turn", cfg("a:b"), state("c")).scope).not.toBe(resolveScope("turn", cfg("a"), state("b:c")).scope);
  });

  it("resolveScope(): thread ignores turns; a function decides alone", () => {
    expect(resolveScope("thread", cfg("t1"), state("h1")).scope).toBe(resolveScope("thread", cfg("t1"), state("h2")).scope);
    expect(resolveScope(() => "user-7", {}, {})).toEqual({ scope: "fn:user-7", sessionId: "user-7" });
    expect(resolveScope((c) => String(c.configurable?.["user"]), { configurable: { user: "u", thread_id: "t" } }, {})).toEqual({ scope: "fn:u", sessionId: "t" });
  });

  it("resolveScope(): a scope function gets the tool's name and arguments; an empty answer still throws", () => {
    const seen: unknown[] = [];
    const fn = (_c: unknown, _s: unknown, call: { name: string; args: unknown }) => (seen.push(call), `order-${(call.args as { order: string }).order}`);
    expect(resolveScope(fn, cfg("t"), {}, "send_invoice", { args: { order: "o1" } }).scope).toBe("fn:order-o1");
    expect(seen).toEqual([{ name: "send_invoice", args: { order: "o1" } }]);
    expect(keyError(() => resolveScope(() => "", cfg("t"), {}))).toMatch(/scope function/);
  });

  it("resolveScope(): without a thread id it scopes to the invocation, and says so", () => {
    const told: string[] = [];
    const onFallback = (kind: string, message: string) => told.push(`${kind}: ${message}`);
    // The latest human message's id names the invocation (messagesStateReducer gives each a fresh one)...
    const a = resolveScope("turn", cfg(), state("h1", "a1"), "book", { onFallback });
    expect(a).toEqual({ scope: 'invocation:["human","h1"]', sessionId: '["human","h1"]' });
    expect(resolveScope("thread", cfg(), { messages: [...state("h1", "a1").messages, new AIMessage({ id: "a2", content: "" })] }, "book").scope).toBe(a.scope);
    // ...else the LangGraph task (the same across the task's retries)...
    const task = { configurable: { __pregel_task_id: "task-1" } };
    expect(resolveScope("turn", task, { messages: [new HumanMessage("x")] }).scope).toBe('invocation:["task","task-1"]');
    // ...else the node run: one object per run of the node.
    const run1 = {};
    const one = resolveScope("turn", cfg(), [], "book", { invocation: run1 }).scope;
    expect(resolveScope("turn", cfg(), [], "book", { invocation: run1 }).scope).toBe(one);
    expect(resolveScope("turn", cfg(), [], "book", { invocation: {} }).scope).not.toBe(one);
    expect(told).toEqual([expect.stringMatching(/^invocation: book: no thread_id in config\.configurable, so keys are scoped to this invocation.*a new invocation runs guarded tools again/)]);
  });

  it("resolveScope(): turn without a human message is the thread", () => {
    const told: string[] = [];
    const s = resolveScope("turn", cfg("t1"), { messages: [new AIMessage("x")] }, "book", { onFallback: (k) => told.push(k) });
    expect(s).toEqual(resolveScope("thread", cfg("t1"), {}));
    expect(told).toEqual(["thread"]);
  });

  it("resolveScope(): a human message without id gets a turn id from its position and content", () => {
    const h = (content: string) => new HumanMessage(content);
    const told: string[] = [];
    const onFallback = (k: string) => told.push(k);
    const turn1 = resolveScope("turn", cfg("t1"), [h("book 10:00"), new AIMessage("...")], "book", { onFallback }).scope;
    // Stable while the turn goes on (the state only grows after the human message).
    expect(resolveScope("turn", cfg("t1"), [h("book 10:00"), new AIMessage("..."), new AIMessage("more")]).scope).toBe(turn1);
    // The user saying the same words again is a new turn; other words in the same place are another turn.
    expect(resolveScope("turn", cfg("t1"), [h("book 10:00"), new AIMessage("..."), h("book 10:00")]).scope).not.toBe(turn1);
    expect(resolveScope("turn", cfg("t1"), [h("book 11:00"), new AIMessage("...")]).scope).not.toBe(turn1);
    expect(resolveScope("turn", cfg("t2"), [h("book 10:00"), new AIMessage("...")]).scope).not.toBe(turn1);
    expect(told).toEqual(["positional-turn"]);
  });

  it("latestHumanMessage(): reads message arrays, states and plain message objects", () => {
    expect(latestHumanMessage([new HumanMessage({ id: "x", content: "" })])).toEqual({ found: true, id: "x" });
    expect(latestHumanMessage({ messages: [{ role: "user", id: "u1" }, { role: "assistant", id: "a" }] })).toEqual({ found: true, id: "u1" });
    expect(latestHumanMessage({})).toEqual({ found: false });
  });

  it("validateScopeOption(): rejects anything but turn, thread or a function", () => {
    expect(() => validateScopeOption("turn")).not.toThrow();
    expect(keyError(() => validateScopeOption("session"))).toMatch(/scope must be/);
  });
});
