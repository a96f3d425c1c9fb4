/**
 * idempotencyMiddleware: policies checked against the agent's tools (at construction with
 * `tools`, else at the first model call, before any tool runs), scope per tool, the tool's own
 * error for cacheErrors once, and getIdempotencyKey() without arguments in a StructuredTool.
 */
import { createIdempotency, isIdempotencyError, MemoryStore } from "@agent-idempotency/core";
import type { IdempotencyOptions } from "@agent-idempotency/core";
import { getIdempotencyKey } from "@agent-idempotency/langgraph";
import { AIMessage } from "@langchain/core/messages";
import { StructuredTool, tool } from "@langchain/core/tools";
import { MemorySaver } from "@langchain/langgraph";
import { createAgent } from "langchain";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { idempotencyMiddleware, withIdempotency } from "../src/index.js";
import type { IdempotencyMiddlewareOptions } from "../src/index.js";
import { human, scriptedModel, thread, toolMessages } from "./helpers.js";

const quiet = { onWarning: () => {} };
const engine = (tools: IdempotencyOptions["tools"], extra: Partial<IdempotencyOptions> = {}) => createIdempotency({ store: new MemoryStore(), tools, ...quiet, ...extra });

function counted(name: string, schema: z.ZodObject) {
  const calls: unknown[] = [];
  return { tool: tool(async (args) => (calls.push(args), `${name} ok`), { name, description: name, schema }), calls };
}

