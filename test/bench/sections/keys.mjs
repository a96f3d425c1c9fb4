// Key derivation: microseconds per key for a 200-byte and a 10 KB argument object, with the
// canonicalization and the hashing measured apart. Synchronous work, so each sample is one call
// timed without an await; the series are interleaved round by round like everything else.
import { hash } from "node:crypto";
import { canonicalJson, deriveKey, resolvePolicy } from "@agent-idempotency/core/internal";
import { median, percentile } from "../lib/measure.mjs";
import { args10k, args200 } from "../lib/workload.mjs";

function sample(n, fn) {
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    fn(i);
    xs[i] = (performance.now() - t) * 1000;
  }
  return xs.sort();
}

export async function keys({ rounds, scale }, log) {
  const policy = resolvePolicy("book_calendar", {});
  const rows = [];
  const results = {};
  for (const [size, make, n] of [["200 B", args200, 20_000], ["10 KB", args10k, 2_000]]) {
    log(`  keys: ${size}`);
    const count = Math.max(100, Math.round(n * scale));
    const inputs = Array.from({ length: count }, (_, i) => make(i));
    const texts = inputs.map((a) => canonicalJson(a));
    const series = {
      "JSON.stringify (reference)": (i) => JSON.stringify(inputs[i]),
      canonicalize: (i) => canonicalJson(inputs[i]),
      "sha256 of canonical text": (i) => hash("sha256", texts[i], "hex"),
      "deriveKey (key + fingerprint)": (i) => deriveKey({ action: "book_calendar", args: inputs[i], sessionId: "s-bench" }, policy),
    };
    const acc = Object.fromEntries(Object.keys(series).map((k) => [k, { p50: [], p99: [] }]));
    for (let r = -1; r < rounds; r++) {
      const names = Object.keys(series);
      for (let j = 0; j < names.length; j++) {
        const name = names[(j + Math.max(0, r)) % names.length];
        const xs = sample(count, series[name]);
        if (r < 0) continue; // warm-up
        acc[name].p50.push(percentile(xs, 0.5));
        acc[name].p99.push(percentile(xs, 0.99));
      }
    }
    results[size] = { bytes: JSON.stringify(inputs[0]).length };
    // Per-round ratio of the two medians, then the median over rounds (load hits both alike).
    const ref = acc["JSON.stringify (reference)"].p50;
    results[size].deriveOverStringify = median(acc["deriveKey (key + fingerprint)"].p50.map((x, i) => x / ref[i]));
    results[size].canonicalOverStringify = median(acc.canonicalize.p50.map((x, i) => x / ref[i]));
    for (const [name, a] of Object.entries(acc)) {
      results[size][name] = { p50: median(a.p50), p99: median(a.p99) };
      rows.push({ args: `${size} (${results[size].bytes} B JSON)`, step: name, p50: median(a.p50), p99: median(a.p99) });
    }
  }
  return { results, rows };
}
