/**
 * The command dispatcher behind the `agent-idempotency` binary: picks the command, runs it, and
 * turns whatever it throws into one line on stderr and an exit code (see {@link ExitCode}).
 */
import { createRequire } from "node:module";
import { auditCommand, AUDIT_USAGE } from "./commands/audit.js";
import { explainCommand, EXPLAIN_USAGE } from "./commands/explain.js";
import { inspectCommand, INSPECT_USAGE } from "./commands/inspect.js";
import { purgeCommand, PURGE_USAGE } from "./commands/purge.js";
import type { CliContext } from "./context.js";
import { describeError, ExitCode, exitCodeFor } from "./exit-codes.js";

const COMMANDS: Record<string, { run: (argv: readonly string[], ctx: CliContext) => Promise<number>; usage: string }> = {
  audit: { run: auditCommand, usage: AUDIT_USAGE },
  explain: { run: explainCommand, usage: EXPLAIN_USAGE },
  inspect: { run: inspectCommand, usage: INSPECT_USAGE },
  purge: { run: purgeCommand, usage: PURGE_USAGE },
};

/** `agent-idempotency --help`. */
export const MAIN_USAGE = `Usage: agent-idempotency <command> [options]

Commands:
  audit     calls per action and the two flags of broken idempotency (exit 1)
  explain   why a call has its key; why two calls got two keys (exit 1)
  inspect   the record under one key and its audit history
  purge     delete expired records (with --yes: those expiring before a date)
  help      help for a command: agent-idempotency help audit

Store URIs: memory:, sqlite:PATH, postgres://…, redis://…, mysql://…;
audit logs also jsonl:PATH.
--store and --audit default to $IDEMPOTENCY_STORE and $IDEMPOTENCY_AUDIT.

Exit codes: 0 ok, 1 audit raised a flag (explain: two calls, two keys),
2 usage error, 3 store, log or file failed (or the log holds records that
are not audit entries), 4 store package missing or operation unsupported,
5 inspect found nothing, 70 internal error.
`;

function version(): string {
  return (createRequire(import.meta.url)("../package.json") as { version: string }).version;
}

/**
 * Runs one command line (without `node` and the script path) and returns the exit code. Never
 * throws: failures are written to `ctx.stderr`.
 */
export async function main(argv: readonly string[], ctx: CliContext): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === "--help" || name === "-h") {
      ctx.stdout.write(MAIN_USAGE);
      return name === undefined ? ExitCode.Usage : ExitCode.Ok;
    }
    if (name === "--version" || name === "-v") {
      ctx.stdout.write(`${version()}\n`);
      return ExitCode.Ok;
    }
    if (name === "help") {
      const topic = rest[0] === undefined ? undefined : COMMANDS[rest[0]];
      ctx.stdout.write(topic?.usage ?? MAIN_USAGE);
      return rest[0] === undefined || topic ? ExitCode.Ok : ExitCode.Usage;
    }
    const command = COMMANDS[name];
    if (!command) {
      ctx.stderr.write(`agent-idempotency: unknown command "${name}"; the commands are audit, explain, inspect and purge (see --help)\n`);
      return ExitCode.Usage;
    }
    return await command.run(rest, ctx);
  } catch (error) {
    ctx.stderr.write(`agent-idempotency${name && COMMANDS[name] ? ` ${name}` : ""}: ${describeError(error)}\n`);
    return exitCodeFor(error);
  }
}
