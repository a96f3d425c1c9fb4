/**
 * Normalization from the tool's schema through IdempotentToolNode: the node hands the tool's zod
 * schema to the engine as JSON schema, the engine derives normalizers from it, and two spellings of
 * one call run the tool once. The tool itself always gets the arguments as the model wrote them.
 */
import { MemoryStore } from "@agent-idempotency/core";
import { getIdempotencyKey, IdempotentToolNode } from "@agent-idempotency/langgraph";
import { toolOutputSchema } from "@agent-idempotency/langgraph/internal";
import { tool } from "@langchain/core/tools";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { agentGraph, human, scriptedModel, thread, toolMessages } from "./helpers.js";

function invite() {
  const calls: { args: unknown; key: string | undefined }[] = [];
  const t = tool(async (args, config) => (calls.push({ args, key: getIdempotencyKey(config) }), `invited #${calls.length}`), {
    name: "invite",
    description: "invite someone to a meeting",
    schema: z.object({ email: z.string().email(), start: z.iso.datetime({ offset: true }), note: z.string().optional() }),
  });
  return { tool: t, calls };
}

const a = { email: "Ada@Example.com", start: "2026-12-01T11:00:00+01:00" };
const b = { email: "ada@example.com", start: "2026-12-01T10:00:00Z" };

describe("IdempotentToolNode and the tool's schema", () => {
  it("toolOutputSchema(): a zod tool's schema as JSON schema, the same object each time; none for a schema that cannot convert", () => {
    const { tool: t } = invite();
    const json = toolOutputSchema(t) as { properties: Record<string, { format?: string }> };
    expect(json.properties.email!.format).toBe("email");
    expect(json.properties.start!.format).toBe("date-time");
    expect(toolOutputSchema(t)).toBe(json);
    // A transform's output has no JSON form: nothing is derived for it (its input's format would mislead).
    const transformed = tool(async () => "x", { name: "t", description: "t", schema: z.object({ a: z.string().email().transform((s) => s.split("@")), b: z.number() }) });
    const props = (toolOutputSchema(transformed) as { properties: Record<string, unknown> }).properties;
    expect(props.a).toEqual({});
    expect(props.b).toEqual({ type: "number" });
    const plain = { type: "object", properties: { to: { type: "string", format: "email" } } };
    expect(toolOutputSchema({ name: "json", schema: plain })).toBe(plain);
  });

  it("runTool(): a transformed field is keyed as the parse outputs it, never refused by a derived normalizer", async () => {
    const calls: unknown[] = [];
    const split = tool(async (args) => (calls.push(args), "ok"), { name: "split", description: "s", schema: z.object({ to: z.string().email().transform((s) => s.split("@")) }) });
    const model = scriptedModel([{ name: "split", args: { to: "ada@example.com" }, id: "c1" }], [{ name: "split", args: { to: "ada@example.com" }, id: "c2" }]);
    const node = new IdempotentToolNode([split], { idempotency: { store: new MemoryStore(), tools: { split: {} } } });
    const out = await agentGraph(model, node).invoke({ messages: [human("x", "h1")] }, thread("schema-3"));
    expect(calls).toEqual([{ to: ["ada", "example.com"] }]);
    expect(toolMessages(out.messages).map((m) => m.replayed)).toEqual([false, true]);
  });

  it("runTool(): e-mail case and time zone derived from the schema: one run for two spellings, the tool sees what the model wrote", async () => {
    const inv = invite();
    const model = scriptedModel([{ name: "invite", args: a, id: "c1" }], [{ name: "invite", args: b, id: "c2" }]);
    const node = new IdempotentToolNode([inv.tool], { idempotency: { store: new MemoryStore(), tools: { invite: { identity: ["email", "start"] } } } });
    const out = await agentGraph(model, node).invoke({ messages: [human("invite Ada", "h1")] }, thread("schema-1"));
    expect(inv.calls).toEqual([{ args: a, key: expect.stringMatching(/^[0-9a-f]{32}$/) }]);
    expect(toolMessages(out.messages).map((m) => m.replayed)).toEqual([false, true]);
  });

  it("runTool(): with normalizeFromSchema: false the two spellings are two calls", async () => {
    const inv = invite();
    const model = scriptedModel([{ name: "invite", args: a, id: "c1" }], [{ name: "invite", args: b, id: "c2" }]);
    const node = new IdempotentToolNode([inv.tool], { idempotency: { store: new MemoryStore(), tools: { invite: { identity: ["email", "start"], normalizeFromSchema: false } } } });
    await agentGraph(model, node).invoke({ messages: [human("invite Ada", "h1")] }, thread("schema-2"));
    expect(inv.calls.map((c) => c.args)).toEqual([a, b]);
    expect(inv.calls[0]!.key).not.toBe(inv.calls[1]!.key);
  });
});
