/**
 * Runs the example as its README does (`node main.mjs`: real worker processes on the built dist/,
 * one SIGKILLed after charging) against the real PostgreSQL, and counts what the payments and mail
 * "APIs" (files every process appends to) really did.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, inject, it } from "vitest";

const main = fileURLToPath(new URL("../main.mjs", import.meta.url));
const built = ["core", "langgraph", "store-postgres"].every((p) => existsSync(fileURLToPath(new URL(`../../../packages/${p}/dist/index.js`, import.meta.url))));
const pgUrl = inject("pgUrl");
if (!built) console.warn("[examples] tasks tests skipped: build first (pnpm run build)");
if (!pgUrl) console.warn("[examples] tasks tests skipped: no PostgreSQL (set IDEMPOTENCY_PG_URL)");

type Kind = {
  chargedBeforeCrash: number;
  charges: number;
  chargeKeys: string[];
  emails: number;
  resumed: { charge_id: string; receipts: string[] };
  retried: { charge_id: string; receipts: string[] };
  replays: number;
  outcomes: { resume: string[]; retry: string[] };
};

describe.skipIf(!built || !pgUrl)("examples/tasks", () => {
  it("node main.mjs --json: killed after the charge, resumed, retried: idempotentTask charges once, stock tasks three times", { timeout: 120_000 }, async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [main, "--json"], { env: { ...process.env, IDEMPOTENCY_PG_URL: pgUrl } });
    const { stock, idempotent } = JSON.parse(stdout) as { stock: Kind; idempotent: Kind };

    expect([stock.chargedBeforeCrash, stock.charges, stock.emails, stock.resumed.charge_id, stock.retried.charge_id]).toEqual([1, 3, 4, "ch_2", "ch_3"]);

    expect(idempotent.chargedBeforeCrash).toBe(1);
    expect(idempotent.charges).toBe(1);
    expect(idempotent.chargeKeys).toHaveLength(1);
    expect(idempotent.chargeKeys[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(idempotent.emails).toBe(2);
    expect(idempotent.resumed.charge_id).toBe("ch_1");
    expect(idempotent.retried).toEqual(idempotent.resumed);
    // The resume replays the charge from the store (LangGraph had no result for it) and sends the receipts.
    expect(idempotent.outcomes.resume.sort()).toEqual(["charge_card:replayed", "send_receipt:executed", "send_receipt:executed"]);
    expect(idempotent.outcomes.retry.sort()).toEqual(["charge_card:replayed", "send_receipt:replayed", "send_receipt:replayed"]);
  });
});
