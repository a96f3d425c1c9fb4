/**
 * new IdempotentToolNode(): every mistake fails at construction, in one IdempotencyPolicyError
 * that names each problem and the likely intended name, and no tool is left silently unguarded.
 */
import { createIdempotency, isIdempotencyError, MemoryStore, trim, lowercase } from "@agent-idempotency/core";
import type { IdempotencyOptions, IdempotencyPolicyError, ToolPolicy } from "@agent-idempotency/core";
import { IdempotentToolNode } from "@agent-idempotency/langgraph";
import { missingPath, toolJsonSchema } from "@agent-idempotency/langgraph/internal";
import type { IdempotentToolNodeOptions } from "@agent-idempotency/langgraph";
import { DynamicTool, tool } from "@langchain/core/tools";
import { describe, expect, it } from "vitest";
import { z } from "zod";

const sendInvoice = tool(async () => "sent", {
  name: "send_invoice",
  description: "Send an invoice",
  schema: z.object({ invoice_id: z.string(), amount: z.object({ value: z.number(), currency: z.string() }), lines: z.array(z.object({ sku: z.string() })) }),
});
const createTicket = tool(async () => "filed", { name: "create_ticket", description: "File a ticket", schema: z.object({ title: z.string() }) });
/** A tool declared with JSON schema rather than zod. */
const refund = tool(async () => "refunded", {
  name: "refund",
  description: "Refund",
  schema: { type: "object", properties: { charge_id: { type: "string" }, reason: { type: "string" } }, required: ["charge_id"] },
});

function construct(options: IdempotentToolNodeOptions, tools: ConstructorParameters<typeof IdempotentToolNode>[0] = [sendInvoice, createTicket, refund]): IdempotencyPolicyError {
  try {
    new IdempotentToolNode(tools, options);
  } catch (e) {
    expect(isIdempotencyError(e, "POLICY_INVALID")).toBe(true);
    return e as IdempotencyPolicyError;
  }
  throw new Error("expected an IdempotencyPolicyError");
}

const store = () => new MemoryStore();

