#!/usr/bin/env node
// payments-http: a tool forwards its idempotency key as an `Idempotency-Key` header to a payments
// API that follows the IETF draft. Offline, on an ephemeral loopback port.
//   node examples/payments-http/main.mjs [--json]
import { pathToFileURL } from "node:url";
import { INVOICE, runAgent } from "./src/agent.mjs";
import { startPaymentsApi } from "./src/payments-api.mjs";

export async function runDemo() {
  // The API makes the first payment but withholds its answer until a retry has seen a 409.
  const api = await startPaymentsApi({ holdFirst: true, retryAfterSeconds: 1 });
  try {
    // 1. One run: the first call times out (the payment went through), the model retries (409,
    //    then the stored response), then repeats itself (IdempotentToolNode replays, no request).
    const first = await runAgent({ apiUrl: api.url, calls: [{ id: "call_1" }, { id: "call_2" }, { id: "call_3" }] });
    // 2. The agent restarts with an empty store and pays again: the API replays (same key).
    const restarted = await runAgent({ apiUrl: api.url, calls: [{ id: "call_4" }] });
    // 3. Restarted again, the model asks for a different amount under the same key: 422.
    const changed = await runAgent({ apiUrl: api.url, calls: [{ id: "call_5", args: { amount_cents: 12500 } }] });
    return {
      calls: [...first, ...restarted, ...changed],
      payments: api.payments.length,
      requests: api.requests.map(({ status, replayed, clientGone }) => ({ status, ...(replayed ? { replayed } : {}), ...(clientGone ? { clientGone } : {}) })),
      keys: [...new Set([...first, ...restarted, ...changed].map((c) => c.key))],
    };
  } finally {
    await api.close();
  }
}

function print(out) {
  const label = (r) => `${r.status}${r.replayed ? " replayed" : ""}${r.clientGone ? " (client gone)" : ""}`;
  console.log(`payments-http: an agent pays ${INVOICE.invoice_id} (${INVOICE.amount_cents} cents) through an API that follows the IETF Idempotency-Key draft.`);
  console.log("");
  for (const c of out.calls) {
    const how = c.status === "error" ? "error" : c.replayed ? "replayed by IdempotentToolNode" : "executed";
    console.log(`  ${c.id}  ${how.padEnd(31)} ${c.content}`);
  }
  console.log("");
  console.log(`API requests: ${out.requests.map(label).join(", ")}`);
  console.log(`payments made: ${out.payments}, keys used: ${out.keys.length} (${out.keys.map((k) => `${k.slice(0, 8)}…`).join(", ")})`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const json = process.argv.includes("--json");
  const out = await runDemo();
  if (json) console.log(JSON.stringify(out));
  else print(out);
  // A regression, not a demo: one payment, whatever the retries.
  if (out.payments !== 1) process.exitCode = 1;
}
