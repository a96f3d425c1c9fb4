#!/usr/bin/env node
/**
 * The `agent-idempotency` binary. Sets `process.exitCode` instead of calling `process.exit()`, so
 * stdout (possibly a pipe to `jq`) is drained and audit logs flush before the process ends.
 */
import { processContext } from "./context.js";
import { main } from "./main.js";

// `agent-idempotency audit | head` closes the pipe early: stop quietly instead of a stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
  process.exit(process.exitCode ?? 0);
});

process.exitCode = await main(process.argv.slice(2), processContext());
