/**
 * The key corpus (tests/key-corpus): distinct actions never share a key under any configuration,
 * recall with schema-derived normalization is at least 95 %, and the numbers in the core README are
 * the ones this run computes (the test fails, printing the new table, when they drift).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CONFIGS, markdown, score } from "./key-corpus/evaluate.js";
import { PAIRS } from "./key-corpus/pairs.js";
import { TOOLS } from "./key-corpus/tools.js";

const README = new URL("../README.md", import.meta.url);
const START = "<!-- key-corpus:start -->";
const END = "<!-- key-corpus:end -->";
const scores = CONFIGS.map((c) => score(c, TOOLS, PAIRS));
const byName = (name: string) => scores.find((s) => s.config === name)!;
const describePair = (p: (typeof PAIRS)[number]) => `${p.tool} (${p.variation}): ${JSON.stringify(p.a)} vs ${JSON.stringify(p.b)}`;

describe("key corpus", () => {
  it("has at least 150 labelled pairs over at least 8 tools, both labels, every pair on a known tool", () => {
    expect(PAIRS.length).toBeGreaterThanOrEqual(150);
    expect(new Set(PAIRS.map((p) => p.tool)).size).toBeGreaterThanOrEqual(8);
    expect(PAIRS.filter((p) => !p.same).length).toBeGreaterThanOrEqual(50);
    for (const p of PAIRS) expect(Object.keys(TOOLS)).toContain(p.tool);
    // No pair is two copies of one call: each tests a variation.
    for (const p of PAIRS) expect(JSON.stringify(p.a) === JSON.stringify(p.b), describePair(p)).toBe(false);
  });

  it.each(CONFIGS.map((c) => c.name))("precision is 100 %: distinct actions never share a key (%s)", (name) => {
    const s = byName(name);
    expect(s.collisions.map(describePair)).toEqual([]);
    expect(s.precision).toBe(1);
  });

  it("recall with schema-derived normalization (plus what a schema cannot say) is at least 95 %", () => {
    const s = byName("derived from the schema + what it cannot say");
    expect(s.recall, s.misses.map(describePair).join("\n")).toBeGreaterThanOrEqual(0.95);
    // The misses are exactly the pairs no normalizer is meant to reach.
    expect(new Set(s.misses.map((p) => p.variation))).toEqual(new Set(["paraphrase, other (no normalizer)"]));
  });

  it("schema derivation writes fewer entries for the same recall as writing every normalizer by hand", () => {
    const hand = byName("hand-written, every shipped normalizer");
    const derived = byName("derived from the schema + what it cannot say");
    expect(derived.recall).toBe(hand.recall);
    expect(derived.entries).toBeLessThan(hand.entries);
    expect(byName("derived from the schema, nothing written").recall).toBeGreaterThan(byName("canonical JSON only").recall);
  });

  it("the core README shows the numbers of this corpus", () => {
    const text = readFileSync(README, "utf8");
    const start = text.indexOf(START);
    const end = text.indexOf(END);
    expect(start, `the core README needs a ${START} … ${END} block`).toBeGreaterThan(-1);
    const shown = text.slice(start + START.length, end).trim();
    const computed = markdown(scores, TOOLS, PAIRS);
    expect(shown, `update packages/core/README.md between the key-corpus markers to:\n\n${computed}\n`).toBe(computed);
  });
});
