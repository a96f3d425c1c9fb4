/**
 * The crash chaos: many logical actions ("trials"), each retried by a chain of worker processes
 * until one finishes it. Each worker but the last of a chain is SIGKILLed at a point the plan
 * picks: exactly at a marker (the worker waits there), a few random milliseconds after one
 * (somewhere inside the next step), while the upstream holds the response of an effect it has
 * already applied, or at a purely random time. The next worker of the chain retries the same
 * logical action with the same identity, as a restarted agent or a resumed graph would.
 *
 * After each trial the harness checks, on its own connection: the upstream's effects for the
 * key, the record (completed, with the value the last worker returned), a replay in this process
 * (the tool must not run), and that every worker derived the same key.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { auditReport, createIdempotency, type AuditEntry, type IdempotencyStore } from "@agent-idempotency/core";
import { canonicalJson } from "@agent-idempotency/core/internal";
import type { ChaosBackend } from "./backends.js";
import { Upstream, type Effect } from "./upstream.js";
import { type RunRequest, WorkerProcess } from "./worker-process.js";

export type CrashMode = RunRequest["mode"];

/** Where a worker is killed. */
export const KILL_POINTS = ["before-claim", "after-claim", "effect-start", "during-effect", "after-effect", "during-complete", "random"] as const;
export type KillPoint = (typeof KILL_POINTS)[number];
/** Killed while paused at the marker: exactly there. */
const EXACT = new Set<KillPoint>(["before-claim", "after-claim", "after-effect"]);
/** Let go at the marker, killed 0–3 ms later: inside the request or the store write that follows. */
const JITTER = new Set<KillPoint>(["effect-start", "during-complete"]);

export interface CrashOptions {
  backend: ChaosBackend;
  mode: CrashMode;
  /** Stop starting trials once this many kills were delivered. */
  kills: number;
  lanes: number;
  /** Kills planned per trial: 1 to this many (default 3). */
  maxKillsPerTrial?: number;
  /** One trial only, killed at these points in order (then a clean run). */
  fixedPlan?: readonly KillPoint[];
  leaseMs: number;
  workDir: string;
}

export interface CrashStats {
  backend: string;
  mode: CrashMode;
  trials: number;
  kills: number;
  killsAt: Record<KillPoint, number>;
  /** Effects the upstream applied (after its own de-duplication when it honours keys). */
  effects: number;
  /** Effects beyond the first, per logical action, summed. */
  duplicates: number;
  /** Trials whose record was not completed with the returned value, or did not replay. */
  lostRecords: number;
  /** Workers of one trial that derived a different key. */
  keyChanges: number;
  /** Effects that arrived while the caller held no claim on the key. */
  claimViolations: number;
  /** Requests the upstream de-duplicated by key. */
  dedupedByKey: number;
  /** Final outcomes of the trials (executed / recovered / replayed). */
  outcomes: Record<string, number>;
  /** Duplicates whose re-execution the audit log shows (an entry of that key with attempt >= the duplicate's). */
  duplicatesInAudit: number;
  /** Duplicates matched by a `recovered` or `lease_lost` entry of their key. */
  duplicatesAsRecoveredOrLeaseLost: number;
  /** Duplicates that `auditReport` flags. */
  duplicatesFlaggedByReport: number;
  workerErrors: string[];
  /** Workers that failed to start and were started again (a build racing the run; not a library fault). */
  spawnRetries: number;
  /** The audit entries the workers wrote. */
  audit: AuditEntry[];
}

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);

