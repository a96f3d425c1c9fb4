// Tables on stdout, and the targets judged from the results (met / missed / not measured).

const fmt = (v, digits = 1) => (v === undefined || v === null || Number.isNaN(v) ? "" : typeof v === "number" ? v.toFixed(digits) : String(v));

/** Prints `rows` as an aligned table with the given `[header, key, digits?]` columns. */
export function table(title, rows, columns) {
  const cells = rows.map((r) => columns.map(([, key, digits]) => (typeof key === "function" ? key(r) : fmt(r[key], digits))));
  const widths = columns.map(([h], i) => Math.max(h.length, ...cells.map((c) => String(c[i]).length)));
  const line = (values) => values.map((v, i) => (i === 0 ? String(v).padEnd(widths[i]) : String(v).padStart(widths[i]))).join("  ");
  const out = [`\n${title}`, line(columns.map(([h]) => h)), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map(line)];
  return out.join("\n");
}

/** The targets of issue 8, each `{ target, limit, value, met, note }`; `met` is null when not measured. */
export function judgeTargets(results) {
  const o = results.overhead ?? {};
  const p = results.peers ?? {};
  const targets = [];
  const add = (target, value, limit, ok, note = "") =>
    targets.push({ target, value: value === undefined || Number.isNaN(value) ? undefined : value, limit, met: value === undefined || Number.isNaN(value) ? null : ok(value), note });
  add("memory: fresh call overhead p50 (us)", o.memory?.freshOverheadUs, "<= 20", (v) => v <= 20);
  add("memory: replay overhead p50 (us)", o.memory?.replayOverheadUs, "<= 10", (v) => v <= 10);
  for (const b of ["postgres", "redis", "mysql"]) {
    add(`${b}: fresh call / raw floor (p50 ratio)`, o[b]?.freshOverFloor, "<= 1.15", (v) => v <= 1.15);
    // MySQL has no RETURNING: its floor for a replay is the INSERT IGNORE plus the SELECT.
    const trips = b === "mysql" ? 2 : 1;
    add(`${b}: round trips per replay`, o[b]?.roundTrips?.replay, `= ${trips}`, (v) => v === trips, o[b]?.roundTrips ? `fresh call: ${o[b].roundTrips.fresh}` : "");
  }
  const pm = p["memory seq"]?.overheadRatios;
  add("memory: Powertools overhead / ours, fresh", pm?.["powertools fresh"], ">= 3", (v) => v >= 3);
  add("memory: Powertools overhead / ours, replay", pm?.["powertools replay"], ">= 3", (v) => v >= 3);
  add("redis: Powertools overhead / ours, replay", p["redis seq"]?.overheadRatios?.["powertools replay"], ">= 1.5", (v) => v >= 1.5);
  const dup = (results.duplicates ?? []).filter((r) => r.setup.startsWith("ours"));
  if (dup.length) {
    const worst = Math.max(...dup.map((r) => r.maxExecutionsPerKey));
    const failures = dup.reduce((s, r) => s + Object.entries(r.outcomes).filter(([k]) => k !== "executed" && k !== "replayed").reduce((t, [, v]) => t + v, 0), 0);
    add("ours: executions per key, 16 concurrent same-key calls", worst, "<= 1", (v) => v <= 1);
    add("ours: duplicates that failed instead of waiting and replaying", failures, "= 0", (v) => v === 0);
  }
  add("postgres: claim p50 at 1 M records / at 1 k", results.scale?.postgres?.largeOverSmall, "<= 1.2", (v) => v <= 1.2);

  // Issue 14: ahead of every peer, on every row of the same run.
  const share = (where, kind) => p[where]?.overheadShares?.[`node-idempotency ${kind}`];
  add("memory: fresh overhead / node-idempotency's", share("memory seq", "fresh"), "<= 0.5", (v) => v <= 0.5);
  add("memory: replay overhead / node-idempotency's", share("memory seq", "replay"), "<= 0.7", (v) => v <= 0.7);
  for (const kind of ["fresh", "replay"]) {
    add(`memory, 16 callers: ${kind} throughput / node-idempotency's`, p["memory x16"]?.throughputRatios?.[`node-idempotency ${kind}`], ">= 1.2", (v) => v >= 1.2);
  }
  add("redis: fresh call / raw floor (p50 ratio)", o.redis?.freshOverFloor, "<= 1.10", (v) => v <= 1.1);
  add("redis: replay / raw floor (p50 ratio)", o.redis?.replayOverFloor, "<= 1.10", (v) => v <= 1.1);
  for (const kind of ["fresh", "replay"]) {
    add(`redis, 16 callers: ${kind} throughput / node-idempotency's`, p["redis x16"]?.throughputRatios?.[`node-idempotency ${kind}`], ">= 1", (v) => v >= 1);
    const floor = kind === "fresh" ? o.redis?.concurrentFreshThroughputOfFloor : o.redis?.concurrentReplayThroughputOfFloor;
    add(`redis, 16 callers: ${kind} throughput / raw floor's`, floor, ">= 0.7", (v) => v >= 0.7);
  }
  for (const b of ["postgres", "sqlite"]) {
    add(`${b}: fresh call / raw floor, sequential (p50 ratio)`, o[b]?.freshOverFloor, "<= 1.05", (v) => v <= 1.05);
    add(`${b}: fresh call / raw floor, 16 callers (p50 ratio)`, o[b]?.concurrentFreshOverFloor, "<= 1.2", (v) => v <= 1.2);
  }
  const a = results.alloc;
  add("memory: bytes allocated per fresh call", a?.ours?.freshBytes, "<= 4096", (v) => v <= 4096, a ? `replay ${Math.round(a.ours.replayBytes)} B; node-idempotency ${Math.round(a["node-idempotency"].freshBytes)} / ${Math.round(a["node-idempotency"].replayBytes)} B` : "");
  add("key derivation, 10 KB of arguments / JSON.stringify", results.keys?.["10 KB"]?.deriveOverStringify, "<= 2", (v) => v <= 2);
  for (const [b, sink] of [["memory", "JSONL"], ["sqlite", "SQLite"], ["postgres", "Postgres"]]) {
    const x = results.audit?.[b];
    add(`audit sink ${sink} (${b} store): fresh call with / without`, x?.ratio, "<= 1.10", (v) => v <= 1.1, x ? `16 callers: ${x.concurrentRatio.toFixed(2)}` : "");
  }
  return targets;
}

