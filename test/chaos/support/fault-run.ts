/**
 * Store faults under load: an agent (this process, one engine and one store object for the whole
 * run, never re-created) keeps calling a guarded tool from a few concurrent callers while faults
 * hit its store: sessions terminated, connections cut mid-query, the server down for a while, the
 * SQLite file locked by another process. Then the faults stop and the agent carries on.
 *
 * Measured, on a separate connection the faults never touch:
 * - fail-closed: every effect happens while its caller holds the claim (the upstream checks the
 *   record before applying), and every failed call is a typed store error with no effect;
 * - no completed record lost: every record whose `complete` returned true is still completed,
 *   with the same value, at the end, and replays without running the tool;
 * - the service resumes: after the last fault the same engine serves calls again.
 */
import { randomUUID } from "node:crypto";
import { canonicalJson } from "@agent-idempotency/core/internal";
import { createIdempotency, isIdempotencyError, type IdempotencyStore } from "@agent-idempotency/core";

export interface FaultRunOptions {
  /** The agent's store (the faults target its connections). */
  store: IdempotencyStore;
  /** A store on the same records whose connection the faults leave alone. */
  verifier: IdempotencyStore;
  /** One fault (it may last a while: down, wait, up). */
  inject: (i: number) => Promise<void>;
  faults: number;
  leaseMs?: number;
  callers?: number;
}

export interface FaultStats {
  faults: number;
  calls: number;
  executed: number;
  replayed: number;
  recovered: number;
  /** Calls refused with a typed store error (the tool did not run for them). */
  failedClosed: number;
  /** Calls that failed any other way (must be 0). */
  untypedFailures: string[];
  /** Effects applied while the caller held no claim (must be 0). */
  effectsWithoutClaim: number;
  /** Tool runs, and effects the upstream applied once per key. */
  toolRuns: number;
  effects: number;
  /** Tool runs the forwarded key made harmless (a claim whose outcome a fault kept from being recorded, run again). */
  rerunsDedupedByKey: number;
  /** Records whose `complete` returned true. */
  completedRecords: number;
  /** Of those, records no longer completed with the same value, or that ran the tool on replay. */
  lostRecords: number;
  /** Consecutive successful calls after the last fault, out of the number asked for. */
  callsAfterFaults: number;
  failuresAfterFaults: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// Records come back as plain JSON (null-prototype objects): compare canonical forms.
const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);

async function read(verifier: IdempotencyStore, key: string) {
  for (let i = 0; ; i++) {
    try {
      return await verifier.get(key);
    } catch (e) {
      if (i >= 300) throw e; // up to ~30 s: a real server restart takes a while
      await sleep(100);
    }
  }
}

export async function runFaults(options: FaultRunOptions): Promise<FaultStats> {
  const { verifier } = options;
  const stats: FaultStats = {
    faults: 0, calls: 0, executed: 0, replayed: 0, recovered: 0, failedClosed: 0, untypedFailures: [], effectsWithoutClaim: 0,
    toolRuns: 0, effects: 0, rerunsDedupedByKey: 0, completedRecords: 0, lostRecords: 0, callsAfterFaults: 0, failuresAfterFaults: 0,
  };
  const ledger = new Map<string, string>(); // key -> effect id: an upstream that honours the key
  const completed = new Map<string, unknown>(); // records whose complete() returned true
  const observed: IdempotencyStore = {
    claim: (k, r) => options.store.claim(k, r),
    async complete(claim, outcome) {
      const ok = await options.store.complete(claim, outcome);
      if (ok) completed.set(claim.key, outcome.value);
      return ok;
    },
    fail: (c, f) => options.store.fail(c, f),
    release: (c) => options.store.release(c),
    heartbeat: (c, l) => options.store.heartbeat(c, l),
    get: (k) => options.store.get(k),
    close: () => options.store.close(),
  };
  const leaseMs = options.leaseMs ?? 1000;
  const idempotency = createIdempotency({ store: observed, onWarning: () => undefined, tools: { charge: { identity: ["order_id"], leaseMs } } });
  const tool = async ({ key, attempt }: { key?: string; attempt: number }) => {
    stats.toolRuns++;
    const record = await read(verifier, key!);
    if (record?.status !== "in_progress" || record.attempt !== attempt) stats.effectsWithoutClaim++;
    let id = ledger.get(key!);
    if (id) stats.rerunsDedupedByKey++;
    else ledger.set(key!, (id = `fx_${ledger.size + 1}`));
    return { effect_id: id };
  };
  let orders = 0;
  const sessionId = `faults-${randomUUID().slice(0, 8)}`; // runs sharing a table never replay each other's records
  const call = async () => {
    // Mostly new actions, some retries of earlier ones (which must replay, or wait and run once).
    const order = orders > 0 && Math.random() < 0.3 ? 1 + Math.floor(Math.random() * orders) : ++orders;
    stats.calls++;
    try {
      const r = await idempotency.run({ action: "charge", args: { order_id: `o-${order}` }, sessionId }, tool);
      if (r.outcome === "executed") stats.executed++;
      else if (r.outcome === "replayed") stats.replayed++;
      else if (r.outcome === "recovered") stats.recovered++;
      return true;
    } catch (e) {
      if (isIdempotencyError(e, "STORE_FAILED") || isIdempotencyError(e, "STORE_UNAVAILABLE")) stats.failedClosed++;
      else stats.untypedFailures.push(`${(e as Error)?.name}: ${(e as Error)?.message}`);
      return false;
    }
  };

  let faulting = true;
  const callers = Array.from({ length: options.callers ?? 4 }, async () => {
    while (faulting) {
      await call();
      await sleep(Math.random() * 10);
    }
  });
  await sleep(200);
  for (let i = 0; i < options.faults; i++) {
    await options.inject(i);
    stats.faults++;
    await sleep(50 + Math.random() * 200);
  }
  faulting = false;
  await Promise.all(callers);

  // After the faults: the same engine and store serve calls again (20 in a row must succeed).
  for (let tries = 0; stats.callsAfterFaults < 20 && tries < 400; tries++) {
    if (await call()) stats.callsAfterFaults++;
    else (stats.failuresAfterFaults++, await sleep(100));
  }

  // Every record whose complete() returned true is still there, and replays without running.
  stats.completedRecords = completed.size;
  for (const [key, value] of completed) {
    const record = await read(verifier, key);
    if (record?.status !== "completed" || !same(record.value, value)) stats.lostRecords++;
  }
  for (let order = 1; order <= orders; order++) {
    const key = idempotency.deriveKey({ action: "charge", args: { order_id: `o-${order}` }, sessionId })!.key;
    if (!completed.has(key)) continue;
    let ran = false;
    const r = await idempotency.run({ action: "charge", args: { order_id: `o-${order}` }, sessionId }, () => ((ran = true), {}));
    if (ran || r.outcome !== "replayed" || !same(r.value, completed.get(key))) stats.lostRecords++;
  }
  stats.effects = ledger.size;
  return stats;
}
