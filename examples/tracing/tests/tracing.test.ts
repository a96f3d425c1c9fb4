/**
 * Runs the example as its README does (`node main.mjs`, a real process on the built dist/) and
 * reads what its exporters and captured LangSmith transport received: the replay is a replay in
 * the exported span and in the posted LangSmith run, and the booking happened once.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const main = fileURLToPath(new URL("../main.mjs", import.meta.url));
const built = ["core", "langgraph", "opentelemetry"].every((p) => existsSync(fileURLToPath(new URL(`../../../packages/${p}/dist/index.js`, import.meta.url))));
if (!built) console.warn("[examples] tracing tests skipped: build first (pnpm run build)");

type Span = { name: string; outcome: string; replayed: boolean; attempt: number; status: string; key: string; toolCallId: string; children: string[] };
type LsRun = { name: string; tags: string[]; outcome: string; key: string; error?: string };
type Out = { spans: Span[]; nested: string[]; counts: Record<string, number>; runs: LsRun[]; effects: { bookings: number; charges: number } };

describe.skipIf(!built)("examples/tracing", () => {
  it("node main.mjs --json: the replay shows as a replay in the exported span and in the LangSmith run; one booking", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [main, "--json"]);
    const out = JSON.parse(stdout) as Out;
    expect(out.effects).toEqual({ bookings: 1, charges: 2 });

    const spans = out.spans.map((s) => [s.name, s.toolCallId, s.outcome, s.replayed, s.status]);
    expect(spans).toEqual([
      ["idempotency book_calendar", "call_1a", "executed", false, "UNSET"],
      ["idempotency charge_card", "call_1b", "failed", false, "ERROR"],
      ["idempotency book_calendar", "call_2a", "replayed", true, "UNSET"],
      ["idempotency charge_card", "call_2b", "executed", false, "UNSET"],
    ]);
    const [booked, failed, replayed, retried] = out.spans as [Span, Span, Span, Span];
    expect(replayed.key).toBe(booked.key);
    expect(retried.key).toBe(failed.key);
    expect(booked.children).toEqual(["POST /calendar/events"]);
    expect(replayed.children).toEqual([]);
    expect(out.nested).toEqual(["idempotency book_calendar"]);
    expect(out.counts).toEqual({ executed: 2, replayed: 1, failed: 1 });

    expect(out.runs.map((r) => [r.name, r.outcome, r.tags, r.error !== undefined])).toEqual([
      ["book_calendar", "executed", [], false],
      ["charge_card", "executed", [], true],
      ["charge_card", "executed", [], false],
      ["book_calendar", "replayed", ["idempotency:replayed"], false],
    ]);
    expect(out.runs[3]!.key).toBe(booked.key);
  });
});
