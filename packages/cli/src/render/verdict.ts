/**
 * What a report concludes, and the exit code that goes with it, decided once for the terminal, the
 * JSON and the HTML page, so they never disagree:
 *
 * | the log                                          | exit | headline                         |
 * | ------------------------------------------------ | ---- | -------------------------------- |
 * | records that are not entries, no --skip-bad-lines | 3    | N records could not be read      |
 * | no readable entry at all, but records             | 3    | unreadable (even with the flag)  |
 * | a flag                                            | 1    | N flags raised                   |
 * | repeats listed for review, with --strict          | 1    | N repeats for review             |
 * | no entry in the range                             | 0    | no entries (never "OK")          |
 * | otherwise                                         | 0    | OK                               |
 */
import type { AuditReport, OutcomeCounts } from "@agent-idempotency/core";
import { ExitCode } from "../exit-codes.js";
import { formatCount, formatDuration } from "../format.js";

/** How the command was asked to judge. */
export interface VerdictOptions {
  /** Repeats listed for review fail the run too. */
  strict: boolean;
  /** Records that are not entries are reported but do not fail the run (unless nothing is readable). */
  skipBadLines: boolean;
}

/** What the `audit` command concludes from a report: its exit code, its tone, its one-line headline. */
export interface Verdict {
  /** What the process exits with: 0 OK or empty, 1 flagged, 3 unreadable (see the table above). */
  exitCode: ExitCode;
  /** The kind of conclusion, which styles the HTML page's headline; `empty` (no entry in range) is never styled as OK, since nothing was checked. */
  tone: "ok" | "flagged" | "unreadable" | "empty";
  /** The one-line conclusion, the same in the terminal, the JSON and the HTML page. */
  headline: string;
}

const plural = (n: number, one: string, many = `${one}s`) => `${formatCount(n)} ${n === 1 ? one : many}`;

/** The verdict of `report` (see the table above). */
export function auditVerdict(report: AuditReport, options: VerdictOptions): Verdict {
  const bad = report.malformed.count;
  if (bad > 0 && report.entries === 0) {
    return { exitCode: ExitCode.StoreFailed, tone: "unreadable", headline: `UNREADABLE: none of the ${plural(bad, "record")} in this log is an audit entry (exit code 3)` };
  }
  if (bad > 0 && !options.skipBadLines) {
    return {
      exitCode: ExitCode.StoreFailed,
      tone: "unreadable",
      headline: `${plural(bad, "RECORD", "RECORDS")} COULD NOT BE READ (exit code 3): fix what writes this log, or pass --skip-bad-lines to judge the rest`,
    };
  }
  const flags = report.flags.length;
  if (flags > 0) return { exitCode: ExitCode.Flagged, tone: "flagged", headline: `${plural(flags, "FLAG", "FLAGS")} RAISED (exit code 1)` };
  const review = report.review.length;
  if (review > 0 && options.strict) {
    return { exitCode: ExitCode.Flagged, tone: "flagged", headline: `${plural(review, "REPEAT", "REPEATS")} FOR REVIEW (exit code 1: --strict)` };
  }
  if (report.entries === 0) {
    return {
      exitCode: ExitCode.Ok,
      tone: "empty",
      headline: "No audit entries in this range, so nothing was checked (no verdict). If tools ran, check that the engine writes to this log (the `audit` option of createIdempotency).",
    };
  }
  const skipped = bad > 0 ? ` ${plural(bad, "unreadable record")} skipped.` : "";
  const listed = review > 0 ? ` ${plural(review, "repeat")} in a new turn listed for review.` : "";
  return {
    exitCode: ExitCode.Ok,
    tone: "ok",
    headline: `OK: no flags. No key produced two response ids, and no call executed under two keys in one turn within ${formatDuration(report.windowMs)}.${listed}${skipped}`,
  };
}

/** Every outcome the report counts, with its short column header. */
export const OUTCOME_COLUMNS: { header: string; outcome: keyof OutcomeCounts }[] = [
  { header: "exec", outcome: "executed" },
  { header: "repl", outcome: "replayed" },
  { header: "recov", outcome: "recovered" },
  { header: "fail", outcome: "failed" },
  { header: "inprg", outcome: "in_progress" },
  { header: "mism", outcome: "mismatch" },
  { header: "lost", outcome: "lease_lost" },
  { header: "ungrd", outcome: "unguarded" },
  { header: "dup", outcome: "duplicate" },
];
