import { isIdempotencyError } from "@agent-idempotency/core";
import { latestHumanMessage, resolveScope, validateScopeOption } from "@agent-idempotency/langgraph";
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

  it("resolveScope(): throws IdempotencyKeyError without a thread id, a human message, or its id", () => {
    expect(keyError(() => resolveScope("turn", cfg(), state("h1")))).toMatch(/thread_id/);
    expect(keyError(() => resolveScope("thread", undefined, state("h1")))).toMatch(/thread_id/);
    expect(keyError(() => resolveScope("turn", cfg("t"), { messages: [new AIMessage("x")] }))).toMatch(/human message/);
    expect(keyError(() => resolveScope("turn", cfg("t"), { messages: [new HumanMessage("x")] }))).toMatch(/id/);
    expect(keyError(() => resolveScope(() => "", cfg("t"), {}))).toMatch(/scope function/);
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
