// Timing primitives. Every figure is taken per call (p50/p99 of single calls, never a batch mean),
// and every comparison is interleaved: the variants of one table run in turns inside each round,
// so load from other processes on this 2-core machine hits baseline and subject alike. A row's
// p50 is the median of the per-round p50s; its ratio to a baseline is the median of per-round
// ratios; p99 pools every sample.

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

// A full GC between sections, so no section pays for the garbage of the one before (the 10 KB
// key inputs, the records of another backend). `--expose-gc` set at run time, then taken from a
// fresh context: the command line stays `node test/bench/run.mjs`.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc");

/** Collects garbage until the heap stops shrinking (at most 4 full GCs). */
export function settle() {
  for (let i = 0, last = Number.POSITIVE_INFINITY; i < 4; i++) {
    gc();
    const used = process.memoryUsage().heapUsed;
    if (used >= last * 0.99) return;
    last = used;
  }
}

/** Percentile `q` (0..1) of a sorted Float64Array. */
export function percentile(sorted, q) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
}

/** Median of plain numbers. */
export function median(values) {
  const xs = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (xs.length === 0) return Number.NaN;
  const mid = xs.length >> 1;
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

/** Runs `fn(i)` n times one after the other; returns each call's duration in microseconds, sorted. */
export async function sequential(n, fn) {
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    xs[i] = (performance.now() - t) * 1000;
  }
  return xs.sort();
}

/**
 * `callers` loops run at once until `total` calls are done, each taking the next index; returns
 * every call's duration (us, sorted) and the throughput in calls per second.
 */
export async function concurrent(total, callers, fn) {
  const xs = new Float64Array(total);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      for (let i = next++; i < total; i = next++) {
        const t = performance.now();
        await fn(i);
        xs[i] = (performance.now() - t) * 1000;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return { sorted: xs.sort(), perSecond: total / seconds };
}

/**
 * Interleaved series. `variants` is `{ name: (round) => (i) => Promise }`: the outer call prepares
 * a round (fresh keys), the inner one is the timed call. Sequentially, the variants take turns
 * `block` calls at a time in a rotating order, so none always goes first (warm caches) or last (a GC debt)
 * and load from other processes hits all alike. With `callers` > 1 each variant's round is a
 * concurrent burst of its own (rotating order) and throughput is recorded too.
 * Returns `{ name: { p50, p99, perSecond?, rounds: [p50...] } }` in microseconds.
 */
export async function interleave(variants, { rounds, n, callers = 1, block = 32, warmup = Math.min(200, n) }) {
  const names = Object.keys(variants);
  settle();
  const perRound = Object.fromEntries(names.map((k) => [k, { p50: [], pooled: [], perSecond: [] }]));
  for (const name of names) {
    const fn = variants[name](-1);
    if (callers === 1) await sequential(warmup, fn);
    else await concurrent(warmup, callers, fn);
  }
  for (let r = 0; r < rounds; r++) {
    if (callers === 1) {
      // Block by block: `block` calls of variant A, then of B, ... in an order that rotates with
      // each block, so a burst of load from another process lands on every variant alike. Blocks
      // (not single calls) keep each variant's code and data warm in the cache, as in real use.
      const fns = names.map((name) => variants[name](r));
      const xs = names.map(() => new Float64Array(n));
      for (let b = 0; b < n; b += block) {
        const end = Math.min(n, b + block);
        for (let j = 0; j < names.length; j++) {
          const v = (b / block + j) % names.length;
          const fn = fns[v];
          const out = xs[v];
          for (let i = b; i < end; i++) {
            const t = performance.now();
            await fn(i);
            out[i] = (performance.now() - t) * 1000;
          }
        }
      }
      names.forEach((name, v) => {
        xs[v].sort();
        perRound[name].p50.push(percentile(xs[v], 0.5));
        perRound[name].pooled.push(xs[v]);
      });
      continue;
    }
    const order = names.map((_, i) => names[(i + r) % names.length]);
    for (const name of order) {
      const fn = variants[name](r);
      const acc = perRound[name];
      {
        const { sorted, perSecond } = await concurrent(n, callers, fn);
        acc.p50.push(percentile(sorted, 0.5));
        acc.pooled.push(sorted);
        acc.perSecond.push(perSecond);
      }
    }
  }
  const out = {};
  for (const name of names) {
    const acc = perRound[name];
    const all = new Float64Array(acc.pooled.reduce((s, xs) => s + xs.length, 0));
    let o = 0;
    for (const xs of acc.pooled) {
      all.set(xs, o);
      o += xs.length;
    }
    all.sort();
    out[name] = {
      p50: median(acc.p50),
      p99: percentile(all, 0.99),
      rounds: acc.p50,
      ...(acc.perSecond.length ? { perSecond: median(acc.perSecond), perSecondRounds: acc.perSecond } : {}),
    };
  }
  return out;
}

/** Median over rounds of `a.rounds[i] / b.rounds[i]` (both from one interleave() call). */
export function roundRatio(a, b) {
  return median(a.rounds.map((x, i) => x / b.rounds[i]));
}

/** Median over rounds of `a`'s throughput / `b`'s (both from one interleave() call with callers > 1). */
export function throughputRatio(a, b) {
  return median(a.perSecondRounds.map((x, i) => x / b.perSecondRounds[i]));
}

/** Median over rounds of `(peer - base) / (subject - base)`: how many times the subject's overhead the peer's is. */
export function overheadRatio(subject, peer, base) {
  return median(subject.rounds.map((x, i) => (peer.rounds[i] - base.rounds[i]) / (x - base.rounds[i])));
}

/** Median over rounds of `(subject - base) / (peer - base)`: the subject's overhead as a share of the peer's. */
export function overheadShare(subject, peer, base) {
  return median(subject.rounds.map((x, i) => (x - base.rounds[i]) / (peer.rounds[i] - base.rounds[i])));
}
