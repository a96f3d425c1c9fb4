// One process of the demo. PHASE=crash starts the checkout and is killed by main.mjs once the card
// is charged (for idempotentTask: once the charge is recorded), before LangGraph checkpoints the
// charge; PHASE=resume resumes the thread with invoke(null); PHASE=retry invokes it again with the
// same order, as a client whose first request timed out would.
import { PostgresStore } from "@agent-idempotency/store-postgres";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { buildCheckout, ORDER } from "./src/checkout.mjs";

const { IDEMPOTENCY_PG_URL: url, SCHEMA: schema, KIND: kind, PHASE: phase, CHARGES, EMAILS } = process.env;
const tell = (msg) => process.send?.(msg);
const forever = () => new Promise(() => {});
const config = { configurable: { thread_id: `checkout-${ORDER.id}` }, durability: "sync" };

const checkpointer = PostgresSaver.fromConnString(url, { schema });
await checkpointer.setup();
const store = new PostgresStore({ uri: url, schema, table: "idempotency" });
const outcomes = [];
const audit = {
  async write(entry) {
    outcomes.push(`${entry.action_type}:${entry.outcome}`);
    // idempotentTask: the charge is recorded. Stop here, before the task returns its result.
    if (phase === "crash" && entry.action_type === "charge_card" && entry.outcome === "executed") await stop();
  },
  async *query() {},
};
async function stop() {
  tell({ charged: true });
  await forever(); // main.mjs kills this process now
}
async function hold(event) {
  if (phase !== "crash") return;
  // A run killed before its first checkpoint has nothing to resume: wait until it is on disk.
  if (event === "charging") while ((await checkpointer.getTuple(config)) === undefined) await new Promise((r) => setTimeout(r, 10));
  if (event === "charged") await stop(); // stock task: the card is charged
}

const checkout = buildCheckout({ kind, checkpointer, idempotency: { store, audit }, effects: { charges: CHARGES, emails: EMAILS }, hold });
try {
  const out = await checkout.invoke(phase === "resume" ? null : ORDER, config);
  tell({ result: out, outcomes });
} catch (error) {
  tell({ error: String(error?.stack ?? error) });
} finally {
  await checkpointer.end();
  await store.close();
}
