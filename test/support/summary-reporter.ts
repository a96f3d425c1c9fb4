/**
 * Prints `vitest: N passed, N failed, N skipped` alone on the last line, the line CI reads, and
 * writes it to `.vitest-summary` for `.ci/run`. A test file that fails to import counts as a
 * failure (vitest would otherwise report no tests for it), and so does each unhandled error.
 */
import { writeFileSync } from "node:fs";
import type { Reporter, TestModule } from "vitest/node";

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const m of modules) {
      let tests = 0;
      for (const t of m.children.allTests()) {
        tests++;
        const state = t.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
      if (tests === 0 && (m.state() === "failed" || m.errors().length > 0)) failed++;
    }
    const line = `vitest: ${passed} passed, ${failed} failed, ${skipped} skipped`;
    try {
      writeFileSync(new URL("../../.vitest-summary", import.meta.url), `${line}\n`);
    } catch {
      // read-only checkout: the printed line is enough
    }
    process.stdout.write(`\n${line}\n`);
  }
}
