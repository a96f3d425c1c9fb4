/**
 * Races real processes against one store: the proof that a claim is atomic across processes, not
 * just across promises. Each worker is a forked Node process running the built
 * `dist/testing/race-worker.js`; all of them wait at a barrier and start together.
 *
 * ```ts
 * const r = await crossProcessRace({
 *   store: { module: new URL("../dist/index.js", import.meta.url).href, export: "RedisStore", options: { url } },
 *   mode: "claim", processes: 4, concurrency: 50, keys: 100,
 * });
 * // every r.winnersPerKey[i] === 1
 * ```
 */
import { fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Acquired, IdempotencyStore } from "../store.js";
import { claimRequest, T0 } from "./cases/util.js";

/** Which store each process opens: a module URL, its export, JSON constructor options. */
export interface StoreSpec {
  /** What each process `import()`s: a package name or a `file:` URL of a built module. */
  module: string;
  /** The name of the store class that module exports. */
  export: string;
  /** Passed to the class's constructor; JSON only, since it crosses to each worker process. */
  options: Record<string, unknown>;
}

/** What each cross-process race does (see {@link CrossProcessOptions}). */
export type CrossProcessMode = "claim" | "takeover" | "engine" | "live";

/** Options of {@link crossProcessRace}: the store every process opens, the race, its size. */
export interface CrossProcessOptions {
  /** The store every process opens (each its own instance, on the same backend). */
  store: StoreSpec;
  /**
   * `claim`: every key claimed by processes × concurrency racers at once.
   * `takeover`: the same, on keys whose lease has just expired; then the stale holder completes.
   * `engine`: processes × concurrency `run()` calls of one logical action; effects counted in a file.
   * `live`: processes × concurrency `run()` calls of one action with the same arguments in one
   *   session, each under its own explicit key, with `liveDetection: { onRepeat: "refuse" }`.
   */
  mode: CrossProcessMode;
  /** Worker processes (default 4). */
  processes?: number;
  /** Concurrent racers in each process (default 50). */
  concurrency?: number;
  /** Keys raced in `claim` and `takeover` (default 100); `engine` and `live` use one. */
  keys?: number;
  /** Kills workers that take longer (default 120 s). */
  timeoutMs?: number;
}

/** What a cross-process race counted: winners per key, stale completions, effects. */
export interface CrossProcessResult {
  /** Claims won per key, over all processes (claim, takeover). */
  winnersPerKey: number[];
  /** Stale holders whose `complete` returned true (takeover; must be 0). */
  staleCompletes: number;
  /** Side effects that ran (engine, live; must be 1). */
  effects: number;
  /** Calls live detection refused (live; must be all but one). */
  refused: number;
  /** Distinct values the engine calls resolved to (engine; must be 1). */
  distinctValues: number;
  /** Errors workers reported, as messages. */
  errors: string[];
}

export interface WorkerConfig {
  store: StoreSpec;
  mode: CrossProcessOptions["mode"];
  concurrency: number;
  keys: string[];
  now: number;
  leaseMs: number;
  effectsFile: string;
}

export interface WorkerReport {
  won: string[];
  values: string[];
  errors: string[];
  refused?: number;
}

// src/testing and dist/testing are both two levels below the package root.
const workerPath = join(fileURLToPath(new URL("../../", import.meta.url)), "dist", "testing", "race-worker.js");

/** Workers run plain Node on the built package: say so instead of failing in every worker. */
function assertBuilt(spec: StoreSpec): void {
  if (spec.module.startsWith("file:") && !existsSync(fileURLToPath(spec.module))) {
    throw new Error(`crossProcessRace: ${fileURLToPath(spec.module)} does not exist; build the store package first (npx tsc -b)`);
  }
  if (!existsSync(workerPath)) throw new Error(`crossProcessRace: ${workerPath} does not exist; build @agent-idempotency/core first`);
}

async function openStore(spec: StoreSpec): Promise<IdempotencyStore> {
  const mod = (await import(spec.module)) as Record<string, new (o: unknown) => IdempotencyStore>;
  const Ctor = mod[spec.export];
  if (typeof Ctor !== "function") throw new Error(`${spec.module} has no export ${spec.export}`);
  return new Ctor(spec.options);
}

/** Runs the race and returns the counts to assert on. */
export async function crossProcessRace(options: CrossProcessOptions): Promise<CrossProcessResult> {
  assertBuilt(options.store);
  const processes = options.processes ?? 4;
  const concurrency = options.concurrency ?? 50;
  const run = randomUUID().slice(0, 8);
  const keys = Array.from({ length: options.mode === "engine" || options.mode === "live" ? 1 : options.keys ?? 100 }, (_, i) => `race-${run}-${i}`);
  const dir = mkdtempSync(join(tmpdir(), "idem-race-"));
  const effectsFile = join(dir, "effects.log");
  const leaseMs = 60_000;
  let now = T0;
  const stale = new Map<string, Acquired>();
  let parentStore: IdempotencyStore | undefined;

  try {
    if (options.mode === "takeover") {
      parentStore = await openStore(options.store);
      for (const key of keys) {
        const r = await parentStore.claim(key, claimRequest(0, { leaseMs }));
        if (r.outcome !== "claimed") throw new Error(`setup: could not claim ${key}`);
        stale.set(key, r.claim);
      }
      now = T0 + leaseMs; // every lease has just expired
    }
    const config: WorkerConfig = { store: options.store, mode: options.mode, concurrency, keys, now, leaseMs, effectsFile };
    const children = Array.from({ length: processes }, () => fork(workerPath, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] }));
    const ready = children.map((c) => new Promise<void>((resolve, reject) => {
      c.once("message", (m) => (m === "ready" ? resolve() : reject(new Error(String(m)))));
      c.once("exit", (code) => reject(new Error(`worker exited with ${code} before it was ready`)));
    }));
    const reports = children.map((c) => new Promise<WorkerReport>((resolve, reject) => {
      c.on("message", (m) => {
        if (m && typeof m === "object" && "won" in (m as object)) resolve(m as WorkerReport);
      });
      c.once("exit", (code) => reject(new Error(`worker exited with ${code} without a report`)));
    }));
    for (const c of children) c.send(config);
    const timer = setTimeout(() => children.forEach((c) => c.kill("SIGKILL")), options.timeoutMs ?? 120_000);
    try {
      await Promise.all(ready);
      for (const c of children) c.send("go"); // the barrier: every process is connected before any claims
      const all = await Promise.all(reports);
      const winnersPerKey = keys.map((k) => all.reduce((n, r) => n + r.won.filter((w) => w === k).length, 0));
      let staleCompletes = 0;
      for (const claim of stale.values()) {
        if (await parentStore!.complete(claim, { value: "stale", now: now + 1, ttlMs: 60_000 })) staleCompletes++;
      }
      let effects = 0;
      try {
        effects = readFileSync(effectsFile, "utf8").split("\n").filter(Boolean).length;
      } catch {
        effects = 0;
      }
      return {
        winnersPerKey,
        staleCompletes,
        effects,
        refused: all.reduce((n, r) => n + (r.refused ?? 0), 0),
        distinctValues: new Set(all.flatMap((r) => r.values)).size,
        errors: all.flatMap((r) => r.errors),
      };
    } finally {
      clearTimeout(timer);
      for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    }
  } finally {
    await parentStore?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
