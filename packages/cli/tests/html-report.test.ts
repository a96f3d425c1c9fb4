/**
 * The `--html` page, opened in Debian's Chromium through playwright-core: the rendered text shows
 * both flags, the SVG chart has a bar per day and kind whose values match the log, the page makes
 * no network request, and a screenshot is saved for a person to look at.
 *
 * Chromium missing: skipped with a banner, except under CI=true where it fails (.ci/run installs
 * it: apt-get install -y chromium).
 */
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { AuditEntry } from "@agent-idempotency/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planted, plantedEntries, START } from "./helpers/planted.js";
import { runCli, tempDir } from "./helpers/run-cli.js";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  const bar = "!".repeat(78);
  const msg = process.env.CI === "true" ? "CI=true and Chromium is missing: FAILING the HTML report test" : "SKIPPING the HTML report test in Chromium";
  console.warn(`\n${bar}\n!! ${msg}: ${CHROMIUM} not found.\n!! Install it: apt-get install -y chromium\n${bar}\n`);
}

const DAY = 86_400_000;
const UNTIL = START + 7 * DAY;
const EXECUTIONS = new Set(["executed", "lease_lost", "unguarded", "duplicate"]);
const tmp = tempDir("html");
const html = tmp.path("report/weekly.html");
let entries: AuditEntry[];

beforeAll(async () => {
  entries = plantedEntries(5000);
  const log = tmp.path("audit.jsonl");
  writeFileSync(log, entries.map((e) => `${JSON.stringify(e)}\n`).join(""));
  const r = await runCli(["audit", "--audit", `jsonl:${log}`, "--since", "2026-11-02", "--until", "2026-11-09", "--html", html]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(`HTML report written to ${html}`);
});
afterAll(() => tmp.remove());

describe("audit --html", () => {
  it("audit --html: one self-contained file, no script, no link, no URL", () => {
    const page = readFileSync(html, "utf8");
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain("<svg");
    expect(page).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|https?:/i);
  });

  it.skipIf(!haveChromium && process.env.CI !== "true")("audit --html: Chromium renders the flags and the per-day chart, and fetches nothing", async () => {
    expect(haveChromium, `${CHROMIUM} is required under CI=true (apt-get install -y chromium)`).toBe(true);
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
    try {
      const page = await browser.newPage({ viewport: { width: 900, height: 800 } });
      const requests: string[] = [];
      page.on("request", (req) => requests.push(req.url()));
      const url = pathToFileURL(html).href;
      await page.goto(url);

      const text = await page.innerText("body");
      expect(text).toContain("2 FLAGS RAISED (exit code 1)");
      expect(text).toContain("one key, several response ids: charge_card");
      expect(text).toContain("one action, several keys: book_calendar");
      for (const s of [planted.severalResponses.idempotency_key, ...planted.severalResponses.response_ids, ...planted.severalKeys.keys]) expect(text).toContain(s);
      expect(text).toContain("Executed vs replayed calls per day");

      // The chart: two bars per UTC day of the range, their values those of the log, drawn to scale.
      const bars = await page.$$eval("svg#day-chart rect.bar", (rects) =>
        rects.map((r) => ({
          day: r.getAttribute("data-day")!,
          kind: r.classList.contains("bar-executed") ? "executed" : "replayed",
          value: Number(r.getAttribute("data-value")),
          height: r.getBoundingClientRect().height,
          // Runs in the page, where the DOM's getComputedStyle exists (tests have no DOM lib).
          fill: (globalThis as unknown as { getComputedStyle(e: unknown): { fill: string } }).getComputedStyle(r).fill,
        })),
      );
      expect(bars).toHaveLength(14);
      for (const b of bars) {
        const inDay = entries.filter((e) => e.ts >= START && e.ts < UNTIL && new Date(e.ts).toISOString().startsWith(b.day));
        const expected = inDay.filter((e) => (b.kind === "executed" ? EXECUTIONS.has(e.outcome) : e.outcome === "replayed")).length;
        expect(b.value, `${b.day} ${b.kind}`).toBe(expected);
        expect(b.height > 0).toBe(b.value > 0);
      }
      const tallest = bars.reduce((a, b) => (b.value > a.value ? b : a));
      for (const b of bars) expect(b.height).toBeCloseTo((tallest.height * b.value) / tallest.value, 0);
      expect(bars.find((b) => b.kind === "executed")!.fill).toBe("rgb(37, 99, 235)");
      expect(bars.find((b) => b.kind === "replayed")!.fill).toBe("rgb(22, 163, 74)");
      const box = await page.locator("svg#day-chart").boundingBox();
      expect(box!.width).toBeGreaterThan(600);

      expect(requests).toEqual([url]);

      const shots = mkdtempSync(join(tmpdir(), "ai-cli-screenshot-"));
      const png = join(shots, "audit-report.png");
      await page.screenshot({ path: png, fullPage: true });
      expect(readFileSync(png).subarray(1, 4).toString()).toBe("PNG");
      expect(statSync(png).size).toBeGreaterThan(10_000);
      console.info(`HTML report screenshot: ${png}`);
    } finally {
      await browser.close();
    }
  });
});
