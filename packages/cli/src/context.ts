/**
 * What a command may touch of the outside world, passed in so the commands can run in-process
 * (the binary passes the real process; tests may pass strings and a fixed clock).
 */

/** A text sink: `process.stdout`, `process.stderr`, or a test buffer. */
export interface TextOut {
  /** Writes `text` as is: the CLI adds its own newlines. */
  write(text: string): unknown;
  /** True when a person is watching (progress is drawn only then, unless `--progress`). */
  isTTY?: boolean;
}

/** The world of one command run. */
export interface CliContext {
  /** Where results go (the report, `--json`), so they can be piped. */
  stdout: TextOut;
  /** Where errors, warnings and progress go, kept out of the piped results. */
  stderr: TextOut;
  /** Environment variables (`IDEMPOTENCY_STORE`, `IDEMPOTENCY_AUDIT`, `NO_COLOR`). */
  env: Record<string, string | undefined>;
  /** The clock that relative times (`--since 7d`) count back from, epoch ms. */
  now(): number;
}

/** The real process as a {@link CliContext}. */
export function processContext(): CliContext {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, now: () => Date.now() };
}
