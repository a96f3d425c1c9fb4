// LangSmith's own tracer, on a client whose transport is captured: the runs it would have sent to
// LangSmith are kept here instead, so the example runs offline (no API key, no network).
import { LangChainTracer } from "@langchain/core/tracers/tracer_langchain";
import { Client } from "langsmith";

export function capturedLangSmith() {
  const created = [];
  const updates = new Map();
  const capture = async (url, init) => {
    const body = init?.body === undefined ? {} : JSON.parse(typeof init.body === "string" ? init.body : new TextDecoder().decode(init.body));
    const path = new URL(String(url)).pathname;
    if (init?.method === "POST" && path === "/runs") created.push(body);
    if (init?.method === "PATCH" && path.startsWith("/runs/")) updates.set(path.slice("/runs/".length), { ...updates.get(path.slice("/runs/".length)), ...body });
    return new Response("{}", { status: 200, headers: { "content-type": "application/json" } });
  };
  const client = new Client({ apiUrl: "http://langsmith.invalid", apiKey: "offline", autoBatchTracing: false, fetchImplementation: capture });
  return {
    tracer: new LangChainTracer({ client, projectName: "agent-idempotency-tracing-example" }),
    /** The runs as LangSmith received them: what was created, with what their updates added. */
    async runs() {
      await client.awaitPendingTraceBatches();
      return created.map((run) => ({ ...run, ...updates.get(run.id) }));
    },
  };
}
