/**
 * Normalization from the tool's schema through idempotencyMiddleware and withIdempotency: two
 * spellings of one call (e-mail case, time zone) run the tool once, and the tool runs with the
 * arguments as the model wrote them.
 */
import { createIdempotency, MemoryStore } from "@agent-idempotency/core";
import { tool } from "@langchain/core/tools";
import { createAgent } from "langchain";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { idempotencyMiddleware, withIdempotency } from "../src/index.js";
import { human, scriptedModel, thread, toolMessages } from "./helpers.js";

const a = { email: "Ada@Example.com", start: "2026-12-01T11:00:00+01:00" };
const b = { email: "ada@example.com ", start: "2026-12-01T10:00:00Z" };

function invite() {
  const calls: unknown[] = [];
  const t = tool(async (args) => (calls.push(args), `invited #${calls.length}`), {
    name: "invite",
    description: "invite someone",
    schema: z.object({ email: z.string(), start: z.iso.datetime({ offset: true }) }).describe("invite"),
  });
  return { tool: t, calls };
}
// JSON schema says what zod's plain string does not: the field is an e-mail address.
const jsonTool = (calls: unknown[]) =>
  tool(async (args) => (calls.push(args), `invited #${calls.length}`), {
    name: "invite",
    description: "invite someone",
    schema: { type: "object", properties: { email: { type: "string", format: "email" }, start: { type: "string", format: "date-time" } }, required: ["email", "start"] },
  });

describe("schema-derived normalization in the langchain integrations", () => {
  it("idempotencyMiddleware(): a JSON-schema tool, two spellings of one invitation: one run, the tool sees what the model wrote", async () => {
    const calls: unknown[] = [];
    const idempotency = createIdempotency({ store: new MemoryStore(), tools: { invite: { identity: ["email", "start"] } } });
    const model = scriptedModel([{ name: "invite", args: a, id: "c1" }], [{ name: "invite", args: b, id: "c2" }]);
    const agent = createAgent({ model, tools: [jsonTool(calls)], middleware: [idempotencyMiddleware({ idempotency })] });
    const out = await agent.invoke({ messages: [human("invite Ada")] }, thread("lc-schema-1"));
    expect(calls).toEqual([a]);
    expect(toolMessages(out.messages).map((m) => m.replayed)).toEqual([false, true]);
  });

  it("idempotencyMiddleware(): a zod tool's date-time format is derived too; its plain string e-mail is not", async () => {
    const inv = invite();
    const idempotency = createIdempotency({ store: new MemoryStore(), tools: { invite: { identity: ["email", "start"] } } });
    const model = scriptedModel([{ name: "invite", args: a, id: "c1" }], [{ name: "invite", args: { ...a, start: b.start }, id: "c2" }], [{ name: "invite", args: b, id: "c3" }]);
    const agent = createAgent({ model, tools: [inv.tool], middleware: [idempotencyMiddleware({ idempotency })] });
    const out = await agent.invoke({ messages: [human("invite Ada")] }, thread("lc-schema-2"));
    // c2 differs only in the time zone (derived: one key); c3 also in e-mail case (z.string(): two keys).
    expect(toolMessages(out.messages).map((m) => m.replayed)).toEqual([false, true, false]);
    expect(inv.calls).toEqual([a, b]);
  });

  it("withIdempotency(): the wrapped tool's schema is handed to the engine", async () => {
    const calls: unknown[] = [];
    const guarded = withIdempotency(jsonTool(calls), { idempotency: { store: new MemoryStore() }, policy: { identity: ["email", "start"] }, sessionId: "s-1" });
    // (A StructuredTool validates before it runs: "ada@example.com " with its space would be refused there.)
    await guarded.invoke(a);
    await guarded.invoke({ email: "ada@example.com", start: b.start });
    expect(calls).toEqual([a]);
  });
});
