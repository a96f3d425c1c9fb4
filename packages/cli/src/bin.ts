#!/usr/bin/env node
/**
 * The `agent-idempotency` binary. Sets `process.exitCode` instead of calling `process.exit()`, so
 * stdout (possibly a pipe to `jq`) is drained and audit logs flush before the process ends.
 */
import { processContext } from "./context.js";
import { main } from "./main.js";

process.exitCode = await main(process.argv.slice(2), processContext());
