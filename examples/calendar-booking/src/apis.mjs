// The two upstream APIs of the demo, as real HTTP servers on ephemeral loopback ports.
import { createServer } from "node:http";

async function listen(handler) {
  const server = createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    const reply = (status, json, headers = {}) => res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(json));
    try {
      handler(req, body ? JSON.parse(body) : {}, reply);
    } catch (e) {
      reply(400, { error: String(e?.message ?? e) });
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  // fetch keeps connections alive; close them, or close() waits out their idle timeout.
  const close = () => new Promise((resolve) => (server.close(() => resolve()), server.closeAllConnections()));
  return { url, close };
}

/**
 * A calendar API. `POST /events { slot, attendee, id? }` books the slot. Like Google Calendar's
 * `events.insert`, a client may choose the event id; a second insert with the same id answers
 * 409 with the existing event instead of booking again. The first request of all books the
 * slot and then answers 504: the 504 lies.
 */
export async function startCalendarApi() {
  const events = [];
  let requests = 0;
  const { url, close } = await listen((req, body, reply) => {
    if (req.method !== "POST" || req.url !== "/events") return reply(404, { error: "not found" });
    requests++;
    const existing = body.id && events.find((e) => e.id === body.id);
    if (existing) return reply(409, { error: "duplicate", event: existing });
    const event = { id: body.id ?? `evt_${events.length + 1}`, slot: body.slot, attendee: body.attendee };
    events.push(event);
    if (requests === 1) return reply(504, { error: "Gateway Timeout" }); // ...after booking
    return reply(201, event);
  });
  return { url, close, events, get requests() { return requests; } };
}

/**
 * A payments API that honours an `Idempotency-Key` header, as Stripe does: a repeated key gets
 * the original charge back (`Idempotent-Replayed: true`) and charges nothing.
 */
export async function startPaymentsApi() {
  const charges = [];
  const byKey = new Map();
  const { url, close } = await listen((req, body, reply) => {
    if (req.method !== "POST" || req.url !== "/charges") return reply(404, { error: "not found" });
    const key = req.headers["idempotency-key"];
    if (key && byKey.has(key)) return reply(200, byKey.get(key), { "idempotent-replayed": "true" });
    const charge = { id: `ch_${charges.length + 1}`, amount_usd: body.amount_usd, customer: body.customer };
    charges.push(charge);
    if (key) byKey.set(key, charge);
    return reply(201, charge);
  });
  return { url, close, charges };
}
