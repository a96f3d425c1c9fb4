/**
 * The compatibility suite: every scenario (tests/compat/scenarios.ts) run stock and with
 * `idempotencyMiddleware` appended and prepended, with no policies and with every tool guarded,
 * must show the same results, stream chunks, events, model inputs and side effects, except the
 * documented metadata (tests/compat/harness.ts). Then what differs by design, pinned.
 */
import { createIdempotency, MemoryStore } from "@agent-idempotency/core";
import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import { fakeModel } from "@langchain/core/testing";
import { tool } from "@langchain/core/tools";
import type { AgentMiddleware } from "langchain";
import { createAgent, createMiddleware } from "langchain";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { idempotencyMiddleware } from "../src/index.js";
import type { Variant } from "./compat/harness.js";
import { observe } from "./compat/harness.js";
import { scenarios } from "./compat/scenarios.js";
import { positions, settle } from "./helpers.js";

describe.each(scenarios)("compatibility: $name", (scenario) => {
  // An agent without other wrapToolCall middleware is compared with ours set as the README says
  // for it (handleToolErrors: true); the default is compared below.
  const handleToolErrors = scenario.bare ? { handleToolErrors: true } : {};

  it.each(["none", "all"] as const)("idempotencyMiddleware() with policies %s: appended and prepended, the agent shows what it shows without it", async (policies) => {
    const stock = await observe(scenario, undefined, policies === "all");
    for (const at of positions) {
      const variant: Variant = { at, policies, ...handleToolErrors };
      expect(await observe(scenario, variant), `${at}, policies ${policies}`).toEqual(stock);
    }
  });
});

describe.each(scenarios.filter((s) => s.bare))("compatibility without other wrapToolCall middleware: $name", (scenario) => {
  it("idempotencyMiddleware() with the default handleToolErrors: the same, except that a tool's own error fails the run as under any wrapToolCall middleware", async () => {
    const stock = await observe(scenario, undefined);
    for (const at of positions) {
      const seen = await observe(scenario, { at, policies: "none" });
      if (!scenario.answersToolError) {
        expect(seen, at).toEqual(stock);
        continue;
      }
      expect(seen.invoke, at).toEqual([{ error: { rejected: expect.objectContaining({ ownIndex: 0 }), middlewareError: false, cause: undefined } }]);
      expect(seen.effects[0], at).toEqual((stock.effects[0] as unknown[]).slice(0, 1));
    }
  });
});

describe("compatibility: what differs by design (documented in the README)", () => {
  const ours = () => idempotencyMiddleware({ idempotency: createIdempotency({ store: new MemoryStore() }) });
  const config = { configurable: { thread_id: "t-design" } };

  it("createAgent(): an agent without tools gets a tools node, as under any wrapToolCall middleware", () => {
    const nodes = (middleware: AgentMiddleware[]) => Object.keys(createAgent({ model: fakeModel(), tools: [], middleware }).graph.getGraph().nodes);
    expect(nodes([])).toEqual(["__start__", "model_request", "__end__"]);
    expect(nodes([ours()])).toEqual(["__start__", "model_request", "tools", "__end__"]);
  });

  it("createAgent(): in an agent without tools, a tool call the model makes up is answered by that tools node instead of ending the run", async () => {
    const run = async (middleware: AgentMiddleware[]) => {
      const model = fakeModel().respondWithTools([{ name: "ghost", args: {}, id: "c1" }]).respond(new AIMessage("done"));
      const out = await createAgent({ model, tools: [], middleware }).invoke({ messages: [new HumanMessage("hi")] }, config);
      return { last: out.messages.at(-1), calls: model.calls.length, answers: out.messages.filter((m) => ToolMessage.isInstance(m)).map((m) => m.content) };
    };
    const stock = await run([]);
    expect(stock.calls).toBe(1);
    expect((stock.last as AIMessage).tool_calls).toMatchObject([{ name: "ghost", id: "c1" }]);
    const withOurs = await run([ours()]);
    expect(withOurs.calls).toBe(2);
    expect(withOurs.answers).toEqual(["Error: ghost is not a valid tool, try one of []."]);
  });

  it("createAgent(): a tool added in wrapModelCall with no middleware to run it is no longer refused up front; its call is answered as an unknown tool", async () => {
    const extra = tool(async () => "found", { name: "lookup", description: "Look up", schema: z.object({}) });
    const addsTool = createMiddleware({ name: "AddsTool", wrapModelCall: (request, handler) => handler({ ...request, tools: [...request.tools, extra] }) });
    const run = (middleware: AgentMiddleware[]) =>
      settle(createAgent({ model: fakeModel().respondWithTools([{ name: "lookup", args: {}, id: "c1" }]).respond(new AIMessage("done")), tools: [], middleware }).invoke({ messages: [new HumanMessage("hi")] }, config));
    const stock = await run([addsTool]);
    expect(!stock.ok && (stock.error as Error).message).toMatch(/You have added a new tool in "wrapModelCall" hook of middleware "AddsTool": lookup/);
    const withOurs = await run([ours(), addsTool]);
    expect(withOurs.ok && withOurs.value.messages.filter((m) => ToolMessage.isInstance(m)).map((m) => m.content)).toEqual(["Error: lookup is not a valid tool, try one of []."]);
  });
});
