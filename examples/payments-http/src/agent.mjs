// The agent of the example: a scripted model (no network, no API key) and one tool, pay_invoice,
// that forwards the idempotency key of its call as an `Idempotency-Key` header.
import { createIdempotency, MemoryAuditLog, MemoryStore } from "@agent-idempotency/core";
import { idempotencyHeaders, IdempotentToolNode } from "@agent-idempotency/langgraph";
import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import { fakeModel } from "@langchain/core/testing";
import { tool } from "@langchain/core/tools";
import { END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { toolsCondition } from "@langchain/langgraph/prebuilt";
import { z } from "zod";

export const INVOICE = { invoice_id: "inv_1001", amount_cents: 12000 };

/** What makes two payments the same: the invoice. The amount is checked by the API (422). */
// responseId receives the tool's own result: here the text it returns.
export const POLICIES = { pay_invoice: { identity: ["invoice_id"], responseId: (text) => /pay_\d+/.exec(String(text))?.[0] } };

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The tool. Forwards `idempotencyHeaders(config)`; gives up on a request after `timeoutMs`; on a
 * 409 (the same key still processing upstream) waits `Retry-After` and asks again, as the draft
 * suggests; a 422 (the key was used for a different payload) is final.
 */
export function makePayInvoice({ apiUrl, timeoutMs = 2000 }) {
  return tool(
    async ({ invoice_id, amount_cents }, config) => {
      const body = JSON.stringify({ invoice_id, amount_cents });
      for (let attempt = 1; ; attempt++) {
        let res;
        try {
          res = await fetch(`${apiUrl}/payments`, {
            method: "POST",
            headers: { "content-type": "application/json", ...idempotencyHeaders(config) },
            body,
            signal: AbortSignal.timeout(timeoutMs),
          });
        } catch (e) {
          if (e?.name === "TimeoutError") throw new Error(`the payments API did not answer within ${timeoutMs} ms`);
          throw e;
        }
        const json = await res.json();
        if (res.status === 409 && attempt < 5) {
          await sleep(1000 * Number(res.headers.get("retry-after") ?? 1));
          continue;
        }
        if (!res.ok) throw new Error(`the payments API answered ${res.status}: ${json.title}`);
        const replayed = res.headers.get("idempotent-replayed") === "true" ? ", replayed by the payments API" : "";
        return `paid ${json.invoice_id}: ${json.amount_cents} cents (${json.id}${replayed})`;
      }
    },
    {
      name: "pay_invoice",
      description: "Pay an invoice",
      schema: z.object({ invoice_id: z.string(), amount_cents: z.number().int() }),
    },
  );
}

/** One pay_invoice call per entry of `calls` ({ id, amount_cents? }), then a closing answer. */
function scriptedModel(calls) {
  let model = fakeModel();
  for (const c of calls) model = model.respondWithTools([{ name: "pay_invoice", id: c.id, args: { ...INVOICE, ...c.args } }]);
  return model.respond(new AIMessage("Done."));
}

/**
 * Runs the agent once over `store` (a fresh MemoryStore by default: an agent process that
 * restarted without its records). Every run is the same conversation turn, so the same key.
 * Returns one row per tool answer.
 */
export async function runAgent({ apiUrl, calls, store = new MemoryStore(), timeoutMs }) {
  const audit = new MemoryAuditLog();
  const idempotency = createIdempotency({ store, audit, tools: POLICIES });
  const model = scriptedModel(calls);
  const graph = new StateGraph(MessagesAnnotation)
    .addNode("agent", async (state) => ({ messages: [await model.invoke(state.messages)] }))
    .addNode("tools", new IdempotentToolNode([makePayInvoice({ apiUrl, timeoutMs })], { idempotency }))
    .addEdge(START, "agent")
    .addConditionalEdges("agent", toolsCondition, ["tools", END])
    .addEdge("tools", "agent")
    .compile();
  const ask = new HumanMessage({ id: "h-1", content: "Pay invoice inv_1001, $120.00." });
  try {
    const out = await graph.invoke({ messages: [ask] }, { configurable: { thread_id: "payments-1" } });
    return out.messages
      .filter((m) => m instanceof ToolMessage)
      .map((m) => ({
        id: m.tool_call_id,
        status: m.status ?? "success",
        replayed: m.response_metadata?.idempotency?.replayed === true,
        key: m.response_metadata?.idempotency?.key,
        content: String(m.content).split("\n")[0],
      }));
  } finally {
    await idempotency.close();
  }
}
