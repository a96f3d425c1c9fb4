/**
 * Real agents for the tests: `createAgent` with a scripted model (`fakeModel()`), and tools whose
 * side effects are counted in a plain array, so the tests count effects, not return values.
 */
import type { BaseMessage } from "@langchain/core/messages";
import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import type { FakeBuiltModel } from "@langchain/core/testing";
import { fakeModel } from "@langchain/core/testing";
import { tool } from "@langchain/core/tools";
import { createIdempotency, MemoryAuditLog, MemoryStore } from "@agent-idempotency/core";
import type { ToolPolicies } from "@agent-idempotency/core";
import { getIdempotencyKey } from "@agent-idempotency/langgraph";
import type { AgentMiddleware } from "langchain";
import { z } from "zod";
import type { IdempotencyMiddlewareOptions } from "../src/index.js";
import { idempotencyMiddleware } from "../src/index.js";

export type ScriptedCall = { name: string; args: Record<string, unknown>; id: string };

/** A model that emits each batch of tool calls in turn, then "done". */
export function scriptedModel(...batches: ScriptedCall[][]): FakeBuiltModel {
  const model = fakeModel();
  for (const batch of batches) model.respondWithTools(batch);
  model.respond(new AIMessage("done"));
  return model;
}

export const book = (slot: string, id: string): ScriptedCall => ({ name: "book_calendar", args: { slot }, id });

/** `book_calendar`: each run is one booking; it reports the key it was given. */
export function bookingTool() {
  const effects: { slot: string; key: string | undefined; alsKey: string | undefined }[] = [];
  const t = tool(
    async ({ slot }, config) => {
      effects.push({ slot, key: getIdempotencyKey(config), alsKey: getIdempotencyKey() });
      return JSON.stringify({ booking_id: `b_${effects.length}`, slot });
    },
    { name: "book_calendar", description: "Book a calendar slot", schema: z.object({ slot: z.string() }) },
  );
  return { tool: t, effects };
}

/**
 * `charge_card`: charges, then throws (the 504 that lied), `failures` times; then succeeds. `thrown`
 * holds the error objects it threw, `keys` the key each run was given.
 */
export function flakyTool(failures = Infinity) {
  const effects: string[] = [];
  const thrown: Error[] = [];
  const keys: (string | undefined)[] = [];
  const t = tool(
    async ({ order_id }, config) => {
      effects.push(order_id);
      keys.push(getIdempotencyKey(config));
      if (effects.length <= failures) {
        const error = new Error(`upstream 504 for order ${order_id}`);
        thrown.push(error);
        throw error;
      }
      return `charged ${order_id}`;
    },
    { name: "charge_card", description: "Charge the card", schema: z.object({ order_id: z.string() }) },
  );
  return { tool: t, effects, thrown, keys };
}

export const charge = (orderId: string, id: string): ScriptedCall => ({ name: "charge_card", args: { order_id: orderId }, id });

/** How a promise settled: its value, or the exact object it rejected with. */
export async function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

export const thread = (id: string) => ({ configurable: { thread_id: id } });

export const human = (content: string, id?: string) => (id === undefined ? new HumanMessage(content) : new HumanMessage({ content, id }));

/** The ToolMessages of a run, with what the idempotency metadata says. */
export function toolMessages(messages: BaseMessage[]) {
  return messages
    .filter((m): m is ToolMessage => ToolMessage.isInstance(m))
    .map((m) => {
      const meta = (m.response_metadata as { idempotency?: { replayed: boolean; key: string; outcome: string } } | undefined)?.idempotency;
      return { id: m.tool_call_id, name: m.name, content: m.content, status: m.status, replayed: meta?.replayed, key: meta?.key, outcome: meta?.outcome };
    });
}

/** The ToolMessages the model was shown on its last call (what it "saw"). */
export function seenByModel(model: FakeBuiltModel) {
  const last = model.calls.at(-1);
  return toolMessages(last?.messages ?? []);
}

/** `idempotencyMiddleware` on a fresh memory store with `policies`, and its audit log. */
export function ours(policies: ToolPolicies, extra: Partial<IdempotencyMiddlewareOptions> = {}) {
  const audit = new MemoryAuditLog();
  const idempotency = createIdempotency({ store: new MemoryStore(), tools: policies, audit, onWarning: () => undefined });
  // One policy table serves agents with one tool or the other, so the unknown-tool check warns.
  return { audit, idempotency, middleware: idempotencyMiddleware({ idempotency, warnOnly: ["unknown-tool"], ...extra }) };
}

/** Where `idempotencyMiddleware` goes among the agent's other middleware. */
export const positions = ["appended", "prepended"] as const;
export type Position = (typeof positions)[number];
export const place = (mine: AgentMiddleware, others: AgentMiddleware[], at: Position): AgentMiddleware[] => (at === "appended" ? [...others, mine] : [mine, ...others]);