/** The whole stdout report. */
export function render(results, rows) {
  const parts = [];
  if (rows.keys) parts.push(table("Key derivation (us per key, p50 / p99)", rows.keys, [["args", "args"], ["step", "step"], ["p50", "p50", 2], ["p99", "p99", 2]]));
  if (rows.overhead) {
    parts.push(table("Guarded call per backend (us; x16 = 16 concurrent callers)", rows.overhead, [["backend", "backend"], ["mode", "mode"], ["series", "series"], ["p50", "p50"], ["p99", "p99"], ["calls/s", (r) => (r.perSecond ? Math.round(r.perSecond) : "")]]));
    const o = results.overhead;
    parts.push(
      table("Overhead and floor ratios (sequential p50; ratios are medians of per-round ratios)", Object.entries(o).map(([b, x]) => ({ b, ...x })), [
        ["backend", "b"],
        ["fresh - bare (us)", "freshOverheadUs"],
        ["replay - bare (us)", "replayOverheadUs"],
        ["fresh / floor", "freshOverFloor", 2],
        ["replay / floor", "replayOverFloor", 2],
        ["fresh - floor (us)", "freshMinusFloorUs"],
        ["x16 fresh / floor", "concurrentFreshOverFloor", 2],
        ["x16 replay / floor", "concurrentReplayOverFloor", 2],
        ["round trips fresh/replay", (r) => (r.roundTrips ? `${r.roundTrips.fresh} / ${r.roundTrips.replay}` : "")],
      ]),
    );
  }
  if (rows.peers) parts.push(table("Peers, same tool and arguments (us; overhead = p50 - bare; vs ours = their overhead / ours)", rows.peers, [["store", "backend"], ["mode", "mode"], ["series", "series"], ["p50", "p50"], ["p99", "p99"], ["overhead", "overheadUs"], ["vs ours", "vsOurs", 2], ["calls/s", (r) => (r.perSecond ? Math.round(r.perSecond) : "")]]));
  if (rows.alloc) parts.push(table("Bytes allocated per guarded call, memory store (over the bare call)", rows.alloc, [["library", "library"], ["fresh", "fresh"], ["replay", "replay"]]));
  if (rows.audit) parts.push(table("Audit sinks: a fresh call with and without one, same store (us)", rows.audit, [["store + sink", "backend"], ["mode", "mode"], ["series", "series"], ["p50", "p50"], ["p99", "p99"], ["calls/s", (r) => (r.perSecond ? Math.round(r.perSecond) : "")]]));
  if (rows.duplicates) parts.push(table("16 concurrent calls, one key, 50 ms tool", rows.duplicates, [["setup", "setup"], ["bursts", "bursts", 0], ["max executions/key", "maxExecutionsPerKey", 0], ["what the 16 callers got", (r) => Object.entries(r.outcomes).map(([k, v]) => `${k} ${v}`).join(", ")], ["slowest burst (ms)", "msMax", 0]]));
  if (rows.scale) parts.push(table("Scale", rows.scale, [["measure", "measure"], ["value", "value"], ["detail", "detail"]]));
  if (rows.workers) {
    parts.push(table(`N worker processes sharing one backend (fresh calls; ms)`, rows.workers, [["backend", "backend"], ["workers", "workers", 0], ["in flight", "inFlight", 0], ["calls/s", (r) => Math.round(r.perSecond)], ["p50", "p50Ms", 2], ["p99", "p99Ms", 2], ["failures", "failures", 0]]));
    parts.push(table("Storage per completed record", Object.entries(results.workers ?? {}).map(([b, x]) => ({ b, ...x })), [["backend", "b"], ["bytes/record", "bytesPerRecord", 0], ["records/GB", (r) => (r.recordsPerGB ? Math.round(r.recordsPerGB).toLocaleString("en") : "")], ["sampled", "sizedRecords", 0]]));
  }
  parts.push(table("Targets (issues 8 and 14)", judgeTargets(results), [["target", "target"], ["value", "value", 2], ["limit", "limit"], ["met", (t) => (t.met === null ? "not measured" : t.met ? "met" : "MISSED")], ["note", "note"]]));
  return parts.join("\n");
}