describe("idempotencyMiddleware(): validation", () => {
  it("with tools: a policy for a tool the agent lacks fails at construction, with the name it meant", () => {
    const invoice = counted("send_invoice", z.object({ invoice_id: z.string() }));
    const error = (() => {
      try {
        idempotencyMiddleware({ idempotency: engine({ send_invoce: {} }), tools: [invoice.tool] });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(isIdempotencyError(error, "POLICY_INVALID")).toBe(true);
    expect(error?.message).toMatch(/^\[agent-idempotency\] idempotencyMiddleware: tools\.send_invoce: a policy for a tool the agent was not given \(did you mean "send_invoice"\?\)/);
  });

  it("without tools: the agent's first model call fails with the same error, before any tool runs", async () => {
    const invoice = counted("send_invoice", z.object({ invoice_id: z.string(), amount: z.number() }));
    const middleware = idempotencyMiddleware({ idempotency: engine({ send_invoice: { identity: ["invoice_nr"] } }) });
    const agent = createAgent({ model: scriptedModel([{ name: "send_invoice", args: { invoice_id: "i1", amount: 3 }, id: "c1" }]), tools: [invoice.tool], middleware: [middleware] });
    const error = await agent.invoke({ messages: [human("bill")] }, thread("v1")).catch((e: unknown) => e);
    const policyError = isIdempotencyError(error, "POLICY_INVALID") ? error : (error as Error).cause;
    expect(isIdempotencyError(policyError, "POLICY_INVALID")).toBe(true);
    expect((policyError as Error).message).toMatch(/tools\.send_invoice\.identity: "invoice_nr" is not a field of send_invoice: .*\(did you mean "invoice_id"\?\)/);
    expect(invoice.calls).toHaveLength(0);
  });

  it("unknown options and a bad scope fail at construction, together", () => {
    expect(() => idempotencyMiddleware({ idempotency: engine({}), scop: "thread", scope: "session" } as unknown as IdempotencyMiddlewareOptions)).toThrow(
      /idempotencyMiddleware: 2 problems in the configuration:\n {2}- options: unknown field "scop" \(did you mean "scope"\?\)\n {2}- options\.scope must be/,
    );
  });

  it('warnOnly: ["unknown-tool"] lets an engine shared by several agents through, with a warning', async () => {
    const warnings: string[] = [];
    const invoice = counted("send_invoice", z.object({ invoice_id: z.string() }));
    const shared = engine({ send_invoice: {}, create_ticket: {} }, { onWarning: (m) => warnings.push(m) });
    const agent = createAgent({
      model: scriptedModel([{ name: "send_invoice", args: { invoice_id: "i1" }, id: "c1" }], [{ name: "send_invoice", args: { invoice_id: "i1" }, id: "c2" }]),
      tools: [invoice.tool],
      middleware: [idempotencyMiddleware({ idempotency: shared, warnOnly: ["unknown-tool"] })],
    });
    await agent.invoke({ messages: [human("bill")] }, thread("v2"));
    expect(invoice.calls).toHaveLength(1);
    expect(warnings).toEqual([expect.stringMatching(/^tools\.create_ticket: a policy for a tool the agent was not given/)]);
  });
});

describe("idempotencyMiddleware(): scope per tool", () => {
  it("a thread-scoped and a turn-scoped tool in one agent: once per thread, once per turn", async () => {
    const invoice = counted("send_invoice", z.object({ order: z.string() }));
    const ticket = counted("create_ticket", z.object({ title: z.string() }));
    const both = (c: string) => [
      { name: "send_invoice", args: { order: "o1" }, id: `${c}a` },
      { name: "create_ticket", args: { title: "t" }, id: `${c}b` },
    ];
    const model = scriptedModel(both("c1"));
    model.respondWithTools(both("c2")).respond(new AIMessage("done again"));
    const agent = createAgent({
      model,
      tools: [invoice.tool, ticket.tool],
      checkpointer: new MemorySaver(),
      middleware: [idempotencyMiddleware({ idempotency: engine({ send_invoice: { scope: "thread" }, create_ticket: {} }) })],
    });
    await agent.invoke({ messages: [human("bill and file")] }, thread("s1"));
    const out = await agent.invoke({ messages: [human("again please")] }, thread("s1"));
    expect(invoice.calls).toHaveLength(1);
    expect(ticket.calls).toHaveLength(2);
    expect(toolMessages(out.messages).slice(-2).map((m) => [m.id, m.replayed])).toEqual([["c2a", true], ["c2b", false]]);
  });
});

describe("idempotencyMiddleware(): the tool's own error and key", () => {
  it("cacheErrors gets the original error (with its status) once per failure", async () => {
    const seen: unknown[] = [];
    let runs = 0;
    const charge = tool(
      async () => {
        runs++;
        throw Object.assign(new Error("gateway timeout"), { status: 504 });
      },
      { name: "charge", description: "c", schema: z.object({ amount: z.number() }) },
    );
    const agent = createAgent({
      model: scriptedModel([{ name: "charge", args: { amount: 1 }, id: "c1" }], [{ name: "charge", args: { amount: 1 }, id: "c2" }]),
      tools: [charge],
      middleware: [idempotencyMiddleware({ idempotency: engine({ charge: { cacheErrors: (e) => (seen.push(e), false) } }), handleToolErrors: true })],
    });
    await agent.invoke({ messages: [human("pay")] }, thread("e1"));
    expect(runs).toBe(2);
    expect(seen.map((e) => [(e as Error).message, (e as { status?: number }).status])).toEqual([["gateway timeout", 504], ["gateway timeout", 504]]);
  });

  it("getIdempotencyKey() without arguments in a StructuredTool's _call, under the middleware and under withIdempotency", async () => {
    const seen: unknown[] = [];
    class Charge extends StructuredTool {
      name = "charge";
      description = "c";
      schema = z.object({ amount: z.number() });
      async _call() {
        seen.push(getIdempotencyKey());
        return "charged";
      }
    }
    const agent = createAgent({
      model: scriptedModel([{ name: "charge", args: { amount: 1 }, id: "c1" }]),
      tools: [new Charge()],
      middleware: [idempotencyMiddleware({ idempotency: engine({ charge: {} }) })],
    });
    const out = await agent.invoke({ messages: [human("pay")] }, thread("k1"));
    const guarded = withIdempotency(new Charge(), { idempotency: { store: new MemoryStore(), ...quiet }, sessionId: "s" });
    await guarded.invoke({ amount: 2 });
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBe(toolMessages(out.messages)[0]!.key);
    expect(seen[1]).toMatch(/^[0-9a-f]{32}$/);
    expect(seen[1]).not.toBe(seen[0]);
  });
});
