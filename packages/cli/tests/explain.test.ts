/**
 * `agent-idempotency explain` as a real process: the key it prints is the engine's, two spellings
 * of one call get one key (exit 0), two calls get two keys with the differing field named (exit 1),
 * and every mistake in the input is a usage error (exit 2) whose message names the fix.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createIdempotency, isoInstant, MemoryStore } from "@agent-idempotency/core";
import { afterAll, describe, expect, it } from "vitest";
import { runCli, tempDir } from "./helpers/run-cli.js";

const CONFIG = fileURLToPath(new URL("./fixtures/explain.config.mjs", import.meta.url));
const POLICY = JSON.stringify({ identity: ["user_id", "slot"], normalize: { slot: "isoInstant" } });
const tmp = tempDir("explain");
afterAll(() => tmp.remove());

describe("agent-idempotency explain", () => {
  it("explain ACTION ARGS: prints the scope, the normalizer's before and after, the canonical JSON and the engine's key", async () => {
    const args = { user_id: "u1", slot: "2026-12-01T11:00+01:00" };
    const r = await runCli(["explain", "book_calendar", JSON.stringify(args), "--session", "thread-42", "--policy", POLICY]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const engine = createIdempotency({ store: new MemoryStore(), tools: { book_calendar: { identity: ["user_id", "slot"], normalize: { slot: isoInstant } } } });
    const key = engine.deriveKey({ action: "book_calendar", args, sessionId: "thread-42" })!.key;
    expect(r.stdout).toContain(`key ${key}\n`);
    expect(r.stdout).toContain("scope        thread-42");
    expect(r.stdout).toContain('slot: isoInstant [policy]  "2026-12-01T11:00+01:00" → "2026-12-01T10:00:00.000Z"');
    expect(r.stdout).toContain('canonical    {"action":"book_calendar","identity":{"slot":"2026-12-01T10:00:00.000Z","user_id":"u1"},"scope":"thread-42"}');
  });

  it("explain ACTION A B: one key for two spellings (exit 0); two keys name the field that differs (exit 1)", async () => {
    const same = await runCli(["explain", "book_calendar", '{"user_id":"u1","slot":"2026-12-01T11:00+01:00"}', '{"slot":"2026-12-01T10:00Z","user_id":"u1"}', "--session", "s", "--policy", POLICY]);
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/^same key [0-9a-f]{32}\n/);
    const diff = await runCli(["explain", "book_calendar", '{"user_id":"u1","slot":"2026-12-01T11:00+01:00"}', '{"user_id":"u1","slot":"2026-12-01T10:30Z"}', "--session", "s", "--policy", POLICY, "--json"]);
    expect(diff.code).toBe(1);
    const out = JSON.parse(diff.stdout);
    expect(out.sameKey).toBe(false);
    expect(out.differences).toEqual([
      { part: "identity", path: "slot", a: "2026-12-01T10:00:00.000Z", b: "2026-12-01T10:30:00.000Z", rawA: "2026-12-01T11:00+01:00", rawB: "2026-12-01T10:30Z" },
    ]);
    const scopes = await runCli(["explain", "book_calendar", '{"user_id":"u1","slot":"2026-12-01T10:00Z"}', '{"user_id":"u1","slot":"2026-12-01T10:00Z"}', "--session", "s-1", "--session2", "s-2", "--policy", POLICY]);
    expect(scopes.code).toBe(1);
    expect(scopes.stdout).toContain("they differ in 1 place:\n  scope\n    A  \"s-1\"\n    B  \"s-2\"");
  });

  it("explain --config: the policies and schemas of a config module; derived normalizers are shown with their schema fact", async () => {
    const a = { title: "Review", attendees: ["Bob@x.com", "ada@x.com"], start: "2026-12-01T11:00:00+01:00" };
    const b = { title: "Review", attendees: ["ada@x.com", "bob@x.com"], start: "2026-12-01T10:00:00Z" };
    writeFileSync(tmp.path("a.json"), JSON.stringify(a));
    const r = await runCli(["explain", "schedule_meeting", `@${tmp.path("a.json")}`, JSON.stringify(b), "--config", CONFIG, "--session", "s"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('attendees[0]: trim+lowercase [schema, format: email]  "Bob@x.com" → "bob@x.com"');
    expect(r.stdout).toContain("attendees: asSet [policy]");
  });

  it("explain: e164 named in --policy normalizes phone numbers", async () => {
    const policy = JSON.stringify({ identity: ["to"], normalize: { to: "e164(US)" } });
    const r = await runCli(["explain", "send_sms", '{"to":"(415) 555-0132"}', '{"to":"+1 415 555 0132"}', "--session", "s", "--policy", policy]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("explain: input mistakes are usage errors (exit 2) that say what to fix; a config that does not load is exit 3", async () => {
    const cases: [string[], RegExp][] = [
      [["explain", "t", '{"a":1}', "--session", "s", "--policy", '{"normalize":{"a":"bogus"}}'], /unknown normalizer "bogus"/],
      [["explain", "t", '{"to":"A"}', "--session", "s", "--policy", '{"normalize":{"to":"lowercse"}}'], /unknown normalizer "lowercse" \(did you mean "lowercase"\?\)/],
      [["explain", "t", '{"to":"A"}', "--session", "s", "--policy", '{"normalize":{"to":"trim+isoInstnt"}}'], /unknown normalizer "isoInstnt" \(did you mean "isoInstant"\?\)/],
      [["explain", "t", '{"a":1}', "--session", "s", "--policy", '{"identity":["b"]}'], /identity field "b" is missing/],
      [["explain", "t", "{a:1}", "--session", "s", "--policy", "{}"], /ARGS is not valid JSON/],
      [["explain", "t", '{"a":1}', "--policy", "{}"], /--session/],
      [["explain", "t", '{"a":1}', "--session", "s"], /--config FILE or --policy JSON/],
      [["explain", "t", '{"a":"x"}', "--session", "s", "--policy", '{"normalize":{"a":"minorUnits(XYZ)"}}'], /ISO 4217/],
      [["explain", "other", '{"a":1}', "--session", "s", "--config", CONFIG], /other has no policy/],
    ];
    for (const [argv, message] of cases) {
      const r = await runCli(argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const missing = await runCli(["explain", "t", "{}", "--session", "s", "--config", tmp.path("nope.mjs")]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain("could not load --config");
  });

  it("agent-idempotency --help lists explain, and explain --help shows its usage", async () => {
    expect((await runCli(["--help"])).stdout).toContain("explain   why a call has its key");
    const help = await runCli(["explain", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: agent-idempotency explain ACTION ARGS [OTHER_ARGS]");
  });
});
