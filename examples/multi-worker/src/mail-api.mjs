// A mail API, as a real HTTP server on an ephemeral loopback port. Like most email APIs it has no
// idempotency of its own: every POST /send sends an email. It answers after `delayMs`, so that a
// second worker arrives while the first is still sending.
import { createServer } from "node:http";

/** Starts the API; `sent` lists every email it sent, with the worker that asked and the key it sent. */
export async function startMailApi({ delayMs = 400 } = {}) {
  const sent = [];
  const server = createServer(async (req, res) => {
    let raw = "";
    for await (const chunk of req) raw += chunk;
    if (req.method !== "POST" || req.url !== "/send") return res.writeHead(404).end();
    const body = JSON.parse(raw);
    const email = { id: `msg_${sent.length + 1}`, to: body.to, subject: body.subject, worker: req.headers["x-worker"], key: req.headers["idempotency-key"] };
    sent.push(email);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    res.writeHead(202, { "content-type": "application/json" }).end(JSON.stringify({ id: email.id }));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  // fetch keeps connections alive; close them, or close() waits out their idle timeout.
  const close = () => new Promise((resolve) => (server.close(() => resolve()), server.closeAllConnections()));
  return { url, close, sent };
}
