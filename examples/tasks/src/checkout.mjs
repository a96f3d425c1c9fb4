// The checkout workflow, in LangGraph's functional API: charge the card, then email the receipt
// to each address in parallel. Each side effect is a task: a stock `task`, or an `idempotentTask`
// whose effect is claimed under a key (the order, the recipient) and the thread.
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { getIdempotencyKey, idempotentTask } from "@agent-idempotency/langgraph";
import { entrypoint, task } from "@langchain/langgraph";

export const ORDER = { id: "o-42", cents: 12_000, emails: ["ada@example.com", "ops@example.com"] };

const lines = (file) => (existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").filter(Boolean) : []);

/**
 * The workflow. `effects` is where the payments and mail APIs record what they really did (files,
 * so every process appends to the same ones); `hold(event)` lets the demo stop a process at a
 * chosen moment.
 */
export function buildCheckout({ kind, checkpointer, idempotency, effects, hold = async () => {} }) {
  async function chargeCard(order) {
    await hold("charging");
    appendFileSync(effects.charges, `${order.id} ${getIdempotencyKey() ?? "-"}\n`); // the payments API charges
    const chargeId = `ch_${lines(effects.charges).length}`;
    if (kind === "stock") await hold("charged");
    return { charge_id: chargeId, cents: order.cents };
  }
  async function sendReceipt(to, orderId, chargeId) {
    appendFileSync(effects.emails, `${to} ${orderId} ${chargeId}\n`); // the mail API sends
    return `receipt for ${chargeId} sent to ${to}`;
  }
  const charge =
    kind === "stock"
      ? task("charge_card", chargeCard)
      : idempotentTask("charge_card", chargeCard, { idempotency, policy: { identity: ["id"] } });
  const receipt =
    kind === "stock"
      ? task("send_receipt", sendReceipt)
      : idempotentTask("send_receipt", sendReceipt, { idempotency, policy: { identity: ["[0]", "[1]"] } }); // recipient, order

  return entrypoint({ name: "checkout", checkpointer }, async (order) => {
    const { charge_id } = await charge(order);
    const receipts = await Promise.all(order.emails.map((to) => receipt(to, order.id, charge_id)));
    return { charge_id, receipts };
  });
}
