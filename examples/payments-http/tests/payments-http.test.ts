/**
 * The example as its README runs it (`node main.mjs`, a real process on the built dist/), and its
 * tool in-process: one payment whatever the retries, and the key reaches the API only under
 * IdempotentToolNode.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs example without type declarations
import { makePayInvoice } from "../src/agent.mjs";
// @ts-expect-error: a plain .mjs example without type declarations
import { startPaymentsApi } from "../src/payments-api.mjs";

const run = promisify(execFile);
const main = fileURLToPath(new URL("../main.mjs", import.meta.url));
const built = ["core", "langgraph"].every((p) => existsSync(fileURLToPath(new URL(`../../../packages/${p}/dist/index.js`, import.meta.url))));
if (!built) console.warn("[examples] payments-http process tests skipped: build first (pnpm run build)");

type Call = { id: string; status: string; replayed: boolean; key: string; content: string };
type Out = { calls: Call[]; payments: number; requests: { status: number; replayed?: boolean; clientGone?: boolean }[]; keys: string[] };

describe("examples/payments-http", () => {
  const apis: { close(): Promise<void> }[] = [];
  afterAll(() => Promise.all(apis.map((a) => a.close())));

  it("pay_invoice outside IdempotentToolNode: sends no Idempotency-Key, so the API refuses (400) and nothing is paid", async () => {
    const api = await startPaymentsApi();
    apis.push(api);
    const pay = makePayInvoice({ apiUrl: api.url });
    await expect(pay.invoke({ invoice_id: "inv_1", amount_cents: 100 })).rejects.toThrow(/answered 400/);
    expect(api.payments).toHaveLength(0);
  });

  it.skipIf(!built)("node main.mjs --json: one payment for five calls; timeout, 409, two API replays, one node replay, 422", async () => {
    const { stdout } = await run(process.execPath, [main, "--json"]);
    const out: Out = JSON.parse(stdout);
    expect(out.payments).toBe(1);
    expect(out.keys).toHaveLength(1);
    expect(out.keys[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(out.calls.map((c) => [c.id, c.status, c.replayed])).toEqual([
      ["call_1", "error", false],
      ["call_2", "success", false],
      ["call_3", "success", true],
      ["call_4", "success", false],
      ["call_5", "error", false],
    ]);
    expect(out.calls[0]!.content).toMatch(/did not answer within/);
    expect(out.calls[1]!.content).toBe("paid inv_1001: 12000 cents (pay_1, replayed by the payments API)");
    expect(out.calls[4]!.content).toMatch(/answered 422/);
    // The node's replay (call_3) never reached the API: five calls, five requests, one of them the 409.
    expect(out.requests).toEqual([
      { status: 201, clientGone: true },
      { status: 409 },
      { status: 201, replayed: true },
      { status: 201, replayed: true },
      { status: 422 },
    ]);
  });

  it.skipIf(!built)("node main.mjs: prints the calls and the counts, exits 0", async () => {
    const { stdout } = await run(process.execPath, [main]);
    expect(stdout).toMatch(/^ {2}call_3 {2}replayed by IdempotentToolNode/m);
    expect(stdout).toContain("API requests: 201 (client gone), 409, 201 replayed, 201 replayed, 422");
    expect(stdout).toMatch(/^payments made: 1, keys used: 1 \([0-9a-f]{8}…\)$/m);
  });
});
