/**
 * A tool that runs for several leases, and a concurrent retry of it from another process.
 *
 * Holder A (a forked worker) applies the effect and then keeps working for `toolMs`, several
 * times `leaseMs`; its engine heartbeats the claim meanwhile. Once A's effect is applied, retry B
 * (another process) runs the same logical action. B must find the claim alive and wait, then
 * replay A's result: the effect runs once, even though the upstream ignores keys.
 *
 * With `pauseHolderMs`, A is frozen (SIGSTOP) right after its effect, as a long GC pause, a
 * suspended VM or a debugger would; its heartbeats stop, its lease expires, B takes over and runs
 * the tool again; A is woken (SIGCONT) once B holds the claim and `pauseHolderMs` has passed, and
 * its write is refused (`lease_lost`). This is the limit of
 * leases: only an upstream that honours the key (or fences on the attempt) makes B's run harmless.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { AuditEntry } from "@agent-idempotency/core";
import type { ChaosBackend } from "./backends.js";
import { Upstream } from "./upstream.js";
import { type WorkerMessage, WorkerProcess } from "./worker-process.js";

export interface SlowToolOptions {
  backend: ChaosBackend;
  upstream: "honour" | "ignore";
  leaseMs: number;
  toolMs: number;
  pauseHolderMs?: number;
  workDir: string;
}

type Done = Extract<WorkerMessage, { type: "done" }>;

export interface SlowToolResult {
  effects: number;
  holder: Done | undefined;
  retry: Done | undefined;
  errors: string[];
  /** Claims B made that found A's live claim (B waited). */
  retryWaits: number;
  /** A's record, read while A worked past its first lease: its lease had been extended. */
  leaseExtended: boolean | undefined;
  audit: AuditEntry[];
  claimViolations: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** Longest wait for the retry to take a frozen holder's claim over (or for a live one to finish). */
const TAKEOVER_DEADLINE_MS = 30_000;

export async function runSlowTool(o: SlowToolOptions): Promise<SlowToolResult> {
  const orderId = `slow-${randomUUID().slice(0, 8)}`;
  const auditPath = join(o.workDir, `audit-${orderId}.jsonl`);
  const verifier = o.backend.open("verifier");
  const upstream = await new Upstream({
    mode: o.upstream,
    checkClaim: async (key, attempt) => {
      const r = await verifier.get(key).catch(() => undefined);
      return r?.status === "in_progress" && r.attempt === attempt;
    },
  }).start();
  const init = { spec: o.backend.spec("worker"), upstreamUrl: upstream.url, auditPath };
  const a = new WorkerProcess(init);
  const b = new WorkerProcess(init);
  const result: SlowToolResult = { effects: 0, holder: undefined, retry: undefined, errors: [], retryWaits: 0, leaseExtended: undefined, audit: [], claimViolations: 0 };
  const outcome = (w: WorkerProcess, onMarker: (name: string) => void) =>
    new Promise<Done | undefined>((resolve) => {
      w.on((m) => {
        if (m.type === "marker") onMarker(m.name);
        else if (m.type === "done") resolve(m);
        else if (m.type === "error") (result.errors.push(`${m.code ?? m.name}: ${m.message}`), resolve(undefined));
      });
      void w.exited.then(() => resolve(undefined));
    });
  try {
    await Promise.all([a.ready, b.ready]);
    let effectApplied!: () => void;
    const applied = new Promise<void>((r) => (effectApplied = r));
    let retryClaimed!: () => void;
    const tookOver = new Promise<void>((r) => (retryClaimed = r));
    const holderDone = outcome(a, (name) => name === "after-effect" && effectApplied());
    a.run({ orderId, mode: "none", leaseMs: o.leaseMs, toolMs: o.toolMs, notify: ["after-effect"] });
    await applied;
    if (o.pauseHolderMs) a.child.kill("SIGSTOP");
    const retryDone = outcome(b, (name) => (name === "claim-existing" ? result.retryWaits++ : name === "after-claim" && retryClaimed()));
    // B waits for a live holder up to waitMs: generous, so a loaded machine never turns a slow
    // poll into IdempotencyInProgressError (it takes over at its first poll past A's lease anyway).
    b.run({ orderId, mode: "none", leaseMs: o.leaseMs, toolMs: o.pauseHolderMs ? o.toolMs : 0, notify: ["claim-existing", "after-claim"], waitMs: Math.max(o.toolMs * 4, TAKEOVER_DEADLINE_MS) });
    if (o.pauseHolderMs) {
      // A stays frozen until B has taken its claim over (at least pauseHolderMs), never on a timer
      // alone: on a loaded machine B may poll past A's lease only after pauseHolderMs, and an A
      // woken before that would heartbeat, finish its run and leave B a replay, proving nothing.
      const frozenAt = Date.now();
      const took = await Promise.race([tookOver.then(() => true), retryDone.then(() => false), sleep(TAKEOVER_DEADLINE_MS).then(() => false)]);
      if (!took) result.errors.push(`the retry did not take the frozen holder's claim over within ${TAKEOVER_DEADLINE_MS} ms`);
      await sleep(o.pauseHolderMs - (Date.now() - frozenAt));
      a.child.kill("SIGCONT");
    } else {
      await sleep(o.leaseMs * 2);
      const r = await verifier.get(upstream.effects[0]!.key); // the key the holder forwarded
      result.leaseExtended = r?.status === "in_progress" && r.attempt === 1 && r.leaseUntil > r.claimedAt + o.leaseMs;
    }
    [result.holder, result.retry] = await Promise.all([holderDone, retryDone]);
  } finally {
    a.kill();
    b.kill();
    await Promise.all([a.exited, b.exited]);
    await upstream.close();
    await verifier.close();
  }
  result.effects = upstream.effects.length;
  result.claimViolations = upstream.violations;
  try {
    result.audit = readFileSync(auditPath, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as AuditEntry);
  } catch {
    result.audit = [];
  }
  return result;
}

