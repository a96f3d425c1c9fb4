/**
 * The pieces behind the commands, in-process: durations and instants, exit-code mapping, URI
 * redaction, and the 80-column layout under hostile input (long names, many keys).
 */
import type { AuditReport } from "@agent-idempotency/core";
import { emptyCounts } from "@agent-idempotency/core/internal";
import { IdempotencyStoreError } from "@agent-idempotency/core";
import { describe, expect, it } from "vitest";
import { auditVerdict, ExitCode, main, renderReportHtml, renderReportText } from "../src/index.js";
import { parseDuration, parseInstant } from "../src/args.js";
import { redactUri } from "../src/open-store.js";
import { cliFailure, exitCodeFor } from "../src/exit-codes.js";
import { renderDayChart } from "../src/render/day-chart.js";

const NOW = Date.parse("2026-11-27T12:00:00Z");

describe("parseDuration / parseInstant", () => {
  it("parseDuration(): units from ms to weeks; a bare number or zero is a usage error", () => {
    expect(parseDuration("250ms", "--window")).toBe(250);
    expect(parseDuration("60s", "--window")).toBe(60_000);
    expect(parseDuration("1.5m", "--window")).toBe(90_000);
    expect(parseDuration("7d", "--window")).toBe(7 * 86_400_000);
    expect(parseDuration("2w", "--window")).toBe(14 * 86_400_000);
    for (const bad of ["60", "0s", "-1s", "1y", "s"]) expect(() => parseDuration(bad, "--window"), bad).toThrow(/--window/);
    expect(exitCodeFor(catchError(() => parseDuration("60", "--window")))).toBe(ExitCode.Usage);
  });

  it("parseInstant(): durations count back from now; dates are UTC midnight; times need a zone", () => {
    expect(parseInstant("7d", "--since", NOW)).toBe(NOW - 7 * 86_400_000);
    expect(parseInstant("2026-11-01", "--since", NOW)).toBe(Date.parse("2026-11-01T00:00:00Z"));
    expect(parseInstant("2026-11-01T09:00:00+01:00", "--since", NOW)).toBe(Date.parse("2026-11-01T08:00:00Z"));
    expect(parseInstant("all", "--since", NOW)).toBeUndefined();
    expect(parseInstant("now", "--until", NOW)).toBe(NOW);
    expect(() => parseInstant("2026-11-01T09:00:00", "--since", NOW)).toThrow(/with its zone/);
    expect(() => parseInstant("2026-13-45", "--since", NOW)).toThrow(/is not a time/);
  });
});

