// Guarded-call overhead per backend: a fresh call (claim + run + complete) and a replay, next to
// the bare tool call and next to the raw statements that are the store's floor; and a fresh call
// with live detection on (one more claim, of the repeat window). Sequential, then 16 concurrent
// callers. All the series of a backend are interleaved round by round.
import { MemoryStore } from "@agent-idempotency/core";
import { engineOf } from "../lib/backends.mjs";
import { interleave, roundRatio, throughputRatio } from "../lib/measure.mjs";
import { args200, bookCalendar, runOurs } from "../lib/workload.mjs";

/** A 32-character key for the floor's statements, as long as an idempotency key. */
const floorKey = (tag, i) => `${tag}${String(i).padStart(31 - tag.length, "0")}x`;

/** Calls per round, per backend: enough samples for a stable p50, short enough to interleave often. */
const SIZES = { memory: 4000, sqlite: 400, postgres: 400, redis: 600, mysql: 400 };

/**
 * Calls per turn when the series take turns: short turns where a call waits on an fsync (ms, and
 * the load changes within a second), longer ones in memory so the code under test stays warm.
 */
const BLOCKS = { memory: 32, sqlite: 4, postgres: 4, redis: 8, mysql: 4 };

async function measure(backend, { rounds, callers, scale }) {
  const n = Math.max(50, Math.round(SIZES[backend.name] * scale));
  // In memory every table starts from an empty store (as the peers' do): the records of the
  // previous table would only make the heap, and so each GC, larger.
  const engine = backend.name === "memory" ? engineOf(new MemoryStore()) : backend.engine;
  // Same store, live detection on; every call is a new action, so no repeat is ever found: this is
  // the cost every executed call pays for the check.
  const live = engineOf(engine.store, { liveDetection: true });
  backend.floor.reset?.();
  const tag = callers > 1 ? "c" : "s";
  // Replays read a fixed set of records written once up front, so the order of the series in a
  // round does not matter.
  const replayBase = callers > 1 ? 9_100_000 : 9_000_000;
  for (let i = 0; i < n; i++) {
    await runOurs(engine, args200(replayBase + i));
    await backend.floor.fresh(floorKey(`${tag}r`, i));
  }
  const freshBase = (r) => (callers > 1 ? 5_000_000 : 1_000_000) + (r + 1) * n;
  const liveBase = (r) => (callers > 1 ? 7_000_000 : 3_000_000) + (r + 1) * n;
  const variants = {
    bare: () => (i) => bookCalendar(args200(i)),
    "floor fresh": (r) => (i) => backend.floor.fresh(floorKey(`${tag}${r + 1}_`, i)),
    "ours fresh": (r) => (i) => runOurs(engine, args200(freshBase(r) + i)),
    "ours fresh + live": (r) => (i) => runOurs(live, args200(liveBase(r) + i)),
    "floor replay": () => (i) => backend.floor.replay(floorKey(`${tag}r`, i % n)),
    "ours replay": () => (i) => runOurs(engine, args200(replayBase + (i % n))),
  };
  // A cheaper order of the same statements, where a backend has one to show (see backends.mjs).
  if (backend.floor.replaySelectFirst) variants["floor replay, select first"] = () => (i) => backend.floor.replaySelectFirst(floorKey(`${tag}r`, i % n));
  return interleave(variants, { rounds, n, callers, block: BLOCKS[backend.name] });
}

/** Store statements (Postgres, MySQL) or commands (Redis) per fresh call and per replay, counted at the client. */
async function roundTrips(backend) {
  if (!backend.counting) return undefined;
  const { engine, count } = backend.counting;
  await runOurs(engine, args200(8_000_000)); // setup's statements are not counted
  const N = 20;
  let before = count();
  for (let i = 1; i <= N; i++) await runOurs(engine, args200(8_000_000 + i));
  const fresh = (count() - before) / N;
  before = count();
  for (let i = 1; i <= N; i++) await runOurs(engine, args200(8_000_000 + i));
  const replay = (count() - before) / N;
  if (!backend.counting.live) return { fresh, replay };
  await runOurs(backend.counting.live, args200(8_100_000));
  before = count();
  for (let i = 1; i <= N; i++) await runOurs(backend.counting.live, args200(8_100_000 + i));
  return { fresh, replay, liveFresh: (count() - before) / N };
}

/** Runs the section; returns results keyed by backend, and table rows. */
export async function overhead(backends, opts, log) {
  const results = {};
  const rows = [];
  for (const backend of backends) {
    log(`  overhead: ${backend.name}`);
    const seq = await measure(backend, { ...opts, callers: 1 });
    const conc = await measure(backend, { ...opts, callers: 16, scale: opts.scale * 0.5 });
    const trips = await roundTrips(backend);
    const derived = {
      freshOverheadUs: seq["ours fresh"].p50 - seq.bare.p50,
      replayOverheadUs: seq["ours replay"].p50 - seq.bare.p50,
      freshOverFloor: roundRatio(seq["ours fresh"], seq["floor fresh"]),
      replayOverFloor: roundRatio(seq["ours replay"], seq["floor replay"]),
      freshMinusFloorUs: seq["ours fresh"].p50 - seq["floor fresh"].p50,
      replayMinusFloorUs: seq["ours replay"].p50 - seq["floor replay"].p50,
      concurrentFreshOverFloor: roundRatio(conc["ours fresh"], conc["floor fresh"]),
      concurrentReplayOverFloor: roundRatio(conc["ours replay"], conc["floor replay"]),
      concurrentFreshThroughputOfFloor: throughputRatio(conc["ours fresh"], conc["floor fresh"]),
      concurrentReplayThroughputOfFloor: throughputRatio(conc["ours replay"], conc["floor replay"]),
      liveMinusFreshUs: seq["ours fresh + live"].p50 - seq["ours fresh"].p50,
      liveOverFresh: roundRatio(seq["ours fresh + live"], seq["ours fresh"]),
      concurrentLiveOverFresh: roundRatio(conc["ours fresh + live"], conc["ours fresh"]),
      roundTrips: trips,
    };
    results[backend.name] = { sequential: seq, concurrent16: conc, ...derived };
    for (const [mode, series] of [["seq", seq], ["x16", conc]]) {
      for (const [name, s] of Object.entries(series)) {
        rows.push({ backend: backend.name, mode, series: name, p50: s.p50, p99: s.p99, perSecond: s.perSecond });
      }
    }
  }
  return { results, rows };
}
