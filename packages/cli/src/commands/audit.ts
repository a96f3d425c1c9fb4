/**
 * `agent-idempotency audit`: streams the audit log through core's `auditReport` and prints the
 * counts per action, the two flags, the repeats to review and the blind spots. Exit 1 when a flag
 * is raised (or, with `--strict`, a repeat is listed for review), so the weekly cron job or CI step
 * fails exactly when idempotency is broken; exit 3 when the log holds records that are not entries
 * (unless `--skip-bad-lines`), so a log nobody can read is never a green report.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { auditReport, MalformedTally } from "@agent-idempotency/core";
import type { OptionSpecs } from "../args.js";
import { formatOptions, parseCommand, parseDuration, parseInstant, stringOption } from "../args.js";
import type { CliContext } from "../context.js";
import { ExitCode, cliFailure, usageError } from "../exit-codes.js";
import { auditUriFrom, openAuditLog, redactUri, storeUriFrom } from "../open-store.js";
import { createProgress } from "../progress.js";
import { renderReportHtml } from "../render/report-html.js";
import { renderReportText } from "../render/report-text.js";
import { auditVerdict } from "../render/verdict.js";

const OPTIONS: OptionSpecs = {
  store: { type: "string", value: "URI", description: "the store (memory:, sqlite:PATH, postgres://…, redis://…, mysql://…); its audit table is read ($IDEMPOTENCY_STORE)" },
  audit: { type: "string", value: "URI", description: "the audit log, if not the store's (jsonl:PATH, sqlite:PATH, postgres://…, mysql://…); required for Redis ($IDEMPOTENCY_AUDIT)" },
  since: { type: "string", value: "WHEN", description: "start of the range (default 7d): 7d, 12h, 2026-11-01, 2026-11-01T09:00:00Z, all" },
  until: { type: "string", value: "WHEN", description: "end of the range, exclusive (default: no end)" },
  window: { type: "string", value: "DURATION", description: "two executions of one call this close together under different keys are compared (default 60s)" },
  strict: { type: "boolean", description: "also exit 1 when a call was repeated in a new turn (listed for review)" },
  "skip-bad-lines": { type: "boolean", description: "report records that are not audit entries but do not exit 3 for them" },
  json: { type: "boolean", description: "print the report as JSON on stdout" },
  html: { type: "string", value: "FILE", description: "also write a self-contained HTML page (chart and flags) to FILE" },
  progress: { type: "boolean", description: "show progress on stderr even when it is not a terminal" },
  help: { type: "boolean", short: "h", description: "show this help" },
};

/** `agent-idempotency audit --help`. */
export const AUDIT_USAGE = `Usage: agent-idempotency audit [--store URI] [--audit URI] [--since 7d]
         [--until WHEN] [--window 60s] [--strict] [--skip-bad-lines]
         [--json] [--html FILE] [--progress]

Counts the calls of each action in the audit log, every outcome, and raises
two flags:
  one key, several response ids   the side effect ran twice under one key
  one action, several keys        one call executed under several keys in
                                  one turn within --window
The same call repeated in a new turn is listed for review (not a flag), and
the blind spots are named: guarded actions without response ids, unguarded
actions that repeated. ts may be epoch ms or ISO-8601.

Options:
${formatOptions(OPTIONS)}

Exit codes: 0 no flag, 1 a flag was raised (or a repeat, with --strict),
2 usage error, 3 store or log failed, or records that are not audit entries
(without --skip-bad-lines), 4 store package not installed.

Examples:
  agent-idempotency audit --store sqlite:./idempotency.db
  agent-idempotency audit --store redis://localhost:6379 \\
    --audit jsonl:/var/log/agent/audit.jsonl --since 30d
  agent-idempotency audit --store "$PG_URL" --json --html weekly.html
`;

/** Runs `audit`; returns the exit code. */
export async function auditCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommand("audit", argv, OPTIONS, 0);
  if (values.help) {
    ctx.stdout.write(AUDIT_USAGE);
    return ExitCode.Ok;
  }
  const now = ctx.now();
  const storeUri = storeUriFrom(stringOption(values, "store"), ctx.env);
  const auditUri = auditUriFrom(stringOption(values, "audit"), storeUri, ctx.env);
  const since = parseInstant(stringOption(values, "since") ?? "7d", "--since", now);
  const untilText = stringOption(values, "until");
  const until = untilText === undefined ? undefined : parseInstant(untilText, "--until", now);
  if (since !== undefined && until !== undefined && since >= until) throw usageError(`--since must be before --until`);
  const windowMs = parseDuration(stringOption(values, "window") ?? "60s", "--window");
  const htmlPath = stringOption(values, "html");

  const source = redactUri(auditUri);
  const sink = await openAuditLog(auditUri);
  let report;
  try {
    const range = { ...(since === undefined ? {} : { since }), ...(until === undefined ? {} : { until }) };
    const progress = createProgress(ctx.stderr, `scanning ${source}`, values.progress === true);
    // One tally for what the sink cannot parse (a line that is not JSON) and what the report
    // cannot read (a record without a valid ts): the report shows both, with their line numbers.
    const malformed = new MalformedTally();
    // The sink streams and auditReport consumes incrementally: memory does not grow with the
    // number of entries read, only with the distinct keys that carry a response id.
    report = await auditReport(progress.track(sink.query({ ...range, onMalformed: (p) => malformed.add(p) })), { ...range, windowMs, malformed });
    progress.done();
    // Core lists key flags after the stream ends; a reader wants them in the order they happened.
    report.flags.sort((a, b) => a.first_ts - b.first_ts);
    report.review.sort((a, b) => a.first_ts - b.first_ts);
  } finally {
    await sink.close?.();
  }

  const verdict = auditVerdict(report, { strict: values.strict === true, skipBadLines: values["skip-bad-lines"] === true });
  const meta = { source, generatedAt: now, verdict };
  if (htmlPath !== undefined) {
    const file = resolve(htmlPath);
    try {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, renderReportHtml(report, meta), "utf8");
    } catch (cause) {
      throw cliFailure(ExitCode.StoreFailed, `could not write the HTML report to ${file}`, { cause });
    }
    if (!values.json) ctx.stderr.write(`HTML report written to ${file}\n`);
  }
  if (values.json) {
    ctx.stdout.write(`${JSON.stringify({ source, ...report, verdict: verdict.headline, exitCode: verdict.exitCode }, null, 2)}\n`);
  } else {
    ctx.stdout.write(renderReportText(report, meta));
  }
  if (report.malformed.count > 0) {
    const first = report.malformed.first.map((p) => (p.line !== undefined ? `line ${p.line}` : `record ${p.index}`)).join(", ");
    ctx.stderr.write(`warning: ${report.malformed.count} record(s) of ${source} are not audit entries (${first}${report.malformed.count > report.malformed.first.length ? ", …" : ""})\n`);
  } else if (report.entries === 0) ctx.stderr.write(`warning: no audit entries in this range of ${source}\n`);
  return verdict.exitCode;
}
