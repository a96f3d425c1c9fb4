/**
 * `agent-idempotency explain ACTION ARGS [OTHER_ARGS]`: why a call has its key, and why two calls
 * got two keys: the scope, each normalizer with the value before and after, the selected identity,
 * the canonical JSON hashed, the key, and for two calls the fields that differ. It runs the
 * engine's `explainKey`, so what it prints is what `run` computes. Nothing is claimed or stored.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { GuardedCall, JsonSchema, KeyComparison, KeyExplanation } from "@agent-idempotency/core";
import { createIdempotency, isIdempotencyError, MemoryStore } from "@agent-idempotency/core";
import type { OptionSpecs } from "../args.js";
import { formatOptions, parseCommand, stringOption } from "../args.js";
import type { CliContext } from "../context.js";
import { ExitCode, usageError } from "../exit-codes.js";
import type { ExplainSetup } from "../policy-spec.js";
import { loadConfig, policyFromJson } from "../policy-spec.js";

const OPTIONS: OptionSpecs = {
  config: { type: "string", value: "FILE", description: "an ES module exporting the engine (idempotency), its options, or tools (and optionally schemas)" },
  policy: { type: "string", value: "JSON", description: "the action's policy as JSON, normalizers by name (or @FILE)" },
  schema: { type: "string", value: "JSON", description: "the tool's input JSON schema, for normalizeFromSchema (or @FILE)" },
  session: { type: "string", value: "ID", description: "the session (thread) of the call(s)" },
  scope: { type: "string", value: "SCOPE", description: "the scope, when it is not the session (a LangGraph turn)" },
  session2: { type: "string", value: "ID", description: "the second call's session (default: --session)" },
  scope2: { type: "string", value: "SCOPE", description: "the second call's scope (default: --scope)" },
  json: { type: "boolean", description: "print the explanation as JSON" },
  help: { type: "boolean", short: "h", description: "show this help" },
};

/** `agent-idempotency explain --help`. */
export const EXPLAIN_USAGE = `Usage: agent-idempotency explain ACTION ARGS [OTHER_ARGS]
         (--config FILE | --policy JSON) (--session ID | --scope SCOPE)
         [--schema JSON] [--session2 ID] [--scope2 SCOPE] [--json]

Prints why a call of ACTION with the JSON arguments ARGS has its key: the
scope, each normalizer (from the policy or derived from the schema) with the
value before and after, the selected identity, the canonical JSON that is
hashed, and the key. With OTHER_ARGS, compares the two calls and names exactly
the fields that gave them different keys. ARGS may be @FILE to read a file.

Options:
${formatOptions(OPTIONS)}

Normalizers in --policy are named as explain prints them: trim, lowercase,
nfc, collapseWhitespace, isoInstant, number, boolean, asSet, unordered,
sortedBy(path), each(name), minorUnits(USD), e164 or e164(US); join with + to
compose ("trim+lowercase").

Exit codes: 0 explained (two calls: same key), 1 two calls with different keys,
2 usage error (bad JSON, unknown normalizer, arguments the policy cannot key,
no policy for ACTION), 3 --config could not be loaded, 4 e164 without
libphonenumber-js.

Examples:
  agent-idempotency explain book_calendar '{"user_id":"u1","slot":"2026-12-01T11:00+01:00"}' \\
    '{"user_id":"u1","slot":"2026-12-01T10:00Z"}' --session thread-42 \\
    --policy '{"identity":["user_id","slot"],"normalize":{"slot":"isoInstant"}}'
  agent-idempotency explain send_email @call-a.json @call-b.json --config ./idempotency.config.mjs --session s-1
`;

function readJson(text: string, what: string, cwd: string): unknown {
  let source = text;
  if (text.startsWith("@")) {
    const file = resolve(cwd, text.slice(1));
    try {
      source = readFileSync(file, "utf8");
    } catch (e) {
      throw usageError(`${what}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  try {
    return JSON.parse(source);
  } catch (e) {
    throw usageError(`${what} is not valid JSON (${(e as Error).message}); quote it for the shell, or pass @FILE`);
  }
}

/** A policy or key error is the input's fault: a usage error (2), not a store failure (3). */
function asUsage(error: unknown): unknown {
  return isIdempotencyError(error, "KEY_INVALID") || isIdempotencyError(error, "POLICY_INVALID") ? usageError((error as Error).message.replace(/^\[agent-idempotency\] /, "")) : error;
}

async function setupFrom(values: Record<string, string | boolean | undefined>, action: string, cwd: string): Promise<ExplainSetup> {
  const config = stringOption(values, "config");
  const policy = stringOption(values, "policy");
  if ((config === undefined) === (policy === undefined)) throw usageError("pass either --config FILE or --policy JSON (where the policies come from)");
  if (config !== undefined) return loadConfig(config, cwd);
  const tools = { [action]: await policyFromJson(readJson(policy!, "--policy", cwd)) };
  return { engine: createIdempotency({ store: new MemoryStore(), tools, onWarning: () => undefined }), schemas: {} };
}

/** Runs `explain`; returns the exit code. */
export async function explainCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommand("explain", argv, OPTIONS, 3);
  if (values.help) {
    ctx.stdout.write(EXPLAIN_USAGE);
    return ExitCode.Ok;
  }
  const [action, argsText, otherText] = positionals;
  if (!action || argsText === undefined) throw usageError("which call? Usage: agent-idempotency explain ACTION ARGS [OTHER_ARGS] --policy JSON --session ID");
  const cwd = process.cwd();
  const session = stringOption(values, "session");
  const scope = stringOption(values, "scope");
  if (session === undefined && scope === undefined) throw usageError("pass --session ID (or --scope SCOPE): the key depends on it");
  const setup = await setupFrom(values, action, cwd).catch((e: unknown) => Promise.reject(asUsage(e)));
  const schemaText = stringOption(values, "schema");
  const schema = schemaText === undefined ? setup.schemas[action] : (readJson(schemaText, "--schema", cwd) as JsonSchema);
  const call = (argsJson: string, what: string, s: string | undefined, sc: string | undefined): GuardedCall => ({
    action,
    args: readJson(argsJson, what, cwd),
    sessionId: s ?? sc,
    scope: sc,
    schema,
  });
  const a = call(argsText, "ARGS", session, scope);
  const b = otherText === undefined ? undefined : call(otherText, "OTHER_ARGS", stringOption(values, "session2") ?? session, stringOption(values, "scope2") ?? scope);
  let result: KeyExplanation | KeyComparison;
  try {
    result = b === undefined ? setup.engine.explainKey(a) : setup.engine.explainKey(a, b);
  } catch (error) {
    // Arguments the policy cannot key, or an action without a policy: the input is at fault.
    throw asUsage(error);
  }
  ctx.stdout.write(`${values.json ? JSON.stringify(result, null, 2) : String(result)}\n`);
  return "sameKey" in result && !result.sameKey ? ExitCode.Flagged : ExitCode.Ok;
}
