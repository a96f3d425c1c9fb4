#!/usr/bin/env node
// One worker process, forked by main.mjs. Protocol over the IPC channel: it sends { ready } once
// its store is set up, waits for { job }, runs the agent, sends { result } (or { error }) and exits.
// Configuration comes from the environment: IDEMPOTENCY_PG_URL, WORKER_SCHEMA, MAIL_URL, WORKER.
import { createWorkerAgent } from "./src/agent.mjs";

const worker = process.env.WORKER ?? `w${process.pid}`;
const agent = createWorkerAgent({ pgUrl: process.env.IDEMPOTENCY_PG_URL, schema: process.env.WORKER_SCHEMA, mailUrl: process.env.MAIL_URL, worker });
try {
  await agent.ready();
  const job = await new Promise((resolve) => {
    process.once("message", (m) => resolve(m.job));
    process.send({ ready: worker });
  });
  process.send({ result: await agent.handle(job) });
} catch (e) {
  process.send({ error: `${worker}: ${e?.stack ?? e}` });
  process.exitCode = 1;
} finally {
  await agent.close();
  process.disconnect();
}
