/**
 * Scores the key corpus under each way of configuring normalization: for every pair, both calls'
 * keys through `createIdempotency().deriveKey` (exactly what `run` computes), then
 *
 * - recall: the share of same-action pairs whose two calls get one key;
 * - precision: of the pairs that get one key, the share that are one action (a distinct pair that
 *   shares a key is a lost booking: it must never happen).
 *
 * A call a normalizer refuses has no key; its pair counts as two keys, and is counted apart.
 */
import type { JsonSchema, Normalizer, ToolPolicy } from "@agent-idempotency/core";
import { createIdempotency, MemoryStore } from "@agent-idempotency/core";
import type { CorpusPair } from "./pairs.js";
import type { CorpusTool } from "./tools.js";

export interface CorpusConfig {
  name: string;
  policy(tool: CorpusTool): ToolPolicy;
  /** Whether calls carry the tool's schema (for `normalizeFromSchema`). */
  withSchema: boolean;
}

const withNormalize = (tool: CorpusTool, normalize: Record<string, Normalizer>, normalizeFromSchema: boolean): ToolPolicy => ({
  ...(tool.identity ? { identity: tool.identity } : {}),
  normalize,
  normalizeFromSchema,
});

export const CONFIGS: CorpusConfig[] = [
  { name: "canonical JSON only", withSchema: false, policy: (t) => withNormalize(t, {}, false) },
  { name: "hand-written, the 4 normalizers of 0.1.0", withSchema: false, policy: (t) => withNormalize(t, t.before, false) },
  { name: "hand-written, every shipped normalizer", withSchema: false, policy: (t) => withNormalize(t, t.handWritten, false) },
  { name: "derived from the schema, nothing written", withSchema: true, policy: (t) => withNormalize(t, {}, true) },
  { name: "derived from the schema + what it cannot say", withSchema: true, policy: (t) => withNormalize(t, t.explicit, true) },
];

export interface Score {
  config: string;
  /** `normalize` entries written by hand, over all tools. */
  entries: number;
  samePairs: number;
  sameWithOneKey: number;
  distinctPairs: number;
  distinctWithOneKey: number;
  /** Calls refused by a normalizer (IdempotencyKeyError), over all pairs. */
  refused: number;
  recall: number;
  precision: number;
  /** Same-action pairs with one key, by variation. */
  byVariation: Map<string, { pairs: number; oneKey: number }>;
  /** Same-action pairs that got two keys, and distinct pairs that got one. */
  misses: CorpusPair[];
  collisions: CorpusPair[];
}

export function score(config: CorpusConfig, tools: Record<string, CorpusTool>, pairs: readonly CorpusPair[]): Score {
  const engine = createIdempotency({
    store: new MemoryStore(),
    tools: Object.fromEntries(Object.entries(tools).map(([name, t]) => [name, config.policy(t)])),
    onWarning: () => undefined,
  });
  let refused = 0;
  const keyOf = (tool: string, args: unknown, schema: JsonSchema): string | undefined => {
    try {
      return engine.deriveKey({ action: tool, args, sessionId: "corpus", schema: config.withSchema ? schema : undefined })!.key;
    } catch (e) {
      if ((e as { code?: string }).code !== "KEY_INVALID") throw e;
      refused++;
      return undefined;
    }
  };
  const s: Score = {
    config: config.name,
    entries: Object.values(tools).reduce((n, t) => n + Object.keys(config.policy(t).normalize ?? {}).length, 0),
    samePairs: 0,
    sameWithOneKey: 0,
    distinctPairs: 0,
    distinctWithOneKey: 0,
    refused: 0,
    recall: 0,
    precision: 0,
    byVariation: new Map(),
    misses: [],
    collisions: [],
  };
  for (const p of pairs) {
    const tool = tools[p.tool];
    if (!tool) throw new Error(`corpus pair for unknown tool ${p.tool}`);
    const a = keyOf(p.tool, p.a, tool.schema);
    const b = keyOf(p.tool, p.b, tool.schema);
    const oneKey = a !== undefined && a === b;
    if (p.same) {
      s.samePairs++;
      const v = s.byVariation.get(p.variation) ?? { pairs: 0, oneKey: 0 };
      v.pairs++;
      if (oneKey) {
        s.sameWithOneKey++;
        v.oneKey++;
      } else s.misses.push(p);
      s.byVariation.set(p.variation, v);
    } else {
      s.distinctPairs++;
      if (oneKey) {
        s.distinctWithOneKey++;
        s.collisions.push(p);
      }
    }
  }
  s.refused = refused;
  s.recall = s.sameWithOneKey / s.samePairs;
  const shared = s.sameWithOneKey + s.distinctWithOneKey;
  s.precision = shared === 0 ? 1 : s.sameWithOneKey / shared;
  return s;
}

const pct = (x: number) => `${(Math.floor(x * 1000) / 10).toFixed(1)} %`;

/** The tables the core README shows, between its key-corpus markers. */
export function markdown(scores: readonly Score[], tools: Record<string, CorpusTool>, pairs: readonly CorpusPair[]): string {
  const same = pairs.filter((p) => p.same).length;
  const lines = [
    `${pairs.length} pairs over ${Object.keys(tools).length} tools: ${same} of one action, ${pairs.length - same} of two distinct actions.`,
    "",
    "| normalization | `normalize` entries written | precision | distinct pairs sharing a key | recall | same-action pairs with one key | calls refused |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...scores.map((s) => `| ${s.config} | ${s.entries} | ${pct(s.precision)} | ${s.distinctWithOneKey} of ${s.distinctPairs} | ${pct(s.recall)} | ${s.sameWithOneKey} of ${s.samePairs} | ${s.refused} |`),
    "",
    "Same-action pairs with one key, by what differs between the two calls:",
    "",
    `| variation | pairs | ${scores.map((_, i) => `(${i + 1})`).join(" | ")} |`,
    `| --- | ---: | ${scores.map(() => "---:").join(" | ")} |`,
  ];
  const variations = [...scores[0]!.byVariation.keys()];
  for (const v of variations) {
    const n = scores[0]!.byVariation.get(v)!.pairs;
    lines.push(`| ${v} | ${n} | ${scores.map((s) => s.byVariation.get(v)!.oneKey).join(" | ")} |`);
  }
  lines.push("", scores.map((s, i) => `(${i + 1}) ${s.config}`).join("; ") + ".");
  return lines.join("\n");
}
