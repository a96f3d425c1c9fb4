/**
 * The text of a key explanation, as `console.log(idempotency.explainKey(call))` and the CLI's
 * `agent-idempotency explain` print it. Values are shown as JSON, so `"10"` and `10` look different.
 */
import type { KeyComparison, KeyDifference, KeyExplanation } from "./explain-key.js";

const MAX_VALUE = 120;

function json(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

function row(label: string, value: string, indent: string): string {
  return `${indent}${label.padEnd(12)} ${value}`;
}

/** The lines of one call's explanation. */
function explanationLines(x: KeyExplanation, indent: string): string[] {
  const out: string[] = [];
  out.push(row("action", x.action, indent));
  out.push(row("scope", x.scope === x.sessionId ? x.scope : `${x.scope}  (session ${x.sessionId})`, indent));
  const rule = Array.isArray(x.identityRule) ? (x.identityRule as readonly string[]).join(", ") : (x.identityRule as string);
  out.push(row("identity", `${rule}${x.identityRule === "function" ? " (the policy's identity function)" : ""}`, indent));
  const steps = x.normalizers;
  if (steps.length === 0) out.push(row("normalized", "nothing (no normalizer applies)", indent));
  steps.forEach((s, i) => {
    const origin = s.source === "policy" ? "policy" : `schema, ${s.fact}`;
    const what = s.applied ? (json(s.before) === json(s.after) ? `${json(s.after)} (unchanged)` : `${json(s.before)} → ${json(s.after)}`) : "(absent)";
    out.push(row(i === 0 ? "normalized" : "", `${s.path}: ${s.normalizer} [${origin}]  ${what}`, indent));
  });
  out.push(row("selected", JSON.stringify(x.identity) ?? "(none)", indent));
  if (x.keySource === "explicit") {
    out.push(row("key", `${x.key}  (the call's own key; the identity is not hashed)`, indent));
  } else {
    out.push(row("canonical", x.canonical, indent));
    out.push(row("key", `${x.key}  (sha256 of canonical, first 32 hex)`, indent));
  }
  out.push(row("fingerprint", `${x.fingerprint}  (all normalized arguments)`, indent));
  return out;
}

function differenceLines(d: KeyDifference, indent: string): string[] {
  const side = (label: string, has: boolean, v: unknown, raw: unknown, hasRaw: boolean) =>
    `${indent}  ${label}  ${has ? json(v) : "(absent)"}${hasRaw ? `   written ${json(raw)}` : ""}`;
  return [
    `${indent}${d.part === "identity" || d.part === "arguments" ? d.path : d.part}`,
    side("A", "a" in d, d.a, d.rawA, "rawA" in d),
    side("B", "b" in d, d.b, d.rawB, "rawB" in d),
  ];
}

/** `idempotency.explainKey(call)` as text. */
export function formatKeyExplanation(x: KeyExplanation): string {
  return [`key ${x.key}`, ...explanationLines(x, "  ")].join("\n");
}

/** `idempotency.explainKey(a, b)` as text: the verdict and the differing fields first, then both calls. */
export function formatKeyComparison(c: KeyComparison): string {
  const out: string[] = [];
  if (c.sameKey) out.push(`same key ${c.a.key}`);
  else {
    out.push(`different keys: A ${c.a.key}, B ${c.b.key}`);
    out.push(c.differences.length === 1 ? "they differ in 1 place:" : `they differ in ${c.differences.length} places:`);
    for (const d of c.differences) out.push(...differenceLines(d, "  "));
  }
  if (c.outsideIdentity.length > 0) {
    out.push("outside the identity (no effect on the key; the fingerprints differ, so a replay is audited as mismatch):");
    for (const d of c.outsideIdentity) out.push(...differenceLines(d, "  "));
  }
  out.push("", "call A", ...explanationLines(c.a, "  "), "", "call B", ...explanationLines(c.b, "  "));
  return out.join("\n");
}
