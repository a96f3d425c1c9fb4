/**
 * `agent-idempotency inspect KEY`: the record under one key and every audit entry for it — what
 * an on-call engineer needs to answer "did this charge run, and how often?". The recorded value
 * is never printed (it is a tool result and may hold personal data), only its size.
 */
import type { AuditEntry, IdempotencyRecord } from "@agent-idempotency/core";
import type { OptionSpecs } from "../args.js";
import { formatOptions, parseCommand, parseInstant, stringOption } from "../args.js";
import type { CliContext } from "../context.js";
import { ExitCode, usageError } from "../exit-codes.js";
import { field, formatCount, formatDuration, iso, truncate } from "../format.js";
import { auditUriFrom, checkStoreUri, openAuditLog, openStore, redactUri, storeUriFrom } from "../open-store.js";
import { createProgress } from "../progress.js";

/** Audit entries kept per key; older ones are counted, not shown. */
const MAX_HISTORY = 1000;

const OPTIONS: OptionSpecs = {
  store: { type: "string", value: "URI", description: "the store holding the record ($IDEMPOTENCY_STORE)" },
  audit: { type: "string", value: "URI", description: "the audit log, if not the store's ($IDEMPOTENCY_AUDIT)" },
  since: { type: "string", value: "WHEN", description: "read the audit history from then on (default: all of it)" },
  json: { type: "boolean", description: "print record and history as JSON" },
  progress: { type: "boolean", description: "show progress on stderr even when it is not a terminal" },
  help: { type: "boolean", short: "h", description: "show this help" },
};

/** `agent-idempotency inspect --help`. */
export const INSPECT_USAGE = `Usage: agent-idempotency inspect KEY [--store URI] [--audit URI]
         [--since WHEN] [--json] [--progress]

Shows the record under KEY (status, scope, attempt, lease and expiry times,
size of the recorded value, response id) and the audit entries for KEY,
oldest first. The recorded value itself is never printed.

Options:
${formatOptions(OPTIONS)}

Exit codes: 0 found, 5 neither a record nor an audit entry, 2 usage error,
3 store or log failed, 4 store package not installed.

Example:
  agent-idempotency inspect 3f9a0c1e5b7d42e8a6c0f1d2e3b4a596 \\
    --store sqlite:./idempotency.db
`;

/** The record as `inspect` shows it: times as ISO, the value replaced by its size. */
export function describeRecord(record: IdempotencyRecord): Record<string, string | number | undefined> {
  const out: Record<string, string | number | undefined> = {
    key: record.key,
    status: record.status,
    action: record.action,
    scope: record.scope,
    attempt: record.attempt,
    fingerprint: record.fingerprint,
    claimed_at: iso(record.claimedAt),
  };
  if (record.status === "in_progress") {
    out.lease_until = iso(record.leaseUntil);
  } else {
    out.completed_at = iso(record.completedAt);
    out.expires_at = iso(record.expiresAt);
  }
  if (record.status === "completed") {
    out.value_bytes = Buffer.byteLength(JSON.stringify(record.value) ?? "", "utf8");
    out.response_id = record.responseId;
  }
  if (record.status === "failed") {
    out.error = `${record.error.name}${record.error.code === undefined ? "" : ` [${record.error.code}]`}: ${record.error.message}`;
  }
  return out;
}

function recordText(record: IdempotencyRecord, now: number): string {
  const d = describeRecord(record);
  const when = (at: number) => (at <= now ? `${formatDuration(now - at)} ago` : `in ${formatDuration(at - now)}`);
  const rows: [string, string][] = [
    ["status", String(d.status)],
    ["action", String(d.action)],
    ["scope", String(d.scope)],
    ["attempt", String(d.attempt)],
    ["fingerprint", String(d.fingerprint)],
    ["claimed at", `${d.claimed_at} (${when(record.claimedAt)})`],
  ];
  if (record.status === "in_progress") rows.push(["lease until", `${d.lease_until} (${record.leaseUntil <= now ? "expired " : ""}${when(record.leaseUntil)})`]);
  else {
    rows.push(["completed at", String(d.completed_at)]);
    rows.push(["expires at", `${d.expires_at} (${record.expiresAt <= now ? "expired " : ""}${when(record.expiresAt)})`]);
  }
  if (d.value_bytes !== undefined) rows.push(["value size", `${formatCount(Number(d.value_bytes))} bytes`]);
  if (record.status === "completed") rows.push(["response id", record.responseId ?? "(none)"]);
  if (d.error !== undefined) rows.push(["error", String(d.error)]);
  return rows.map(([label, value]) => field(label, value, 2, 12, 80)).join("\n");
}

