// The agent each worker runs for a job: a scripted model (no network, no API key) that sends the
// invoice email, and IdempotentToolNode on a PostgresStore that every worker shares.
import { createIdempotency, MemoryAuditLog } from "@agent-idempotency/core";
import { idempotencyHeaders, IdempotentToolNode } from "@agent-idempotency/langgraph";
import { PostgresStore } from "@agent-idempotency/store-postgres";
import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import { fakeModel } from "@langchain/core/testing";
import { tool } from "@langchain/core/tools";
import { END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { toolsCondition } from "@langchain/langgraph/prebuilt";
import { z } from "zod";

/** The job both workers receive: a queue with at-least-once delivery handed it out twice. */
export const JOB = { id: "job-42", message_id: "msg-42", invoice_id: "inv_2002", to: "billing@example.com" };

/** One email per invoice and recipient: that is what makes two sends the same. */
// responseId receives the tool's own result: here the text it returns.
export const POLICIES = { send_invoice_email: { identity: ["invoice_id", "to"], responseId: (text) => /msg_\d+/.exec(String(text))?.[0] } };

function sendInvoiceEmail({ mailUrl, worker }) {
  return tool(
    async ({ invoice_id, to }, config) => {
      const res = await fetch(`${mailUrl}/send`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-worker": worker, ...idempotencyHeaders(config) },
        body: JSON.stringify({ to, subject: `Invoice ${invoice_id}` }),
      });
      if (!res.ok) throw new Error(`the mail API answered ${res.status}`);
      const { id } = await res.json();
      return `sent invoice ${invoice_id} to ${to} (${id}, by ${worker})`;
    },
    { name: "send_invoice_email", description: "Email an invoice", schema: z.object({ invoice_id: z.string(), to: z.string() }) },
  );
}

/**
 * Builds a worker's agent on a PostgresStore in `schema`. `ready()` creates the store's tables
 * (safe from several processes at once); `handle(job)` runs the agent for the job and returns its
 * tool answer; `close()` ends the store's pool.
 */
export function createWorkerAgent({ pgUrl, schema, mailUrl, worker }) {
  const store = new PostgresStore({ uri: pgUrl, schema, table: "records", poolSize: 2 });
  const idempotency = createIdempotency({ store, audit: new MemoryAuditLog(), tools: POLICIES });
  const tools = new IdempotentToolNode([sendInvoiceEmail({ mailUrl, worker })], { idempotency });
  return {
    ready: () => store.setup(),
    async handle(job) {
      const model = fakeModel()
        .respondWithTools([{ name: "send_invoice_email", id: `call_${worker}`, args: { invoice_id: job.invoice_id, to: job.to } }])
        .respond(new AIMessage("The invoice is on its way."));
      const graph = new StateGraph(MessagesAnnotation)
        .addNode("agent", async (state) => ({ messages: [await model.invoke(state.messages)] }))
        .addNode("tools", tools)
        .addEdge(START, "agent")
        .addConditionalEdges("agent", toolsCondition, ["tools", END])
        .addEdge("tools", "agent")
        .compile();
      // The job names the turn: its id is the thread, its message keeps its id in every delivery.
      const ask = new HumanMessage({ id: job.message_id, content: `Email invoice ${job.invoice_id} to ${job.to}.` });
      const out = await graph.invoke({ messages: [ask] }, { configurable: { thread_id: job.id } });
      const answer = out.messages.find((m) => m instanceof ToolMessage);
      const meta = answer?.response_metadata?.idempotency;
      return { worker, status: answer?.status ?? "success", replayed: meta?.replayed === true, outcome: meta?.outcome, key: meta?.key, content: String(answer?.content) };
    },
    close: () => idempotency.close(),
  };
}
