// The engine alone, no LangChain: an agent loop retries `charge_card` after the upstream charged
// the card and then answered 504 (the 504 lies). Without a key the retry charges again.
import { createIdempotency, MemoryAuditLog, MemoryStore } from "@agent-idempotency/core";

function paymentsApi() {
  const charges = [];
  let first = true;
  return {
    charges,
    async charge({ order_id, amount }, idempotencyKey) {
      const done = idempotencyKey && charges.find((c) => c.key === idempotencyKey);
      if (done) return done; // the upstream honours the key it is given
      const charge = { id: `ch_${charges.length + 1}`, order_id, amount, key: idempotencyKey };
      charges.push(charge);
      if (first) {
        first = false;
        throw new Error("504 Gateway Timeout"); // ...after the charge went through
      }
      return charge;
    },
  };
}

async function withRetries(fn, tries = 3) {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i === tries) throw e;
    }
  }
}

const args = { order_id: "o-42", amount: 1999 };

const stock = paymentsApi();
await withRetries(() => stock.charge(args));
await withRetries(() => stock.charge(args)); // the model repeats the call

const ours = paymentsApi();
const audit = new MemoryAuditLog();
const idempotency = createIdempotency({ store: new MemoryStore(), audit, tools: { charge_card: { identity: ["order_id"] } } });
const call = { action: "charge_card", args, sessionId: "session-1" };
const charge = () => idempotency.run(call, ({ key }) => ours.charge(args, key));
await withRetries(charge);
const repeat = await withRetries(charge);

console.log("charge_card, retried after a lying 504, then repeated by the model\n");
console.log("                     charges made   replays");
console.log(`  without a key      ${String(stock.charges.length).padEnd(15)}0`);
console.log(`  agent-idempotency  ${String(ours.charges.length).padEnd(15)}${audit.entries.filter((e) => e.outcome === "replayed").length}`);
console.log(`\n  key: ${repeat.key} (sha256 of {action, scope, identity}; the upstream deduped the retry by it)`);
if (stock.charges.length < 2 || ours.charges.length !== 1) process.exit(1);
