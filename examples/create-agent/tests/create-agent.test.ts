import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs example without type declarations
import { runDemo } from "../main.mjs";

const main = fileURLToPath(new URL("../main.mjs", import.meta.url));
const built = ["langchain", "langgraph", "core"].every((p) => existsSync(fileURLToPath(new URL(`../../../packages/${p}/dist/index.js`, import.meta.url))));

describe("examples/create-agent", () => {
  it("runDemo(): the stock agent books twice and the handler reports it; the middleware books once and replays", async () => {
    const lines: string[] = [];
    const out = await runDemo((line: string) => lines.push(line));

    expect(out.stock).toEqual({ bookings: 2, duplicates: 1, outcomes: ["unguarded", "duplicate"], flags: ["one_key_several_response_ids"] });
    expect(out.guarded.bookings).toBe(1);
    expect(out.guarded.keyForwarded).toMatch(/^[0-9a-f]{32}$/);
    expect(out.guarded.answers).toEqual([
      { id: "call_1", replayed: false },
      { id: "call_2", replayed: true },
    ]);
    expect(out.guarded.outcomes).toEqual(["executed", "replayed"]);
    expect(out.guarded.flags).toEqual([]);
    expect(lines.length).toBeGreaterThan(4);
  });

  it.skipIf(!built)("node main.mjs: runs offline on the built packages, prints both runs and exits 0", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [main], { env: { ...process.env, OPENAI_API_KEY: "" } });
    expect(stdout).toContain("stock agent:   2 bookings");
    expect(stdout).toContain("guarded agent: 1 booking");
    expect(stdout).toMatch(/call_2: replayed/);
  });
});
