/**
 * The retry recipe of the README, run: handleToolErrors off so the node fails, a retryPolicy whose
 * retryOn retries the tool's transient failures and the engine's retryable errors, and cacheErrors
 * making a decline final. Counts real charges and the keys they were sent with.
 */
import { isIdempotencyError, MemoryStore } from "@agent-idempotency/core";
import type { IdempotencyStore } from "@agent-idempotency/core";
import { getIdempotencyKey, IdempotentToolNode } from "@agent-idempotency/langgraph";
import { AIMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { human, thread } from "./helpers.js";

const RETRYABLE = ["STORE_FAILED", "STORE_UNAVAILABLE", "IN_PROGRESS"] as const;
const retryOn = (error: unknown): boolean => {
  if (isIdempotencyError(error)) return RETRYABLE.some((code) => isIdempotencyError(error, code));
  const status = (error as { status?: number }).status;
  return status === 429 || (status !== undefined && status >= 500);
};

/** charge_card, failing with the given statuses in turn, then succeeding; every attempt is counted with its key. */
function chargeCard(statuses: number[]) {
  const attempts: { key: string | undefined; status?: number }[] = [];
  const t = tool(
    async ({ order_id }) => {
      const status = statuses[attempts.length];
      attempts.push({ key: getIdempotencyKey(), status });
      if (status !== undefined) throw Object.assign(new Error(`upstream answered ${status}`), { status });
      return `charged ${order_id}`;
    },
    { name: "charge_card", description: "Charge", schema: z.object({ order_id: z.string(), amount: z.number().optional() }) },
  );
  return { tool: t, attempts };
}

function graphFor(t: ReturnType<typeof chargeCard>["tool"], store: IdempotencyStore = new MemoryStore(), identity = ["order_id"]) {
  const node = new IdempotentToolNode([t], {
    handleToolErrors: false,
    idempotency: { store, onWarning: () => {}, tools: { charge_card: { identity, cacheErrors: (e) => (e as { status?: number }).status === 402 } } },
  });
  return new StateGraph(MessagesAnnotation)
    .addNode("tools", node, { retryPolicy: { maxAttempts: 3, initialInterval: 1, jitter: false, retryOn } })
    .addEdge(START, "tools")
    .compile();
}

const charge = (id: string, args: Record<string, unknown> = { order_id: "o-1" }) => ({
  messages: [human("pay", "h1"), new AIMessage({ content: "", tool_calls: [{ id, name: "charge_card", args }] })],
});

describe("the retry recipe", () => {
  it("a 504 is retried by the node's retry policy, under the same key", async () => {
    const card = chargeCard([504]);
    const out = await graphFor(card.tool).invoke(charge("c1"), thread("r1"));
    expect(card.attempts).toHaveLength(2);
    expect(card.attempts[0]!.key).toMatch(/^[0-9a-f]{32}$/);
    expect(card.attempts[1]!.key).toBe(card.attempts[0]!.key);
    expect(out.messages.at(-1)!.content).toBe("charged o-1");
  });

  it("a 402 is final: recorded by cacheErrors, not retried, and a later retry of the run does not charge again", async () => {
    const card = chargeCard([402]);
    const graph = graphFor(card.tool);
    await expect(graph.invoke(charge("c1"), thread("r2"))).rejects.toThrow("upstream answered 402");
    await expect(graph.invoke(charge("c2"), thread("r2"))).rejects.toThrow("upstream answered 402");
    expect(card.attempts).toHaveLength(1);
  });

  it("a store that does not answer is retried, and the tool runs once it does", async () => {
    const inner = new MemoryStore();
    let outages = 1;
    const store: IdempotencyStore = {
      claim: async (k, r) => {
        if (outages-- > 0) throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
        return inner.claim(k, r);
      },
      complete: (c, o) => inner.complete(c, o),
      fail: (c, f) => inner.fail(c, f),
      release: (c) => inner.release(c),
      heartbeat: (c, l) => inner.heartbeat(c, l),
      get: (k) => inner.get(k),
      close: () => inner.close(),
    };
    const card = chargeCard([]);
    const out = await graphFor(card.tool, store).invoke(charge("c1"), thread("r3"));
    expect(card.attempts).toHaveLength(1);
    expect(out.messages.at(-1)!.content).toBe("charged o-1");
  });

  it("a missing identity field is not retried: the arguments would not change", async () => {
    const card = chargeCard([]);
    let error: unknown;
    try {
      await graphFor(card.tool, new MemoryStore(), ["order_id", "amount"]).invoke(charge("c1"), thread("r4"));
    } catch (e) {
      error = e;
    }
    expect(isIdempotencyError(error, "KEY_INVALID")).toBe(true);
    expect(card.attempts).toHaveLength(0);
  });
});
