/**
 * `agent-idempotency purge`: deletes records through the store's own `purge({ before })`.
 *
 * `--expired` deletes only what no longer replays (physical expiry at or before now), so it is
 * always safe. `--before DATE` also deletes records that would still replay until DATE, which
 * lets a retry run a side effect again; hence it requires `--yes`. The audit log is never
 * touched: it is the evidence.
 */
import type { OptionSpecs } from "../args.js";
import { formatOptions, parseCommand, parseInstant, stringOption } from "../args.js";
import type { CliContext } from "../context.js";
import { ExitCode, cliFailure, usageError } from "../exit-codes.js";
import { formatCount, iso } from "../format.js";
import { openStore, redactUri, storeUriFrom } from "../open-store.js";

const OPTIONS: OptionSpecs = {
  store: { type: "string", value: "URI", description: "the store to purge ($IDEMPOTENCY_STORE)" },
  expired: { type: "boolean", description: "delete the records that have expired (safe)" },
  before: { type: "string", value: "WHEN", description: "delete the records that expire at or before WHEN, live ones included (needs --yes)" },
  yes: { type: "boolean", short: "y", description: "confirm --before" },
  json: { type: "boolean", description: "print the result as JSON" },
  help: { type: "boolean", short: "h", description: "show this help" },
};

/** `agent-idempotency purge --help`. */
export const PURGE_USAGE = `Usage: agent-idempotency purge [--store URI] (--expired | --before WHEN --yes)
         [--json]

Deletes idempotency records from the store. The audit log is not touched.

Options:
${formatOptions(OPTIONS)}

A record deleted before it expires no longer protects its key: a retry of
that call runs the side effect again. That is why --before needs --yes.

Exit codes: 0 done, 2 usage error (also --before without --yes), 3 store failed,
4 store package not installed or the store cannot purge.

Examples:
  agent-idempotency purge --store sqlite:./idempotency.db --expired
  agent-idempotency purge --store "$PG_URL" --before 2026-11-01 --yes
`;

/** Runs `purge`; returns the exit code. */
export async function purgeCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommand("purge", argv, OPTIONS, 0);
  if (values.help) {
    ctx.stdout.write(PURGE_USAGE);
    return ExitCode.Ok;
  }
  const now = ctx.now();
  const storeUri = storeUriFrom(stringOption(values, "store"), ctx.env);
  if (storeUri === undefined) throw usageError("pass --store URI (or set IDEMPOTENCY_STORE)");
  const beforeText = stringOption(values, "before");
  if ((values.expired === true) === (beforeText !== undefined)) throw usageError("pass exactly one of --expired or --before WHEN");
  let before = now;
  if (beforeText !== undefined) {
    const at = parseInstant(beforeText, "--before", now);
    if (at === undefined) throw usageError('--before needs a time; "all" would delete every record (use a far future date and --yes if you mean it)');
    before = at;
    if (values.yes !== true) {
      throw usageError(
        `--before ${iso(before)} also deletes records that still replay, so a retry of those calls would run again; add --yes to confirm (or use --expired)`,
      );
    }
  }

  const store = await openStore(storeUri);
  let purged: number;
  try {
    if (typeof store.purge !== "function") {
      throw cliFailure(ExitCode.Unavailable, `the store ${redactUri(storeUri)} cannot purge (its package implements no purge())`);
    }
    purged = await store.purge({ before });
  } finally {
    await store.close();
  }

  const source = redactUri(storeUri);
  if (values.json) {
    ctx.stdout.write(`${JSON.stringify({ store: source, before: iso(before), beforeMs: before, purged })}\n`);
  } else {
    const what = values.expired ? "expired" : `expiring at or before ${iso(before)}`;
    ctx.stdout.write(`purged ${formatCount(purged)} record${purged === 1 ? "" : "s"} ${what} from ${source}\n`);
  }
  return ExitCode.Ok;
}
