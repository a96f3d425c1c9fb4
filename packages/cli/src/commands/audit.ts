/**
 * `agent-idempotency audit`: streams the audit log through core's `auditReport` and prints the
 * counts per action and the two flags. Exit 1 when a flag is raised, so the weekly cron job or CI
 * step fails exactly when idempotency is broken.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { auditReport } from "@agent-idempotency/core";
import type { OptionSpecs } from "../args.js";
import { formatOptions, parseCommand, parseDuration, parseInstant, stringOption } from "../args.js";
import type { CliContext } from "../context.js";
import { ExitCode, cliFailure, usageError } from "../exit-codes.js";
import { auditUriFrom, openAuditLog, redactUri, storeUriFrom } from "../open-store.js";
import { createProgress } from "../progress.js";
import { renderReportHtml } from "../render/report-html.js";
import { renderReportText } from "../render/report-text.js";

const OPTIONS: OptionSpecs = {
  store: { type: "string", value: "URI", description: "the store (memory:, sqlite:PATH, postgres://…, redis://…, mysql://…); its audit table is read ($IDEMPOTENCY_STORE)" },
  audit: { type: "string", value: "URI", description: "the audit log, if not the store's (jsonl:PATH, sqlite:PATH, postgres://…, mysql://…); required for Redis ($IDEMPOTENCY_AUDIT)" },
  since: { type: "string", value: "WHEN", description: "start of the range (default 7d): 7d, 12h, 2026-11-01, 2026-11-01T09:00:00Z, all" },
  until: { type: "string", value: "WHEN", description: "end of the range, exclusive (default: no end)" },
  window: { type: "string", value: "DURATION", description: "two executions of one call this close together under different keys are flagged (default 60s)" },
  json: { type: "boolean", description: "print the report as JSON on stdout" },
  html: { type: "string", value: "FILE", description: "also write a self-contained HTML page (chart and flags) to FILE" },
  progress: { type: "boolean", description: "show progress on stderr even when it is not a terminal" },
  help: { type: "boolean", short: "h", description: "show this help" },
};

/** `agent-idempotency audit --help`. */
export const AUDIT_USAGE = `Usage: agent-idempotency audit [--store URI] [--audit URI] [--since 7d]
         [--until WHEN] [--window 60s] [--json] [--html FILE] [--progress]

Counts the calls of each action in the audit log (executed, replayed,
recovered, failed, mismatch, lease_lost, unguarded) and raises two flags:
  one key, several response ids   the side effect ran twice under one key
  one action, several keys        one call executed under several keys
                                  within --window

Options:
${formatOptions(OPTIONS)}

Exit codes: 0 no flag, 1 a flag was raised, 2 usage error, 3 store or log
failed, 4 store package not installed.

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
    // The sink streams and auditReport consumes incrementally: memory does not grow with the
    // number of entries read, only with the distinct keys that carry a response id.
    report = await auditReport(progress.track(sink.query(range)), { ...range, windowMs });
    progress.done();
    // Core lists key flags after the stream ends; a reader wants them in the order they happened.
    report.flags.sort((a, b) => a.first_ts - b.first_ts);
  } finally {
    await sink.close?.();
  }

  const meta = { source, generatedAt: now };
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
    ctx.stdout.write(`${JSON.stringify({ source, ...report, exitCode: report.flags.length > 0 ? ExitCode.Flagged : ExitCode.Ok }, null, 2)}\n`);
  } else {
    ctx.stdout.write(renderReportText(report, meta));
  }
  if (report.entries === 0) ctx.stderr.write(`warning: no audit entries in this range of ${source}\n`);
  return report.flags.length > 0 ? ExitCode.Flagged : ExitCode.Ok;
}