export async function runCrashChaos(options: CrashOptions): Promise<CrashStats> {
  const { backend, mode, leaseMs } = options;
  const tag = `${backend.name}-${mode}-${randomUUID().slice(0, 6)}`;
  const auditPath = join(options.workDir, `audit-${tag}.jsonl`);
  const verifier: IdempotencyStore = backend.open("verifier");
  const policy = { identity: ["order_id"], leaseMs, responseId: (r: { effect_id?: string }) => r?.effect_id };
  const engine = createIdempotency({ store: verifier, tools: { charge: policy }, onWarning: () => undefined });
  const keyOf = (orderId: string) => engine.deriveKey({ action: "charge", args: { order_id: orderId, amount_cents: 500 }, sessionId: "chaos" })!.key;
  const stats: CrashStats = {
    backend: backend.name, mode, trials: 0, kills: 0, killsAt: Object.fromEntries(KILL_POINTS.map((p) => [p, 0])) as Record<KillPoint, number>,
    effects: 0, duplicates: 0, lostRecords: 0, keyChanges: 0, claimViolations: 0, dedupedByKey: 0, outcomes: {},
    duplicatesInAudit: 0, duplicatesAsRecoveredOrLeaseLost: 0, duplicatesFlaggedByReport: 0, workerErrors: [], spawnRetries: 0, audit: [],
  };
  // Who to kill when the upstream applies an effect of a trial planned to die "during-effect".
  const duringEffect = new Map<string, WorkerProcess>();
  const upstream = await new Upstream({
    mode: mode === "honour" ? "honour" : "ignore",
    maxDelayMs: 10,
    // Fail-closed, measured: the record must be in progress under the very attempt that calls.
    checkClaim: async (key, attempt) => {
      const r = await verifier.get(key).catch(() => undefined);
      return r?.status === "in_progress" && r.attempt === attempt;
    },
    onApplied: (e: Effect) => {
      const w = duringEffect.get(e.trial);
      if (w) (duringEffect.delete(e.trial), w.kill());
    },
  }).start();
  const init = { spec: backend.spec("worker"), upstreamUrl: upstream.url, auditPath };
  let workTimeMs = 150; // moving average of a worker's run, for the random kill times
  let trialSeq = 0;

  async function runWorker(w: WorkerProcess, orderId: string, plan: KillPoint | undefined) {
    const started = Date.now();
    const result = new Promise<{ done?: Extract<Parameters<Parameters<WorkerProcess["on"]>[0]>[0], { type: "done" }>; error?: string }>((resolve) => {
      w.on((m) => {
        if (m.type === "done") resolve({ done: m });
        else if (m.type === "error") resolve({ error: `${m.code ?? m.name}: ${m.message}` });
        else if (m.type === "marker" && m.name === plan) {
          if (EXACT.has(plan)) w.kill();
          else if (JITTER.has(plan)) (w.go(), setTimeout(() => w.kill(), Math.floor(Math.random() * 4)));
          else w.go();
        }
      });
      void w.exited.then(() => resolve({}));
    });
    if (plan === "during-effect") duringEffect.set(orderId, w);
    if (plan === "random") setTimeout(() => w.kill(), Math.floor(Math.random() * workTimeMs * 2));
    w.run({ orderId, mode, leaseMs, pauseAt: plan && (EXACT.has(plan) || JITTER.has(plan)) ? plan : undefined });
    const r = await result;
    duringEffect.delete(orderId);
    await w.exited;
    if (r.done && !w.killed) workTimeMs = workTimeMs * 0.8 + (Date.now() - started) * 0.2;
    return { ...r, killed: w.killed && !r.done };
  }

  /** A started worker; a start that fails (say, dist/ being rebuilt right now) is retried a few times. */
  async function fresh(): Promise<WorkerProcess> {
    for (let i = 0; ; i++) {
      const w = new WorkerProcess(init);
      try {
        await w.ready;
        return w;
      } catch (e) {
        if (i >= 4) throw e;
        stats.spawnRetries++;
        await sleep(2000);
      }
    }
  }

  async function lane() {
    let spare = fresh();
    spare.catch(() => undefined);
    try {
      while (options.fixedPlan ? stats.trials === 0 : stats.kills < options.kills) {
        const orderId = `o${++trialSeq}-${tag}`;
        const key = keyOf(orderId);
        stats.trials++;
        const fixed = options.fixedPlan ? [...options.fixedPlan] : undefined;
        let killsLeft = fixed ? fixed.length : 1 + Math.floor(Math.random() * (options.maxKillsPerTrial ?? 3));
        let finished: { value: { effect_id: string }; outcome: string } | undefined;
        for (let round = 0; round < 30 && !finished; round++) {
          const w = await spare;
          spare = fresh(); // warm the next one while this one runs
          spare.catch(() => undefined);
          const plan = killsLeft > 0 ? (fixed ? fixed[fixed.length - killsLeft] : pick(KILL_POINTS)) : undefined;
          const r = await runWorker(w, orderId, plan);
          if (r.killed) {
            killsLeft--;
            stats.kills++;
            stats.killsAt[plan!]++;
          } else if (r.done) {
            if (r.done.key !== key) stats.keyChanges++;
            finished = r.done;
          } else {
            stats.workerErrors.push(r.error ?? `worker exited without a result (plan ${plan})`);
          }
        }
        if (!finished) {
          stats.lostRecords++;
          continue;
        }
        stats.outcomes[finished.outcome] = (stats.outcomes[finished.outcome] ?? 0) + 1;
        // What the workers left behind, read on the harness's own connection.
        const record = await verifier.get(key);
        let replayRan = false;
        const replay = await engine
          .run({ action: "charge", args: { order_id: orderId, amount_cents: 500 }, sessionId: "chaos" }, () => ((replayRan = true), { effect_id: "replay-ran" }))
          .catch(() => undefined);
        const intact = record?.status === "completed" && same(record.value, finished.value) && replay?.outcome === "replayed" && !replayRan && same(replay.value, finished.value);
        if (!intact) stats.lostRecords++;
      }
    } finally {
      await (await spare.catch(() => undefined))?.dispose();
    }
  }

  try {
    await Promise.all(Array.from({ length: options.fixedPlan ? 1 : options.lanes }, (_, i) => sleep(i * 50).then(lane)));
  } finally {
    await upstream.close();
  }

  // Effects per logical action, and for each duplicate, what the audit log shows of it.
  let entries: AuditEntry[] = [];
  try {
    entries = readFileSync(auditPath, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as AuditEntry);
  } catch {
    entries = [];
  }
  const flagged = new Set((await auditReport(entries)).flags.flatMap((f) => (f.kind === "one_key_several_response_ids" ? [f.idempotency_key] : [])));
  for (const [key, effects] of upstream.byKey) {
    stats.effects += effects.length;
    const dups = effects.slice(1);
    stats.duplicates += dups.length;
    const mine = entries.filter((e) => e.idempotency_key === key);
    const strict = mine.filter((e) => e.outcome === "recovered" || e.outcome === "lease_lost").length;
    stats.duplicatesAsRecoveredOrLeaseLost += Math.min(dups.length, strict);
    for (const d of dups) if (mine.some((e) => e.attempt >= d.attempt && e.attempt > 1)) stats.duplicatesInAudit++;
    if (flagged.has(key)) stats.duplicatesFlaggedByReport += dups.length;
  }
  stats.audit = entries;
  stats.claimViolations = upstream.violations;
  stats.dedupedByKey = upstream.deduped;
  await verifier.close();
  return stats;
}
