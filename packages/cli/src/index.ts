/**
 * `@agent-idempotency/cli`: the `agent-idempotency` command, and what embeds it in a program of
 * your own: `main(argv, processContext())` runs it as the binary does (resolving to the exit
 * code), and the renderers print an `AuditReport` as the `audit` command does.
 *
 * @packageDocumentation
 */

export { main } from "./main.js";
export { processContext } from "./context.js";
export type { CliContext, TextOut } from "./context.js";
export { ExitCode } from "./exit-codes.js";
export { renderReportHtml } from "./render/report-html.js";
export { renderReportText } from "./render/report-text.js";
export type { ReportMeta } from "./render/report-text.js";
export { auditVerdict } from "./render/verdict.js";
export type { Verdict, VerdictOptions } from "./render/verdict.js";
