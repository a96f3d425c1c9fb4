/**
 * How errors leave `idempotencyMiddleware`: as they came in. The baseline is what langchain 1.5
 * does with any `wrapToolCall` middleware in the agent (here a pass-through one of the user's own):
 * an error that leaves the chain fails the run, unless a middleware handles it.
 */
import { createIdempotency, IdempotencyKeyError, IdempotencyPolicyError, isIdempotencyError, MemoryStore } from "@agent-idempotency/core";
import type { ToolPolicies } from "@agent-idempotency/core";
import { ToolMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import type { AgentMiddleware } from "langchain";
import { createAgent, createMiddleware, MiddlewareError } from "langchain";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { IdempotencyMiddlewareOptions } from "../src/index.js";
import { idempotencyMiddleware } from "../src/index.js";
import { charge, flakyTool, human, ours, place, positions, scriptedModel, settle, thread, toolMessages } from "./helpers.js";

const passThrough = () => createMiddleware({ name: "PassThrough", wrapToolCall: (request, handler) => handler(request) });

/** A middleware that throws its own error, before or after the rest of the chain ran. */
function gate(when: "before" | "after") {
  const thrown: Error[] = [];
  const middleware = createMiddleware({
    name: "Gate",
    wrapToolCall: async (request, handler) => {
      if (when === "after") await handler(request);
      const error = new Error(`gate closed ${when} the tool`);
      thrown.push(error);
      throw error;
    },
  });
  return { middleware, thrown };
}

const chargeOnce = (orderId: string) => scriptedModel([charge(orderId, "c1")]);

describe("idempotencyMiddleware(): errors travel as without it", () => {
  it.each(["guarded", "unguarded"] as const)("wrapToolCall(): a %s tool's error is rethrown as the very object the tool threw, as under any wrapToolCall middleware", async (kind) => {
    const policies: ToolPolicies = kind === "guarded" ? { charge_card: { identity: ["order_id"] } } : {};
    const runs = await Promise.all(
      ["baseline", "ours"].map(async (which) => {
        const t = flakyTool();
        const middleware = which === "baseline" ? [passThrough()] : [ours(policies).middleware];
        const out = await settle(createAgent({ model: chargeOnce("o-1"), tools: [t.tool], middleware }).invoke({ messages: [human("charge")] }, thread(`t-${kind}-${which}`)));
        return { out, t };
      }),
    );
    for (const { out, t } of runs) {
      expect(out.ok).toBe(false);
      expect(t.thrown).toHaveLength(1);
      expect(!out.ok && out.error).toBe(t.thrown[0]); // not a copy, not a MiddlewareError
    }
  });

  it("wrapToolCall(): a guarded call that throws releases its claim: the same turn run again runs the tool again, with the same key", async () => {
    const t = flakyTool(1);
    const { middleware, audit } = ours({ charge_card: { identity: ["order_id"] } });
    const agent = () => createAgent({ model: chargeOnce("o-2"), tools: [t.tool], middleware: [middleware] });
    const input = () => ({ messages: [human("charge o-2", "h-1")] });
    const first = await settle(agent().invoke(input(), thread("t-release")));
    expect(!first.ok && first.error).toBe(t.thrown[0]);
    const second = await agent().invoke(input(), thread("t-release"));
    expect(toolMessages(second.messages)).toMatchObject([{ id: "c1", content: "charged o-2", status: "success", replayed: false }]);
    expect(t.effects).toEqual(["o-2", "o-2"]);
    expect(t.keys[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(t.keys[1]).toBe(t.keys[0]);
    expect(audit.entries.map((e) => e.outcome)).toEqual(["failed", "executed"]);
  });

  describe.each(["before", "after"] as const)("another middleware's error, thrown %s the tool ran", (when) => {
    it.each(positions)("wrapToolCall(): it fails the run exactly as without idempotencyMiddleware (%s)", async (at) => {
      const baseline = gate(when);
      const b = flakyTool(0);
      const stock = await settle(createAgent({ model: chargeOnce("o-3"), tools: [b.tool], middleware: [baseline.middleware] }).invoke({ messages: [human("charge")] }, thread("t-gate-stock")));

      const withOurs = gate(when);
      const t = flakyTool(0);
      const { middleware, audit } = ours({ charge_card: { identity: ["order_id"] } });
      const out = await settle(createAgent({ model: chargeOnce("o-3"), tools: [t.tool], middleware: place(middleware, [withOurs.middleware], at) }).invoke({ messages: [human("charge")] }, thread("t-gate")));

      for (const [o, g] of [[stock, baseline], [out, withOurs]] as const) {
        expect(o.ok).toBe(false);
        const error = !o.ok ? (o.error as Error) : undefined;
        expect(MiddlewareError.isInstance(error)).toBe(true);
        expect(error!.cause).toBe(g.thrown[0]);
      }
      expect(t.effects).toEqual(b.effects);
      // Outermost, the middleware saw the failure (claim released); innermost, the tool's success
      // was recorded before the gate threw, or the gate threw before reaching it.
      const expected = at === "prepended" ? ["failed"] : when === "after" ? ["executed"] : [];
      expect(audit.entries.map((e) => e.outcome)).toEqual(expected);
    });
  });

  it.each(positions)("wrapToolCall(): langchain's own check of another middleware's answer fails the run as without idempotencyMiddleware (%s)", async (at) => {
    const broken = () => createMiddleware({ name: "Broken", wrapToolCall: async (request, handler) => (await handler(request), "not a message" as unknown as ToolMessage) });
    const run = async (middleware: AgentMiddleware[], id: string) => {
      const out = await settle(createAgent({ model: chargeOnce("o-4"), tools: [flakyTool(0).tool], middleware }).invoke({ messages: [human("charge")] }, thread(id)));
      return !out.ok ? { name: (out.error as Error).name, message: (out.error as Error).message, wrapped: MiddlewareError.isInstance(out.error) } : out;
    };
    const stock = await run([broken()], "t-broken-stock");
    expect(stock).toMatchObject({ wrapped: true, message: expect.stringContaining('Invalid response from "wrapToolCall" in middleware "Broken"') });
    expect(await run(place(ours({ charge_card: { identity: ["order_id"] } }).middleware, [broken()], at), "t-broken")).toEqual(stock);
  });

  it("wrapToolCall(): an engine error the tool throws (its own guarded call inside) is not mistaken for the middleware's own: it is rethrown", async () => {
    const nested = new IdempotencyKeyError("a nested call has no identity field");
    const inner = tool(async () => Promise.reject(nested), { name: "charge_card", description: "Charge", schema: z.object({ order_id: z.string() }) });
    const out = await settle(createAgent({ model: chargeOnce("o-7"), tools: [inner], middleware: [ours({ charge_card: { identity: ["order_id"] } }).middleware] }).invoke({ messages: [human("charge")] }, thread("t-nested")));
    expect(!out.ok && out.error).toBe(nested);
  });

  it("wrapToolCall(): with cacheErrors the first failure is rethrown, and the repeat fails with the recorded error; the tool runs once", async () => {
    const t = flakyTool();
    const { middleware } = ours({ charge_card: { identity: ["order_id"], cacheErrors: true } });
    const agent = () => createAgent({ model: chargeOnce("o-5"), tools: [t.tool], middleware: [middleware] });
    const first = await settle(agent().invoke({ messages: [human("charge o-5", "h-1")] }, thread("t-cached")));
    expect(!first.ok && first.error).toBe(t.thrown[0]);
    const again = await settle(agent().invoke({ messages: [human("charge o-5", "h-1")] }, thread("t-cached")));
    const error = !again.ok ? (again.error as Error) : undefined;
    expect(MiddlewareError.isInstance(error)).toBe(true);
    expect(isIdempotencyError(error!.cause, "RECORDED_ERROR")).toBe(true);
    expect(error!.message).toBe("upstream 504 for order o-5"); // the tool's own words
    expect(t.effects).toEqual(["o-5"]);
  });

  it("wrapToolCall(): handleToolErrors answers only the tool's own errors; another middleware's error still fails the run", async () => {
    const inner = gate("before");
    const { middleware } = ours({}, { handleToolErrors: true });
    const out = await settle(createAgent({ model: chargeOnce("o-6"), tools: [flakyTool().tool], middleware: [middleware, inner.middleware] }).invoke({ messages: [human("charge")] }, thread("t-handle")));
    expect(!out.ok && (out.error as Error).cause).toBe(inner.thrown[0]);

    const t = flakyTool();
    const answered = await createAgent({ model: chargeOnce("o-6"), tools: [t.tool], middleware: [ours({}, { handleToolErrors: true }).middleware, passThrough()] }).invoke({ messages: [human("charge")] }, thread("t-handle-2"));
    expect(toolMessages(answered.messages)).toMatchObject([{ id: "c1", status: "error", content: "Error: upstream 504 for order o-6\n Please fix your mistakes." }]);
  });

  it("wrapToolCall(): under handleToolErrors, a guarded tool's error answer carries response_metadata.idempotency with the key the tool was handed, as IdempotentToolNode's does", async () => {
    const t = flakyTool();
    const agent = createAgent({ model: chargeOnce("o-7"), tools: [t.tool], middleware: [ours({ charge_card: { identity: ["order_id"] } }, { handleToolErrors: true }).middleware] });
    const out = await agent.invoke({ messages: [human("charge")] }, thread("t-handle-meta"));
    const [answer] = toolMessages(out.messages);
    expect(t.effects).toEqual(["o-7"]);
    expect(t.keys[0]).toMatch(/\S/);
    expect(answer).toMatchObject({ status: "error", key: t.keys[0], replayed: false, outcome: "failed" });
  });

  it("idempotencyMiddleware(): a misspelt option or a handleToolErrors that is not a boolean fails at start-up, naming the fix", () => {
    const idempotency = createIdempotency({ store: new MemoryStore() });
    const bad = [{ idempotency, handleToolError: true }, { idempotency, handleToolErrors: "yes" }] as unknown as IdempotencyMiddlewareOptions[];
    expect(() => idempotencyMiddleware(bad[0]!)).toThrow(IdempotencyPolicyError);
    expect(() => idempotencyMiddleware(bad[0]!)).toThrow(/unknown field "handleToolError" \(did you mean "handleToolErrors"\?\)/);
    expect(() => idempotencyMiddleware(bad[1]!)).toThrow(/handleToolErrors must be true or false, got "yes"/);
  });
});
