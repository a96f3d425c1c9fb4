import { createIdempotency, isIdempotencyError, MemoryAuditLog, MemoryStore } from "@agent-idempotency/core";
import type { IdempotencyPolicyError } from "@agent-idempotency/core";
import { getIdempotencyKey } from "@agent-idempotency/langgraph";
import { ToolMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { createAgent } from "langchain";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { rejected } from "../../../test/support/rejected.js";
import { withIdempotency } from "../src/index.js";
import { book, bookingTool, human, scriptedModel, thread, toolMessages } from "./helpers.js";

/** `charge_card` returning an object (the raw result the engine records). */
function chargeTool() {
  const charges: { order_id: string; key: string | undefined }[] = [];
  const t = tool(
    async ({ order_id }, config) => {
      charges.push({ order_id, key: getIdempotencyKey(config) });
      await new Promise((r) => setTimeout(r, 5)); // long enough for a concurrent duplicate to arrive
      return { charge_id: `ch_${charges.length}`, order_id };
    },
    { name: "charge_card", description: "Charge the card for an order", schema: z.object({ order_id: z.string(), amount: z.number(), note: z.string().optional() }) },
  );
  return { tool: t, charges };
}

describe("withIdempotency()", () => {
  it("withIdempotency(): keeps the name, description and schema, and guards invocations: one charge for a repeat", async () => {
    const { tool: charge, charges } = chargeTool();
    const audit = new MemoryAuditLog();
    const guarded = withIdempotency(charge, {
      idempotency: { store: new MemoryStore(), audit },
      policy: { identity: ["order_id"], responseId: (r: { charge_id: string }) => r.charge_id },
      sessionId: "s-1",
    });
    expect([guarded.name, guarded.description, guarded.schema]).toEqual([charge.name, charge.description, charge.schema]);

    const first = await guarded.invoke({ order_id: "o-1", amount: 40 });
    const again = await guarded.invoke({ order_id: "o-1", amount: 40, note: "retry" });
    expect(charges).toHaveLength(1);
    expect(again).toEqual(first);
    expect(audit.entries.map((e) => [e.outcome, e.response_id])).toEqual([
      ["executed", "ch_1"],
      ["mismatch", "ch_1"], // same key (identity is order_id), other arguments: replayed and audited
    ]);
  });

  it("invoke(): with a tool call, a replay is a ToolMessage answering the current id with response_metadata.idempotency", async () => {
    const { tool: charge, charges } = chargeTool();
    const guarded = withIdempotency(charge, { idempotency: { store: new MemoryStore() }, policy: { identity: ["order_id"] }, sessionId: "s-2" });
    const call = (id: string) => ({ name: "charge_card", args: { order_id: "o-2", amount: 10 }, id, type: "tool_call" as const });
    const a = (await guarded.invoke(call("c1"))) as ToolMessage;
    const b = (await guarded.invoke(call("c2"))) as ToolMessage;
    expect(charges).toHaveLength(1);
    expect(ToolMessage.isInstance(b)).toBe(true);
    expect(b.tool_call_id).toBe("c2");
    expect(b.content).toBe(a.content);
    expect(a.response_metadata).toMatchObject({ idempotency: { replayed: false, outcome: "executed" } });
    expect(b.response_metadata).toMatchObject({ idempotency: { replayed: true, outcome: "replayed", key: charges[0]!.key } });
  });

  it("invoke(): the key reaches the tool; other sessions and other identities are new actions", async () => {
    const { tool: charge, charges } = chargeTool();
    const idempotency = createIdempotency({ store: new MemoryStore() });
    const forSession = (sessionId: string) => withIdempotency(charge, { idempotency, policy: { identity: ["order_id"] }, sessionId });
    await forSession("s-a").invoke({ order_id: "o-3", amount: 1 });
    await forSession("s-b").invoke({ order_id: "o-3", amount: 1 });
    await forSession("s-a").invoke({ order_id: "o-4", amount: 1 });
    await forSession("s-a").invoke({ order_id: "o-3", amount: 1 });
    expect(charges.map((c) => c.order_id)).toEqual(["o-3", "o-3", "o-4"]);
    expect(new Set(charges.map((c) => c.key)).size).toBe(3);
    expect(charges.every((c) => /^[0-9a-f]{32}$/.test(c.key ?? ""))).toBe(true);
  });

  it("invoke(): two concurrent invocations of one action run the tool once", async () => {
    const { tool: charge, charges } = chargeTool();
    const guarded = withIdempotency(charge, { idempotency: { store: new MemoryStore() }, policy: { identity: ["order_id"] }, sessionId: "s-c" });
    const [a, b] = await Promise.all([guarded.invoke({ order_id: "o-5", amount: 2 }), guarded.invoke({ order_id: "o-5", amount: 2 })]);
    expect(charges).toHaveLength(1);
    expect(b).toEqual(a);
  });

  it("invoke(): without sessionId the thread_id scopes keys; with neither it throws and charges nothing", async () => {
    const { tool: charge, charges } = chargeTool();
    const guarded = withIdempotency(charge, { idempotency: { store: new MemoryStore() }, policy: { identity: ["order_id"] } });
    await guarded.invoke({ order_id: "o-6", amount: 3 }, thread("t-1"));
    await guarded.invoke({ order_id: "o-6", amount: 3 }, thread("t-1"));
    await guarded.invoke({ order_id: "o-6", amount: 3 }, thread("t-2"));
    expect(charges).toHaveLength(2);
    const error = await guarded.invoke({ order_id: "o-6", amount: 3 }).catch((e: unknown) => e);
    expect(isIdempotencyError(error, "KEY_INVALID")).toBe(true);
    expect(charges).toHaveLength(2);
  });

  it("invoke(): a failure is not recorded: the retry runs again with the same key", async () => {
    const keys: (string | undefined)[] = [];
    const flaky = tool(
      async ({ order_id }, config) => {
        keys.push(getIdempotencyKey(config));
        if (keys.length === 1) throw new Error("upstream 504");
        return `charged ${order_id}`;
      },
      { name: "charge_card", description: "Charge", schema: z.object({ order_id: z.string() }) },
    );
    const guarded = withIdempotency(flaky, { idempotency: { store: new MemoryStore() }, sessionId: "s-f" });
    await expect(guarded.invoke({ order_id: "o-7" })).rejects.toThrow("upstream 504");
    expect(await guarded.invoke({ order_id: "o-7" })).toBe("charged o-7");
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
  });

  it("withIdempotency(): as a tool of a stock createAgent, a repeated call with a new id books once", async () => {
    const { tool: bookTool, effects } = bookingTool();
    const guarded = withIdempotency(bookTool, { idempotency: { store: new MemoryStore() }, policy: { identity: ["slot"] } });
    const agent = createAgent({ model: scriptedModel([book("10:00", "c1")], [book("10:00", "c2")]), tools: [guarded] });
    const out = await agent.invoke({ messages: [human("book 10:00")] }, thread("t-agent"));
    expect(effects).toHaveLength(1);
    expect(toolMessages(out.messages)).toMatchObject([
      { id: "c1", replayed: false },
      { id: "c2", replayed: true },
    ]);
  });

  it("withIdempotency(): an engine's own policy for the tool is used when no policy is given", async () => {
    const { tool: charge, charges } = chargeTool();
    const idempotency = createIdempotency({ store: new MemoryStore(), tools: { charge_card: { identity: ["order_id"] } } });
    const guarded = withIdempotency(charge, { idempotency, sessionId: "s-e" });
    expect((guarded as unknown as { idempotency: unknown }).idempotency).toBe(idempotency);
    await guarded.invoke({ order_id: "o-8", amount: 1 });
    await guarded.invoke({ order_id: "o-8", amount: 2 }); // amount is not identity: a replay
    expect(charges).toHaveLength(1);
  });

  it("withIdempotency(): a policy given for an existing engine keeps that engine's settings (onStoreError, onWarning)", async () => {
    const { tool: charge, charges } = chargeTool();
    const warnings: string[] = [];
    const down = new MemoryStore();
    down.claim = () => Promise.reject(new Error("connection refused"));
    const idempotency = createIdempotency({ store: down, onStoreError: "open", onWarning: (m) => void warnings.push(m) });
    const guarded = withIdempotency(charge, { idempotency, policy: { identity: ["order_id"] }, sessionId: "s-open" });
    await guarded.invoke({ order_id: "o-9", amount: 1 });
    expect(charges).toHaveLength(1); // fail-open, as the engine was configured: run unguarded rather than refuse
    expect(warnings).toEqual([expect.stringContaining("store unavailable for charge_card")]);
  });

  it("invoke(): responseId receives the tool's own result as the node gives it: an artifact, JSON text parsed, an object as is", async () => {
    const seen: unknown[] = [];
    const responseId = (r: { id?: string }) => (seen.push(r), r.id);
    const withArtifact = tool(async () => ["charged", { id: "ch_a" }], { name: "a", description: "a", schema: z.object({ n: z.number() }), responseFormat: "content_and_artifact" });
    const asText = tool(async () => JSON.stringify({ id: "ch_t" }), { name: "t", description: "t", schema: z.object({ n: z.number() }) });
    const asObject = tool(async () => ({ id: "ch_o" }), { name: "o", description: "o", schema: z.object({ n: z.number() }) });
    const audit = new MemoryAuditLog();
    const engine = createIdempotency({ store: new MemoryStore(), audit });
    for (const t of [withArtifact, asText, asObject]) await withIdempotency(t, { idempotency: engine, policy: { responseId }, sessionId: "s" }).invoke({ n: 1 });
    expect(seen).toEqual([{ id: "ch_a" }, { id: "ch_t" }, { id: "ch_o" }]);
    expect(audit.entries.map((e) => [e.response_id, e.scope, e.key_sent])).toEqual([["ch_a", "s", true], ["ch_t", "s", true], ["ch_o", "s", true]]);
  });

  it("withIdempotency(): refuses what is not a StructuredTool", () => {
    expect(() => withIdempotency({ name: "x" } as never, { idempotency: { store: new MemoryStore() } })).toThrow(/StructuredTool/);
  });
});

describe("withIdempotency(): checks at wrap time", () => {
  const refusal = (f: () => unknown): IdempotencyPolicyError => {
    const e = rejected(f);
    expect(isIdempotencyError(e, "POLICY_INVALID")).toBe(true);
    return e as IdempotencyPolicyError;
  };

  it("an identity path the zod schema lacks fails at once, with the field it meant, instead of every call failing later", async () => {
    const { tool: charge, charges } = chargeTool();
    const e = refusal(() => withIdempotency(charge, { idempotency: { store: new MemoryStore() }, policy: { identity: ["orderId"] }, sessionId: "s" }));
    expect(e.problems).toEqual([expect.stringMatching(/^policy\.identity: "orderId" is not a field of charge_card: .*\(did you mean "order_id"\?\); the schema parse strips it/)]);
    expect(charges).toEqual([]);
  });

  it("an engine's own policy is checked against the schema too, and warnOnly: [\"schema-path\"] makes it a warning", () => {
    const { tool: charge } = chargeTool();
    const warnings: string[] = [];
    const engine = createIdempotency({ store: new MemoryStore(), tools: { charge_card: { normalize: { ammount: Number } } }, onWarning: (m) => void warnings.push(m) });
    expect(refusal(() => withIdempotency(charge, { idempotency: engine, sessionId: "s" })).problems).toEqual([
      expect.stringMatching(/^idempotency\.tools\.charge_card\.normalize: "ammount" is not a field of charge_card: .*\(did you mean "amount"\?\)/),
    ]);
    withIdempotency(charge, { idempotency: engine, sessionId: "s", warnOnly: ["schema-path"] });
    expect(warnings).toEqual([expect.stringMatching(/"ammount" is not a field of charge_card/)]);
  });

  it("unknown options, a bad sessionId and the policy's own problems: all in one error, each with a did-you-mean", () => {
    const { tool: charge } = chargeTool();
    const e = refusal(() =>
      withIdempotency(charge, { idempotency: { store: new MemoryStore() }, sesionId: "s", sessionId: 42, policy: { identty: ["order_id"], identity: ["order"] } } as never),
    );
    expect(e.problems).toEqual([
      'options: unknown field "sesionId" (did you mean "sessionId"?)',
      "options.sessionId must be a non-empty string or a function (config) => string, got 42",
      'policy: unknown field "identty" (did you mean "identity"?)',
      expect.stringMatching(/^policy\.identity: "order" is not a field of charge_card: .*\(did you mean "order_id"\?\)/),
    ]);
    expect(e.message).toMatch(/^\[agent-idempotency\] withIdempotency: 4 problems/);
  });
});

