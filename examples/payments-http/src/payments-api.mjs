// A payments API that follows the IETF "The Idempotency-Key HTTP Header Field" draft
// (draft-ietf-httpapi-idempotency-key-header), as a real HTTP server on an ephemeral loopback port.
// It stands in for Stripe & co.; it imports nothing of ours.
//
//   POST /payments  { invoice_id, amount_cents }   Idempotency-Key: <key>   (required)
//   - no key                                  -> 400 (the operation documents the header as required)
//   - first request with a key                -> the payment is made; 201 { id, invoice_id, amount_cents }
//   - same key while the first is processing  -> 409, Retry-After
//   - same key, different payload             -> 422
//   - same key, same payload, completed       -> the stored response again (same status and body),
//                                                marked `Idempotent-Replayed: true`
// Errors are RFC 9457 problem details. The fingerprint is a SHA-256 of the request body's bytes.
import { createHash } from "node:crypto";
import { createServer } from "node:http";

const problem = (status, title, detail) => ({ status, body: { type: "about:blank", title, status, detail }, type: "application/problem+json" });

/**
 * Starts the API. `holdFirst`: the first payment is made at once but its response is withheld
 * until a retry of the same key has been answered 409, so a client with a timeout gives up on a
 * request that succeeded (the response that never came). `retryAfterSeconds` goes into 409s.
 */
export async function startPaymentsApi({ holdFirst = false, retryAfterSeconds = 1 } = {}) {
  const payments = []; // the side effects, in order
  const requests = []; // { key, status, replayed?, clientGone? } per request, in arrival order
  const byKey = new Map(); // key -> { fingerprint, response?: { status, body }, release?: () => void }
  let held = holdFirst;

  const server = createServer(async (req, res) => {
    let raw = "";
    for await (const chunk of req) raw += chunk;
    const entry = { key: req.headers["idempotency-key"], status: 0 };
    requests.push(entry);
    res.once("close", () => (entry.clientGone = !res.writableFinished));
    const send = ({ status, body, type = "application/json", headers = {} }) => {
      entry.status = status;
      res.writeHead(status, { "content-type": type, ...headers }).end(JSON.stringify(body));
    };
    if (req.method !== "POST" || req.url !== "/payments") return send(problem(404, "Not Found"));
    const key = entry.key;
    if (typeof key !== "string" || key === "") {
      return send(problem(400, "Idempotency-Key is missing", "POST /payments requires an Idempotency-Key header."));
    }
    const fingerprint = createHash("sha256").update(raw).digest("hex");
    const seen = byKey.get(key);
    if (seen && seen.fingerprint !== fingerprint) {
      return send(problem(422, "Idempotency-Key is already used", "This key was used with a different request payload."));
    }
    if (seen && !seen.response) {
      seen.release?.(); // the retry has seen the conflict; let the original finish now
      return send({ ...problem(409, "A request with this Idempotency-Key is being processed", "Retry after a moment."), headers: { "retry-after": String(retryAfterSeconds) } });
    }
    if (seen) {
      entry.replayed = true;
      return send({ ...seen.response, headers: { "idempotent-replayed": "true" } });
    }
    // A new key. Nothing awaits between the look-up above and the reservation below, so two
    // requests with one key cannot both get here.
    let body;
    try {
      body = JSON.parse(raw);
    } catch {
      return send(problem(400, "Malformed JSON")); // no payment made; the key stays free
    }
    const record = { fingerprint };
    byKey.set(key, record);
    const payment = { id: `pay_${payments.length + 1}`, invoice_id: body.invoice_id, amount_cents: body.amount_cents };
    payments.push(payment);
    if (held) {
      held = false;
      await new Promise((resolve) => (record.release = resolve));
    }
    record.response = { status: 201, body: payment };
    send(record.response);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  // fetch keeps connections alive; close them, or close() waits out their idle timeout.
  const close = () => {
    for (const r of byKey.values()) r.release?.();
    return new Promise((resolve) => (server.close(() => resolve()), server.closeAllConnections()));
  };
  return { url, close, payments, requests };
}
