import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs example without type declarations
import { runDemo } from "../main.mjs";

const main = fileURLToPath(new URL("../main.mjs", import.meta.url));
// The MCP server is its own process on the built packages, in both tests.
const built = ["core", "langgraph", "mcp", "store-sqlite"].every((p) => existsSync(fileURLToPath(new URL(`../../../packages/${p}/dist/index.js`, import.meta.url))));
if (!built) console.warn("\n!! SKIPPING examples/mcp: build first (pnpm run build), its MCP server runs dist/\n");

describe.skipIf(!built)("examples/mcp", () => {
  it("runDemo(): the stock setup books three times; the guarded one books once, with one key in _meta on every booking request", async () => {
    const lines: string[] = [];
    const { stock, guarded } = await runDemo((line: string) => lines.push(line));

    expect(stock.bookCalls).toBe(3);
    expect(stock.bookings).toHaveLength(3);
    expect(stock.keysSent).toEqual([null]);

    expect(guarded.bookCalls).toBe(3);
    expect(guarded.bookings).toHaveLength(1);
    expect(guarded.bookingRequests).toBe(3);
    expect(guarded.keysSent).toHaveLength(1);
    expect(guarded.keysSent[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(guarded.bookings[0].key).toBe(guarded.keysSent[0]);
    expect(guarded.serverOutcomes).toEqual(["executed", "replayed", "replayed"]);
    expect(guarded.serverProcesses).toBe(2);
    expect(guarded.listSlotsKeys).toEqual([null]);
    expect(guarded.answers.map((a: { id: string; status: string }) => `${a.id}:${a.status}`)).toEqual(["call_1:success", "call_2:error", "call_3:success", "call_4:success"]);
    expect(guarded.answers.slice(2).map((a: { text: string }) => a.text)).toEqual(["Booked 2026-12-01T10:00:00Z (bk_1).", "Booked 2026-12-01T10:00:00Z (bk_1)."]);
    expect(lines.length).toBeGreaterThan(6);
  });

  it("node main.mjs: runs offline on the built packages and prints the table", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [main], { env: { ...process.env, OPENAI_API_KEY: "" } });
    expect(stdout).toMatch(/bookings made\s+3\s+1/);
    expect(stdout).toMatch(/call_4 book_calendar: Booked 2026-12-01T10:00:00Z \(bk_1\)\./);
    expect(stdout).toContain("(executed, replayed, replayed)");
  });
});
