/**
 * Runs the engine-only demo as a person would (plain Node on the built core) and reads its table:
 * without a key the retried and repeated charge goes through three times; with the engine, once.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const demo = fileURLToPath(new URL("../demo.mjs", import.meta.url));

describe("core-demo", () => {
  it("demo: the stock loop charges three times, agent-idempotency once with one replay", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [demo]);
    const row = (label: string) => stdout.split("\n").find((l) => l.trim().startsWith(label))?.trim().split(/\s{2,}/).slice(1);
    expect(row("without a key")).toEqual(["3", "0"]);
    expect(row("agent-idempotency")).toEqual(["1", "1"]);
    expect(stdout).toMatch(/key: [0-9a-f]{32}/);
  });
});
