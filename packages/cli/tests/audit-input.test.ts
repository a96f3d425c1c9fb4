/**
 * `agent-idempotency audit` on logs someone else wrote: ISO-8601 times, lines that are not entries,
 * outcomes it does not know, a log with nothing readable. Each gets a clear report and exit code,
 * never a crash (exit 70) and never a false "OK"; a property test feeds it arbitrary bytes.
 */
import { writeFileSync } from "node:fs";
import type { AuditReport } from "@agent-idempotency/core";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../src/index.js";
import { runCli, tempDir } from "./helpers/run-cli.js";

const tmp = tempDir("audit-input");
afterAll(() => tmp.remove());
let files = 0;
const logOf = (text: string | Uint8Array) => {
  const path = tmp.path(`log-${++files}.jsonl`);
  writeFileSync(path, text);
  return path;
};
const line = (over: Record<string, unknown>) =>
  JSON.stringify({ ts: Date.UTC(2026, 10, 23, 9), action_type: "send_email", outcome: "executed", session_id: "t-1", fingerprint: "fp", attempt: 1, duration_ms: 3, ...over });

describe("audit: input someone else wrote", () => {
  it("audit: ts as ISO-8601 strings (any zone, fractions) are read like epoch ms", async () => {
    const log = logOf(
      [
        line({ ts: "2026-11-23T09:00:00Z", idempotency_key: "k", response_id: "m_1", scope: "s", key_sent: true }),
        line({ ts: "2026-11-23T10:00:05.123456+01:00", idempotency_key: "k", response_id: "m_2", scope: "s", key_sent: true }),
        line({ ts: Date.UTC(2026, 10, 23, 9, 0, 10), idempotency_key: "k", response_id: "m_2", outcome: "replayed", scope: "s", key_sent: true }),
      ].join("\n"),
    );
    const r = await runCli(["audit", "--audit", `jsonl:${log}`, "--since", "2026-11-23", "--until", "2026-11-24", "--json"]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as AuditReport;
    expect(report.entries).toBe(3);
    expect(report.first_ts).toBe(Date.UTC(2026, 10, 23, 9));
    expect(report.last_ts).toBe(Date.UTC(2026, 10, 23, 9, 0, 10));
    expect(report.flags).toMatchObject([{ kind: "one_key_several_response_ids", response_ids: ["m_1", "m_2"] }]);
  });

  it("audit: malformed lines are counted and named by line number; exit 3, and not 'OK'", async () => {
    const log = logOf([line({ idempotency_key: "a" }), "{torn", "", line({ ts: "last tuesday" }), "[1,2]", line({ idempotency_key: "b" }), '{"ts": 1}'].join("\n"));
    const r = await runCli(["audit", "--audit", `jsonl:${log}`, "--since", "all"]);
    expect(r.code).toBe(3);
    expect(r.stdout).not.toContain("OK");
    expect(r.stdout).toContain("4 RECORDS COULD NOT BE READ (exit code 3)");
    expect(r.stdout).toMatch(/line 2: not JSON/);
    expect(r.stdout).toMatch(/line 4: ts is neither epoch milliseconds nor an ISO-8601\s+time/);
    expect(r.stdout).toMatch(/line 5: not a JSON object/);
    expect(r.stdout).toMatch(/line 7: no action_type/);
    expect(r.stderr).toContain("4 record(s) of jsonl:");
    expect(r.stderr).toContain("(line 2, line 4, line 5, line 7)");
    const json = JSON.parse((await runCli(["audit", "--audit", `jsonl:${log}`, "--since", "all", "--json"])).stdout) as AuditReport & { exitCode: number };
    expect(json.exitCode).toBe(3);
    expect(json.entries).toBe(2);
    expect(json.malformed).toEqual({
      count: 4,
      first: [
        { line: 2, reason: "not JSON" },
        { line: 4, reason: "ts is neither epoch milliseconds nor an ISO-8601 time" },
        { line: 5, reason: "not a JSON object" },
        { line: 7, reason: "no action_type" },
      ],
    });
  });

  it("audit --skip-bad-lines: reports them and judges the rest", async () => {
    const log = logOf([line({ idempotency_key: "a" }), "garbage", line({ idempotency_key: "b", fingerprint: "fp2" })].join("\n"));
    const r = await runCli(["audit", "--audit", `jsonl:${log}`, "--since", "all", "--skip-bad-lines"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("OK: no flags");
    expect(r.stdout).toMatch(/1 unreadable record\s+skipped/);
    expect(r.stdout).toContain("line 2: not JSON");
  });

  it("audit: a log with no readable entry is UNREADABLE (exit 3), even with --skip-bad-lines", async () => {
    const log = logOf("not\njson\tat all\n{}\n");
    for (const extra of [[], ["--skip-bad-lines"]]) {
      const r = await runCli(["audit", "--audit", `jsonl:${log}`, "--since", "all", ...extra]);
      expect(r.code).toBe(3);
      expect(r.stdout).toContain("UNREADABLE: none of the 3 records in this log is an audit entry");
      expect(r.stdout).not.toMatch(/\bOK\b/);
    }
  });

  it("audit: an empty log is not 'OK' either: it says nothing was checked", async () => {
    const r = await runCli(["audit", "--audit", `jsonl:${logOf("")}`, "--since", "all"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("No audit entries in this range, so nothing was checked");
    expect(r.stdout).not.toMatch(/\bOK\b/);
  });

  it("audit: unknown outcomes are shown by name in the text, the JSON and the HTML; duplicate has its column", async () => {
    const log = logOf(
      [line({ outcome: "teleported" }), line({ outcome: "teleported", fingerprint: "x" }), line({ outcome: "duplicate", key_sent: false }), line({ outcome: "executed" })].join("\n"),
    );
    const html = tmp.path(`report-${files}.html`);
    const r = await runCli(["audit", "--audit", `jsonl:${log}`, "--since", "all", "--html", html]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^action\s+calls\s+exec\s+repl\s+fail\s+dup\s+other$/m);
    expect(r.stdout).toMatch(/^send_email\s+4\s+1\s+0\s+0\s+1\s+2$/m);
    expect(r.stdout).toContain('unknown outcomes: "teleported" 2');
    const page = (await import("node:fs")).readFileSync(html, "utf8");
    expect(page).toContain("<th>duplicate</th>");
    expect(page).toContain("<th>other</th>");
    expect(page).toMatch(/<tr class="total"><td>total<\/td><td>4<\/td>(<td>\d+<\/td>){9}<td>2<\/td><\/tr>/);
    const json = JSON.parse((await runCli(["audit", "--audit", `jsonl:${log}`, "--since", "all", "--json"])).stdout) as AuditReport;
    expect(json.unknown_outcomes).toEqual({ teleported: 2 });
    expect(json.totals.duplicate).toBe(1);
    expect(json.actions[0]).toMatchObject({ unknown: 2, total: 4 });
  });
});

describe("audit: whatever the bytes", () => {
  /** Runs the command in-process (the same code as the binary), so a hundred runs take seconds. */
  async function audit(path: string, extra: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const ctx = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, env: {}, now: () => Date.UTC(2026, 10, 27) };
    const code = await main(["audit", "--audit", `jsonl:${path}`, "--since", "all", ...extra], ctx);
    return { code, stdout: out.join(""), stderr: err.join("") };
  }

  const jsonish = fc.oneof(
    fc.jsonValue(),
    fc.record(
      {
        ts: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.constant(8.64e15), fc.constant(-8.64e15)),
        action_type: fc.oneof(fc.string(), fc.integer(), fc.constant("<script>")),
        outcome: fc.oneof(fc.constantFrom("executed", "replayed", "unguarded", "duplicate", "lease_lost"), fc.string()),
        idempotency_key: fc.oneof(fc.constantFrom("k1", "k2"), fc.integer(), fc.jsonValue()),
        response_id: fc.oneof(fc.constantFrom("r1", "r2"), fc.integer(), fc.jsonValue()),
        session_id: fc.oneof(fc.constant("s"), fc.jsonValue()),
        fingerprint: fc.oneof(fc.constant("f"), fc.jsonValue()),
        scope: fc.oneof(fc.constantFrom("a", "b"), fc.jsonValue()),
        turn: fc.oneof(fc.constantFrom("1:x", "2:y"), fc.jsonValue()),
        key_sent: fc.jsonValue(),
        attempt: fc.jsonValue(),
        duration_ms: fc.jsonValue(),
        repeat_of: fc.jsonValue(),
        repeat_decision: fc.jsonValue(),
      },
      { requiredKeys: [] },
    ),
  );

  it("audit: arbitrary bytes, and arbitrary JSON lines shaped like entries, never reach exit 70", async () => {
    const bytes = fc.uint8Array({ maxLength: 2000 }).map((b) => ({ data: b as Uint8Array | string }));
    const lines = fc.array(jsonish, { maxLength: 40 }).map((items) => ({ data: items.map((i) => JSON.stringify(i)).join("\n") }));
    await fc.assert(
      fc.asyncProperty(fc.oneof(bytes, lines), fc.subarray([["--json"], ["--skip-bad-lines"], ["--strict"], ["--window", "1s"]]), async ({ data }, options) => {
        const flags = options.flat();
        const path = logOf(data);
        const html = `${path}.html`;
        const r = await audit(path, [...flags, "--html", html]);
        expect(r.stderr).not.toContain("internal error");
        expect([0, 1, 3]).toContain(r.code);
        if (r.code === 0) expect(r.stdout).not.toMatch(/UNREADABLE|COULD NOT BE READ/);
      }),
      { numRuns: 150 },
    );
  });
});
