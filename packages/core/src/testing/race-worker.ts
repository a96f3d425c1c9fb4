/**
 * One racer process of {@link crossProcessRace}: opens the store, reports ready, waits for "go",
 * fires its concurrent calls, reports what it won, and exits.
 */
import { appendFileSync } from "node:fs";
import { createIdempotency } from "../engine.js";
import { isIdempotencyError } from "../errors.js";
import type { IdempotencyStore } from "../store.js";
import type { WorkerConfig, WorkerReport } from "./cross-process.js";

const send = (m: unknown) => new Promise<void>((resolve) => process.send!(m, () => resolve()));

process.once("message", async (config: WorkerConfig) => {
  const mod = (await import(config.store.module)) as Record<string, new (o: unknown) => IdempotencyStore>;
  const store = new mod[config.store.export]!(config.store.options);
  const report: WorkerReport = { won: [], values: [], errors: [] };
  try {
    await store.setup?.();
    await send("ready");
    await new Promise<void>((resolve) => process.once("message", () => resolve()));
    if (config.mode === "engine") {
      const idempotency = createIdempotency({ store, tools: { charge_card: { identity: ["order_id"] } }, onWarning: () => {} });
      const results = await Promise.allSettled(
        Array.from({ length: config.concurrency }, () =>
          idempotency.run({ action: "charge_card", args: { order_id: config.keys[0], amount: 42 }, sessionId: "race" }, async ({ key }) => {
            appendFileSync(config.effectsFile, `${process.pid} ${key}\n`);
            await new Promise((r) => setTimeout(r, 50));
            return { charge_id: `ch_${process.pid}` };
          }),
        ),
      );
      for (const r of results) {
        if (r.status === "fulfilled") report.values.push(JSON.stringify(r.value.value));
        else report.errors.push(String((r.reason as Error)?.message ?? r.reason));
      }
    } else if (config.mode === "live") {
      // One action, same arguments, same session, but every call under a key of its own (as when
      // each retry gets a new turn id): live detection lets exactly one execute.
      const idempotency = createIdempotency({ store, tools: { send_email: { identity: ["to"] } }, liveDetection: { onRepeat: "refuse" }, onWarning: () => {} });
      const results = await Promise.allSettled(
        Array.from({ length: config.concurrency }, (_, i) =>
          idempotency.run({ action: "send_email", args: { to: "ada@example.com" }, sessionId: config.keys[0], key: `${config.keys[0]}-${process.pid}-${i}` }, async ({ key }) => {
            appendFileSync(config.effectsFile, `${process.pid} ${key}\n`);
            await new Promise((r) => setTimeout(r, 50));
            return { message_id: `m_${process.pid}_${i}` };
          }),
        ),
      );
      report.refused = 0;
      for (const r of results) {
        if (r.status === "fulfilled") report.values.push(JSON.stringify(r.value.value));
        else if (isIdempotencyError(r.reason, "REPEAT_REFUSED")) report.refused++;
        else report.errors.push(String((r.reason as Error)?.message ?? r.reason));
      }
    } else {
      const req = { scope: "race", action: "race", fingerprint: "f".repeat(32), now: config.now, leaseMs: config.leaseMs, retentionMs: 86_400_000 };
      const results = await Promise.allSettled(
        config.keys.flatMap((key) => Array.from({ length: config.concurrency }, () => store.claim(key, req).then((r) => ({ key, r })))),
      );
      for (const r of results) {
        if (r.status === "rejected") report.errors.push(String((r.reason as Error)?.message ?? r.reason));
        else if (r.value.r.outcome === "claimed") report.won.push(r.value.key);
      }
    }
  } catch (e) {
    report.errors.push(String((e as Error)?.stack ?? e));
  } finally {
    await store.close().catch(() => undefined);
  }
  await send(report);
  process.exit(0);
});
