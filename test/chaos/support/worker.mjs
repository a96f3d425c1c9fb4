// A chaos worker: one forked Node process playing an agent that calls one guarded, side-effecting
// tool ("charge") through the built engine and store (dist/), against the harness's upstream.
//
// Protocol (IPC):
//   harness -> { type: "init", spec, upstreamUrl, auditPath }   worker -> { type: "ready" }
//   harness -> { type: "run", orderId, mode, leaseMs, pauseAt?, notify?, toolMs? }
//   worker  -> { type: "marker", name } at each named point; at `pauseAt` it then waits for
//              { type: "go" }, so the harness can SIGKILL it exactly there (or let it go and
//              kill it a few milliseconds later, somewhere inside the next step)
//   worker  -> { type: "done", key, value, outcome, attempt, completeOk, aborted } | { type: "error", ... }
//
// Markers, in order: before-claim, after-claim (or claim-existing), effect-start, after-effect,
// during-complete, after-complete. The upstream reports the effect itself to the harness.
import { request } from "node:http";
import { createIdempotency, JsonlAuditLog } from "@agent-idempotency/core";

let init;
let store;
let gate;
const send = (m) => new Promise((resolve) => process.send(m, () => resolve()));

process.on("message", (m) => {
  if (m?.type === "init") void onInit(m);
  else if (m?.type === "run") void onRun(m);
  else if (m?.type === "go") {
    const g = gate;
    gate = undefined;
    g?.();
  } else if (m?.type === "exit") void exit();
});

async function exit() {
  await store?.close().catch(() => undefined);
  process.exit(0);
}

async function onInit(m) {
  init = m;
  try {
    const mod = await import(m.spec.module);
    store = new mod[m.spec.export](m.spec.options);
    await store.setup?.();
    await send({ type: "ready" });
  } catch (e) {
    await send({ type: "error", phase: "init", message: String(e?.stack ?? e) });
    process.exit(1);
  }
}

function post(url, headers, body) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, agent: false }, (res) => {
      let data = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (data += c));
      res.on("end", () => (res.statusCode === 200 ? resolve(JSON.parse(data)) : reject(new Error(`upstream ${res.statusCode}`))));
    });
    req.on("error", reject);
    req.end(body);
  });
}

function get(url) {
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, (res) => {
      let data = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (data += c));
      res.on("end", () => resolve({ status: res.statusCode, body: data ? JSON.parse(data) : null }));
    })
      .on("error", reject)
      .end();
  });
}

async function onRun(run) {
  const mark = async (name) => {
    if (name === run.pauseAt) {
      const wait = new Promise((resolve) => (gate = resolve));
      await send({ type: "marker", name });
      await wait;
    } else if (run.notify?.includes(name)) {
      await send({ type: "marker", name });
    }
  };
  let completeOk;
  // The store as the engine sees it, with markers around the two writes that matter.
  const wrapped = {
    async claim(key, req) {
      await mark("before-claim");
      const r = await store.claim(key, req);
      await mark(r.outcome === "claimed" ? "after-claim" : "claim-existing");
      return r;
    },
    async complete(claim, outcome) {
      await mark("during-complete");
      completeOk = await store.complete(claim, outcome);
      await mark("after-complete");
      return completeOk;
    },
    fail: (c, f) => store.fail(c, f),
    release: (c) => store.release(c),
    heartbeat: (c, l) => store.heartbeat(c, l),
    get: (k) => store.get(k),
    close: async () => undefined,
  };
  const reconcile = async ({ key }) => {
    const found = await get(`${init.upstreamUrl}/lookup?key=${encodeURIComponent(key)}`);
    return found.status === 200 ? { result: found.body } : undefined;
  };
  const audit = new JsonlAuditLog(init.auditPath);
  const idempotency = createIdempotency({
    store: wrapped,
    audit,
    onWarning: () => undefined,
    tools: {
      charge: {
        identity: ["order_id"],
        leaseMs: run.leaseMs,
        waitMs: run.waitMs ?? run.leaseMs * 30,
        responseId: (r) => r?.effect_id,
        onUnknownOutcome: run.mode === "reconcile" ? reconcile : "reexecute",
      },
    },
  });
  let aborted = false;
  try {
    const out = await idempotency.run(
      { action: "charge", args: { order_id: run.orderId, amount_cents: 500 }, sessionId: "chaos" },
      async ({ key, attempt, signal }) => {
        signal.addEventListener("abort", () => (aborted = true));
        await mark("effect-start");
        const body = await post(`${init.upstreamUrl}/effect`, { "idempotency-key": key, "x-attempt": String(attempt), "x-trial": run.orderId }, JSON.stringify({ order_id: run.orderId }));
        await mark("after-effect");
        if (run.toolMs) await new Promise((r) => setTimeout(r, run.toolMs)); // a slow tool: keeps running past its lease
        return body;
      },
    );
    await audit.flush();
    await send({ type: "done", key: out.key, value: out.value, outcome: out.outcome, attempt: out.attempt, completeOk, aborted });
  } catch (e) {
    await audit.flush().catch(() => undefined);
    await send({ type: "error", code: e?.code, name: e?.name, message: String(e?.message ?? e) });
  }
  await exit();
}
