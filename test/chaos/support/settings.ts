/**
 * Sizes of the chaos runs, and where their numbers go.
 *
 * The same test files run twice over: quickly inside the normal tests (a few kills per backend),
 * and at full size under `pnpm test:chaos` (`CHAOS_FULL=1`, at least 100 kills per backend and
 * upstream mode). Every scenario prints one `chaos:` line with its counts and, when
 * `CHAOS_RESULTS` names a file, appends the same numbers to it as JSON, which is where the tables
 * in RELIABILITY.md come from.
 */
import { appendFileSync } from "node:fs";

/** True under `pnpm test:chaos`. */
export const FULL = process.env.CHAOS_FULL === "1";

/** Kills per backend and upstream mode. */
export const CRASH_KILLS = Number(process.env.CHAOS_KILLS ?? (FULL ? 100 : 2));
/** Trials run side by side (each is one logical action retried by a chain of processes). */
export const CRASH_LANES = Number(process.env.CHAOS_LANES ?? (FULL ? 3 : 1));
/** Kills planned per trial, at most. */
export const CRASH_KILLS_PER_TRIAL = FULL ? 3 : 2;
/** Lease of the crash workers: short, so a restarted worker takes over quickly. */
export const CRASH_LEASE_MS = 300;

/** Fault injections per backend and fault kind. */
export const FAULTS = Number(process.env.CHAOS_FAULTS ?? (FULL ? 40 : 2));

/** Slow-tool trials per backend (each one tool run of several leases with a concurrent retry). */
export const SLOW_TRIALS = Number(process.env.CHAOS_SLOW_TRIALS ?? (FULL ? 10 : 1));

/** Per-test timeout: generous, since a loaded machine forks slowly. Not an assertion on speed. */
export const TIMEOUT_MS = FULL ? 1_800_000 : 120_000;

/** Prints the numbers of one scenario and, with CHAOS_RESULTS set, appends them to that file. */
export function report(scenario: string, numbers: Record<string, unknown>): void {
  const row = { scenario, full: FULL, at: new Date().toISOString(), ...numbers };
  console.log(`chaos: ${JSON.stringify(row)}`);
  const file = process.env.CHAOS_RESULTS;
  if (file) appendFileSync(file, `${JSON.stringify(row)}\n`);
}