describe("new IdempotentToolNode(): validation", () => {
  it("a policy for a tool the node was not given (a typo) fails, with the name it meant", () => {
    const e = construct({ idempotency: { store: store(), tools: { send_invoce: { identity: ["invoice_id"] } } } });
    expect(e.problems).toEqual([
      'tools.send_invoce: a policy for a tool IdempotentToolNode was not given (did you mean "send_invoice"?), so no call is guarded by it; its tools are send_invoice, create_ticket, refund. Fix the name, or pass warnOnly: ["unknown-tool"] when the engine is shared or the tool comes later',
    ]);
    expect(e.message).toMatch(/^\[agent-idempotency\] IdempotentToolNode: tools\.send_invoce: a policy for a tool/);
  });

  it("identity and normalize paths the zod schema does not have fail, nested ones included", () => {
    const e = construct({
      idempotency: {
        store: store(),
        tools: {
          send_invoice: { identity: ["invoice_nr", "amount.value", "lines[0].sku"], normalize: { "amount.curency": lowercase, "lines[0].sku": trim } },
        },
      },
    });
    expect(e.problems).toEqual([
      `tools.send_invoice.identity: "invoice_nr" is not a field of send_invoice: send_invoice's schema has no "invoice_nr" (did you mean "invoice_id"?); the schema parse strips it, so every call would fail for a missing identity field`,
      `tools.send_invoice.normalize: "amount.curency" is not a field of send_invoice: "amount" in send_invoice's schema has no "curency" (did you mean "currency"?); it would never be normalized`,
    ]);
  });

  it("a JSON-schema tool's paths are checked too", () => {
    const e = construct({ idempotency: { store: store(), tools: { refund: { identity: ["chargeid"] } } } });
    expect(e.problems).toEqual([expect.stringMatching(/^tools\.refund\.identity: "chargeid" is not a field of refund: .*\(did you mean "charge_id"\?\)/)]);
  });

  it("defaults apply to every guarded tool, so guard: \"all\" checks its identity against each tool", () => {
    const e = construct({ idempotency: { store: store(), defaults: { guard: "all", identity: ["title"] } } }, [createTicket, refund]);
    expect(e.problems).toEqual([expect.stringMatching(/^tools\.refund\.identity: "title" is not a field of refund/)]);
  });

  it("every problem in one error: the node's options, the engine's options, the policies against the tools", () => {
    const e = construct({
      scop: "thread",
      idempotency: { tools: { send_invoce: {}, create_ticket: { identty: ["title"] } as ToolPolicy } } as unknown as IdempotencyOptions,
    } as unknown as IdempotentToolNodeOptions);
    expect(e.problems).toEqual([
      'options: unknown field "scop" (did you mean "scope"?)',
      expect.stringMatching(/^idempotency\.store: missing/),
      'idempotency.tools.create_ticket: unknown field "identty" (did you mean "identity"?)',
      expect.stringMatching(/^tools\.send_invoce: a policy for a tool IdempotentToolNode was not given \(did you mean "send_invoice"\?\)/),
    ]);
    expect(e.message.split("\n")[0]).toBe("[agent-idempotency] IdempotentToolNode: 4 problems in the configuration:");
  });

  it("the engine's own problems and the policies' tool and schema problems come in one error, not one after the other", () => {
    const e = construct(
      {
        idempotency: {
          store: store(),
          tools: { send_invoice: { identity: ["orderid"] }, charge_card: { identty: ["order_id"] } as ToolPolicy, send_invoce: {} },
        },
      },
      [sendInvoice, createTicket],
    );
    expect(e.problems).toEqual([
      'idempotency.tools.charge_card: unknown field "identty" (did you mean "identity"?)',
      expect.stringMatching(/^tools\.charge_card: a policy for a tool IdempotentToolNode was not given, so no call is guarded by it/),
      expect.stringMatching(/^tools\.send_invoce: a policy for a tool IdempotentToolNode was not given \(did you mean "send_invoice"\?\)/),
      expect.stringMatching(/^tools\.send_invoice\.identity: "orderid" is not a field of send_invoice: send_invoice's schema has no "orderid"/),
    ]);
  });

  it("defaults are read from the raw options too when the engine cannot be built", () => {
    const e = construct({ idempotency: { store: store(), onStoreEror: "open", defaults: { guard: "all", identity: ["titel"] } } as unknown as IdempotencyOptions }, [createTicket]);
    expect(e.problems).toEqual([
      'idempotency: unknown field "onStoreEror" (did you mean "onStoreError"?)',
      expect.stringMatching(/^tools\.create_ticket\.identity: "titel" is not a field of create_ticket: .*\(did you mean "title"\?\)/),
    ]);
  });

  it("handleToolErrors must be a boolean: the string \"true\" fails instead of being taken as truthy", () => {
    const e = construct({ idempotency: { store: store() }, handleToolErrors: "true" } as unknown as IdempotentToolNodeOptions);
    expect(e.problems).toEqual(['options.handleToolErrors must be true or false, got "true" (a string)']);
    expect(new IdempotentToolNode([createTicket], { idempotency: { store: store() }, handleToolErrors: false }).handleToolErrors).toBe(false);
  });

  it("an engine built beforehand is checked against the node's tools as well", () => {
    const engine = createIdempotency({ store: store(), tools: { create_tiket: {} }, onWarning: () => {} });
    const e = construct({ idempotency: engine });
    expect(e.problems[0]).toMatch(/tools\.create_tiket: .*\(did you mean "create_ticket"\?\)/);
  });

  it("warnOnly turns a check into a warning, for an engine shared by several nodes", () => {
    const warnings: string[] = [];
    const engine = createIdempotency({ store: store(), tools: { send_invoice: {}, create_ticket: {} }, onWarning: (m) => warnings.push(m) });
    const node = new IdempotentToolNode([sendInvoice], { idempotency: engine, warnOnly: ["unknown-tool"] });
    expect(node.warnOnly).toEqual(["unknown-tool"]);
    expect(warnings).toEqual([expect.stringMatching(/^tools\.create_ticket: a policy for a tool IdempotentToolNode was not given/)]);
    expect(construct({ idempotency: engine, warnOnly: ["unknown-tools"] } as unknown as IdempotentToolNodeOptions, [sendInvoice]).problems[0]).toMatch(
      /^options\.warnOnly must list checks among "unknown-tool", "schema-path"/,
    );
  });

  it("tools without a schema, identity functions and schemas that cannot be read are not second-guessed", () => {
    const text = new DynamicTool({ name: "shout", description: "s", func: async (s: string) => s.toUpperCase() });
    const node = new IdempotentToolNode([text, sendInvoice], { idempotency: { store: store(), tools: { shout: { identity: ["input"] }, send_invoice: { identity: (a: { invoice_id: string }) => a.invoice_id } } } });
    expect(node.idempotency.policy("shout")).toBeDefined();
  });
});

describe("missingPath()", () => {
  const schema = toolJsonSchema(sendInvoice)!;
  it("missingPath(): finds declared paths through objects, arrays and unions; names the first missing segment", () => {
    expect(missingPath(schema, ["invoice_id"])).toBeUndefined();
    expect(missingPath(schema, ["lines", 3, "sku"])).toBeUndefined();
    expect(missingPath(schema, ["amount", "value", "cents"])).toEqual({ parent: "amount.value", segment: "cents", known: [] });
    const union = toolJsonSchema({ schema: z.object({ to: z.union([z.object({ email: z.string() }), z.object({ phone: z.string() })]).nullable() }) })!;
    expect(missingPath(union, ["to", "phone"])).toBeUndefined();
    expect(missingPath(union, ["to", "fax"])).toEqual({ parent: "to", segment: "fax", known: ["email", "phone"] });
    const open = { type: "object", properties: { a: { type: "string" } }, additionalProperties: true };
    expect(missingPath(open, ["b"])).toBeUndefined();
  });
});
