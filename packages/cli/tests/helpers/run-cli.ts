/**
 * Runs the built binary as a real process (`node packages/cli/dist/bin.js …`), the way cron and
 * CI run it: exit code, stdout and stderr are what the tests check.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const BIN = fileURLToPath(new URL("../../dist/bin.js", import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Spawns the CLI with `args`; `env` is added to a copy of the test's environment minus our variables. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build first (npx tsc -b packages/cli)`);
  const base = { ...process.env };
  delete base.IDEMPOTENCY_STORE;
  delete base.IDEMPOTENCY_AUDIT;
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...base, ...env }, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A fresh temporary directory and its clean-up. */
export function tempDir(prefix: string): { dir: string; path: (name: string) => string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `ai-cli-${prefix}-`));
  return { dir, path: (name) => join(dir, name), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