function historyText(entries: AuditEntry[]): string {
  const lines = entries.map((e) => {
    const rest = [`#${e.attempt}`, `${e.duration_ms}ms`, `session=${e.session_id}`, e.response_id ? `response=${e.response_id}` : ""].filter(Boolean).join(" ");
    return truncate(`  ${iso(e.ts).padEnd(24)} ${e.outcome.padEnd(11)} ${rest}`, 80);
  });
  return lines.join("\n");
}

/** Runs `inspect`; returns the exit code. */
export async function inspectCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommand("inspect", argv, OPTIONS, 1);
  if (values.help) {
    ctx.stdout.write(INSPECT_USAGE);
    return ExitCode.Ok;
  }
  const key = positionals[0]?.trim();
  if (!key) throw usageError("which key? Usage: agent-idempotency inspect KEY --store URI");
  const now = ctx.now();
  const storeUri = storeUriFrom(stringOption(values, "store"), ctx.env);
  if (storeUri === undefined) throw usageError("pass --store URI (or set IDEMPOTENCY_STORE)");
  const storeScheme = checkStoreUri(storeUri);
  const auditOption = stringOption(values, "audit") ?? (ctx.env.IDEMPOTENCY_AUDIT || undefined);
  // Redis keeps no audit log: without --audit the record alone is shown, with a note.
  const auditUri = auditOption === undefined && storeScheme.startsWith("redis") ? undefined : auditUriFrom(auditOption, storeUri, ctx.env);
  const sinceText = stringOption(values, "since");
  const since = sinceText === undefined ? undefined : parseInstant(sinceText, "--since", now);

  const store = await openStore(storeUri);
  let record: IdempotencyRecord | undefined;
  try {
    record = await store.get(key);
  } finally {
    await store.close();
  }

  const history: AuditEntry[] = [];
  let matched = 0;
  if (auditUri !== undefined) {
    const sink = await openAuditLog(auditUri);
    try {
      const progress = createProgress(ctx.stderr, `scanning ${redactUri(auditUri)}`, values.progress === true);
      for await (const e of progress.track(sink.query(since === undefined ? {} : { since }))) {
        if (e.idempotency_key !== key) continue;
        matched++;
        history.push(e);
        if (history.length > MAX_HISTORY) history.shift(); // a hot key replays a lot: keep the latest

      }
      progress.done();
    } finally {
      await sink.close?.();
    }
  }

  const found = record !== undefined || history.length > 0;
  if (values.json) {
    const out = { key, store: redactUri(storeUri), audit: auditUri === undefined ? null : redactUri(auditUri), record: record ? describeRecord(record) : null, history, history_total: matched };
    ctx.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    const out: string[] = [`key ${key}`, ""];
    out.push(record ? `record in ${redactUri(storeUri)}` : `no record in ${redactUri(storeUri)} (never claimed, released, expired or purged)`);
    if (record) out.push(recordText(record, now));
    out.push("");
    if (auditUri === undefined) out.push("no audit history: a Redis store keeps no audit log; pass --audit URI to read one");
    else if (history.length === 0) out.push(`no audit entries for this key in ${redactUri(auditUri)}`);
    else {
      const shown = matched > history.length ? `, the latest ${history.length} shown` : "";
      out.push(`audit history in ${redactUri(auditUri)} (${formatCount(matched)} entr${matched === 1 ? "y" : "ies"}${shown})`, historyText(history));
    }
    ctx.stdout.write(`${out.join("\n")}\n`);
  }
  return found ? ExitCode.Ok : ExitCode.NotFound;
}
