/**
 * Exit codes of the `agent-idempotency` binary, and the mapping from what went wrong to them.
 *
 * `1` is reserved for "the audit raised a flag", so a weekly cron job or CI step can alert on it
 * without mistaking a broken database connection (3) or a typo in its own command line (2) for
 * duplicated side effects, or the other way round.
 */
import { isIdempotencyError } from "@agent-idempotency/core";

/** Every exit code the CLI uses. The README has the same table. */
export const ExitCode = {
  /** Success; for `audit`: no flag raised. */
  Ok: 0,
  /** `audit` raised at least one flag (one key with several response ids, or one action with several keys), or, with `--strict`, listed a repeat for review. */
  Flagged: 1,
  /** The command line is wrong: unknown option, bad duration or date, missing URI, `--before` without `--yes`. */
  Usage: 2,
  /**
   * The store, the audit log or an output file failed (unreachable server, unreadable file, bad SQL,
   * missing file), or the log holds records that are not audit entries (unless `--skip-bad-lines`;
   * always when none is readable).
   */
  StoreFailed: 3,
  /** The URI needs a store package that is not installed, or the store cannot do this (no `purge`). */
  Unavailable: 4,
  /** `inspect`: the key has neither a record nor an audit entry. */
  NotFound: 5,
  /** A bug in the CLI; the message asks for a report. */
  Internal: 70,
} as const;
/** One of the values of {@link ExitCode}. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error that carries the exit code it should end the process with. */
export interface CliFailure extends Error {
  readonly exitCode: ExitCode;
}

/**
 * Builds an error that ends the command with `exitCode`. A plain `Error` with one extra field,
 * not a class of its own: every error class of the project lives in core, and this one never
 * leaves the CLI.
 */
export function cliFailure(exitCode: ExitCode, message: string, options?: ErrorOptions): CliFailure {
  return Object.assign(new Error(message, options), { exitCode });
}

/** Shorthand for {@link cliFailure} with {@link ExitCode.Usage}. */
export function usageError(message: string): CliFailure {
  return cliFailure(ExitCode.Usage, message);
}

function isCliFailure(error: unknown): error is CliFailure {
  return error instanceof Error && typeof (error as Partial<CliFailure>).exitCode === "number";
}

/** True for Node's system errors (`ENOENT`, `EACCES`, `ECONNREFUSED`, …). */
function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === "string" && "syscall" in error;
}

/** The exit code for anything a command threw. */
export function exitCodeFor(error: unknown): ExitCode {
  if (isCliFailure(error)) return error.exitCode;
  if (isIdempotencyError(error, "STORE_UNAVAILABLE")) return ExitCode.Unavailable;
  if (isIdempotencyError(error)) return ExitCode.StoreFailed;
  if (isSystemError(error)) return ExitCode.StoreFailed;
  return ExitCode.Internal;
}

/** One line (plus causes) for stderr; never a stack trace unless it is a bug. */
export function describeError(error: unknown): string {
  const code = exitCodeFor(error);
  if (code === ExitCode.Internal) {
    const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return `internal error (please report it with this trace):\n${stack}`;
  }
  // main() already prefixes "agent-idempotency <command>:"; core's own prefix would repeat it.
  const parts: string[] = [(error as Error).message.replace(/^\[agent-idempotency\] /, "")];
  let cause = (error as Error).cause;
  for (let depth = 0; cause !== undefined && depth < 3; depth++) {
    parts.push(`  caused by: ${cause instanceof Error ? cause.message : String(cause)}`);
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return parts.join("\n");
}