describe("exit codes", () => {
  it("exitCodeFor(): usage 2, store failure 3, missing store package 4, system errors 3, bugs 70", () => {
    expect(exitCodeFor(cliFailure(ExitCode.NotFound, "x"))).toBe(5);
    expect(exitCodeFor(new IdempotencyStoreError("down"))).toBe(3);
    expect(exitCodeFor(new IdempotencyStoreError("no package", { code: "STORE_UNAVAILABLE" }))).toBe(4);
    expect(exitCodeFor(Object.assign(new Error("EACCES"), { code: "EACCES", syscall: "open" }))).toBe(3);
    expect(exitCodeFor(new TypeError("undefined is not a function"))).toBe(70);
  });

  it("main(): never throws; writes the error to stderr and returns the code", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const ctx = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, env: {}, now: () => NOW };
    expect(await main(["purge", "--store", "memory:", "--before", "1d"], ctx)).toBe(2);
    expect(err.join("")).toMatch(/^agent-idempotency purge: --before .* add --yes/);
    expect(await main(["purge", "--store", "memory:", "--expired", "--json"], ctx)).toBe(0);
    expect(JSON.parse(out.at(-1)!)).toMatchObject({ store: "memory:", purged: 0 });
  });

  it("main(): a misspelt store or audit scheme is a usage error naming the scheme it meant, colon and all; a far one gets no guess", async () => {
    const err: string[] = [];
    const ctx = { stdout: { write: () => undefined }, stderr: { write: (s: string) => err.push(s) }, env: {}, now: () => NOW };
    expect(await main(["inspect", "0123456789abcdef0123456789abcdef", "--store", "sqlit:./x.db"], ctx)).toBe(2);
    expect(await main(["audit", "--audit", "jsnl:./x.jsonl", "--since", "all"], ctx)).toBe(2);
    expect(await main(["inspect", "0123456789abcdef0123456789abcdef", "--store", "zzzz:./x.db"], ctx)).toBe(2);
    expect(err).toEqual([
      expect.stringContaining('"sqlit:./x.db" is not a store URI (did you mean "sqlite:"?); use memory:'),
      expect.stringContaining('"jsnl:./x.jsonl" is not an audit log URI (did you mean "jsonl:"?); use jsonl:PATH'),
      expect.stringContaining('"zzzz:./x.db" is not a store URI; use memory:'),
    ]);
  });

  it("redactUri(): hides the password, keeps the rest", () => {
    expect(redactUri("postgres://app:hunter2@db:5432/prod?schema=x")).toBe("postgres://app:***@db:5432/prod?schema=x");
    expect(redactUri("sqlite:./a.db")).toBe("sqlite:./a.db");
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("did not throw");
}

function hostileReport(): AuditReport {
  const counts = { ...emptyCounts(), executed: 1_234_567, replayed: 7_654_321, failed: 12, recovered: 3_456, in_progress: 45_678, mismatch: 456_789, lease_lost: 5_678_901, unguarded: 67_890_123, duplicate: 789_012 };
  const long = "a_really_long_tool_name_that_someone_registered_for_their_agent_v2";
  const keys = Array.from({ length: 30 }, (_, i) => i.toString(16).padStart(32, "0"));
  return {
    since: NOW - 7 * 86_400_000,
    until: undefined,
    windowMs: 60_000,
    entries: 8_888_900,
    first_ts: NOW - 6 * 86_400_000,
    last_ts: NOW,
    totals: counts,
    actions: [{ action_type: long, counts, unknown: 9_999_999, total: 8_888_900 }],
    days: [{ day: "2026-11-26", executed: 10, replayed: 3 }],
    flags: [
      { kind: "one_action_several_keys", action_type: long, fingerprint: "f".repeat(64), session_id: `<script>alert(1)</script>${"s".repeat(90)}`, keys, executions: 30, first_ts: NOW - 50_000, last_ts: NOW, scopes: [`turn:["<b>${"t".repeat(80)}","h"]`], cause: "key_changed_in_scope" },
      { kind: "one_key_several_response_ids", action_type: long, idempotency_key: keys[0]!, response_ids: ["r-1", "r-2"], sessions: ["s"], first_ts: NOW - 1000, last_ts: NOW, key_sent: true, cause: "key_ignored_or_record_lost" },
    ],
    review: [
      {
        kind: "repeated_in_new_turn",
        action_type: `<i>${long}`,
        fingerprint: "e".repeat(64),
        session_id: "s",
        executions: [
          { ts: NOW - 20_000, idempotency_key: keys[1]!, scope: `turn:["s","<em>"]`, turn: "1:abcd" },
          { ts: NOW, idempotency_key: keys[2]!, scope: `turn:["s","h2"]`, turn: "2:ef01" },
        ],
        first_ts: NOW - 20_000,
        last_ts: NOW,
      },
    ],
    blind_spots: {
      no_response_ids: [{ action_type: `<u>${long}`, executions: 1_234_567 }],
      unguarded_repeats: [{ action_type: long, groups: 12, executions: 40, worst: { session_id: "<s>", fingerprint: "d".repeat(64), executions: 9, first_ts: NOW - 9, last_ts: NOW } }],
    },
    unknown_outcomes: { "<teleported>": 9_999_999 },
    malformed: { count: 3, first: [{ line: 7, reason: "not JSON" }, { line: 9, reason: "no ts" }] },
    live: { detected: 3, proceeded: 1, refused: 1, deferred: 1 },
  };
}
const meta = (source: string, report: AuditReport, skipBadLines = true) => ({ source, generatedAt: NOW, verdict: auditVerdict(report, { strict: false, skipBadLines }) });

describe("renderers", () => {
  it("renderReportText(): every line fits 80 columns with long names, big counts and 30 keys", () => {
    const report = hostileReport();
    const text = renderReportText(report, meta(`jsonl:/var/log/${"deep/".repeat(20)}audit.jsonl`, report));
    expect(text.split("\n").filter((l) => [...l].length > 80)).toEqual([]);
    expect(text).toContain("2 FLAGS RAISED");
    expect(text).toContain("… and 22 more (--json lists all)");
    expect(text).toContain("f".repeat(64));
    // every outcome has a column (the counts are too big for full numbers in 80 columns)
    for (const h of ["exec", "repl", "recov", "fail", "inprg", "mism", "lost", "ungrd", "dup", "other"]) expect(text).toMatch(new RegExp(`\\b${h}\\b`));
    expect(text).toMatch(/7\.7M/);
    expect(text).toContain("FOR REVIEW: 1 call repeated in a new turn");
    expect(text).toContain("BLIND SPOTS");
    expect(text).toContain("line 7: not JSON");
    expect(text.replace(/\s+/g, " ")).toContain("LIVE DETECTION: 3 repeats caught at call time (1 ran, 1 refused, 1 deferred to a person)");
  });

  it("renderReportText(): with unreadable records (no --skip-bad-lines) the flags keep their own heading under the verdict", () => {
    const report = hostileReport();
    const text = renderReportText(report, meta("jsonl:a.jsonl", report, false));
    const lines = text.split("\n");
    const verdict = lines.findIndex((l) => l.startsWith("3 RECORDS COULD NOT BE READ"));
    const heading = lines.findIndex((l) => l === "2 FLAGS RAISED in the entries that could be read");
    const first = lines.findIndex((l) => /^1\. /.test(l));
    expect(verdict).toBeGreaterThan(0);
    expect(heading).toBeGreaterThan(verdict);
    expect(first).toBeGreaterThan(heading);
    // With the records skipped, the verdict itself is the flags' heading: no second one.
    expect(renderReportText(report, meta("jsonl:a.jsonl", report, true))).not.toContain("in the entries that could be read");
  });

  it("renderReportText(): with small counts every number is written out, and outcomes that never occurred are named", () => {
    const report = { ...hostileReport(), entries: 20, totals: { ...emptyCounts(), executed: 12, replayed: 7654, duplicate: 1 }, unknown_outcomes: {} };
    report.actions = [{ action_type: "book", counts: report.totals, unknown: 0, total: 7667 }];
    const text = renderReportText(report, meta("jsonl:a.jsonl", report));
    expect(text).toMatch(/^action\s+calls\s+exec\s+repl\s+fail\s+dup$/m);
    expect(text).toMatch(/^book\s+7667\s+12\s+7654\s+0\s+1$/m);
    expect(text.replace(/\s+/g, " ")).toContain("none: recovered, in_progress, mismatch, lease_lost, unguarded)");
  });

  it("renderReportText(): a key that was never sent reads 'ran twice with no guard', never that an upstream ignored it", () => {
    const report = { ...hostileReport(), review: [], blind_spots: { no_response_ids: [], unguarded_repeats: [] }, malformed: { count: 0, first: [] } };
    report.flags = [{ kind: "one_key_several_response_ids", action_type: "book_calendar", idempotency_key: "k".repeat(32), response_ids: ["b_1", "b_2"], sessions: ["t-1"], first_ts: NOW - 1000, last_ts: NOW, key_sent: false, cause: "no_guard" }];
    const text = renderReportText(report, meta("jsonl:a.jsonl", report)).replace(/\s+/g, " ");
    expect(text).toContain("ran twice with no guard: book_calendar");
    expect(text).toContain("No key was sent to the tool");
    expect(text).not.toMatch(/upstream ignored/);
  });

  it("renderDayChart(): the y axis has integer steps, each label at its grid line; a bar of 4 reaches the line labelled 4", () => {
    const axis = (max: number) => {
      const report = { ...hostileReport(), since: undefined, days: [{ day: "2026-11-26", executed: max, replayed: 1 }] };
      const svg = renderDayChart(report);
      const ticks = [...svg.matchAll(/<text class="axis" x="\d+" y="([\d.]+)" text-anchor="end"[^>]*>([^<]+)<\/text>/g)].map((m) => [Number(m[2]!.replace(/,/g, "")), Number(m[1])] as const);
      const bar = /<rect class="bar bar-executed"[^>]* y="([\d.]+)"/.exec(svg)!;
      return { labels: ticks.map(([v]) => v), at: new Map(ticks), barTop: Number(bar[1]) };
    };
    const four = axis(4);
    expect(four.labels).toEqual([0, 1, 2, 3, 4]);
    expect(four.barTop).toBe(four.at.get(4));
    expect(axis(0).labels).toEqual([0, 1]);
    expect(axis(5).labels).toEqual([0, 2, 4, 6]);
    expect(axis(7).labels).toEqual([0, 2, 4, 6, 8]);
    expect(axis(1234).labels).toEqual([0, 500, 1000, 1500]);
    for (const n of [1, 3, 9, 13, 99, 250, 12_345]) {
      const { labels } = axis(n);
      expect(labels.every(Number.isInteger), String(n)).toBe(true);
      expect(labels.at(-1)!, String(n)).toBeGreaterThanOrEqual(n);
      expect(labels.length, String(n)).toBeLessThanOrEqual(5);
    }
  });

  it("renderReportHtml(): values from the log are escaped, never markup", () => {
    const report = hostileReport();
    const html = renderReportHtml(report, meta("jsonl:a.jsonl", report));
    for (const tag of ["<script>", "<b>", "<i>", "<u>", "<s>", "<em>", "<teleported>"]) expect(html).not.toContain(tag);
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    for (const o of ["executed", "replayed", "recovered", "failed", "in_progress", "mismatch", "lease_lost", "unguarded", "duplicate", "other"]) expect(html).toContain(`<th>${o}</th>`);
    expect((html.match(/<rect class="bar /g) ?? []).length).toBe(14); // 7 days of the range, 2 bars each
  });
});
