/**
 * Where `explain` gets the policies from: `--config FILE` (a module that exports the engine, its
 * options, or `tools`), or `--policy JSON` (one tool's policy, with normalizers named as
 * `explainKey` prints them: `"isoInstant"`, `"trim+lowercase"`, `"sortedBy(sku)"`, `"e164(US)"`).
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Idempotency, IdempotencyOptions, JsonSchema, Normalizer, ToolPolicies, ToolPolicy } from "@agent-idempotency/core";
import { createIdempotency, MemoryStore, normalizers } from "@agent-idempotency/core";
import { didYouMean } from "@agent-idempotency/core/internal";
import { cliFailure, ExitCode, usageError } from "./exit-codes.js";

/** What `explain` needs: an engine to ask, and the tools' JSON schemas when known. */
export interface ExplainSetup {
  engine: Idempotency;
  schemas: Record<string, JsonSchema>;
}

const isEngine = (x: unknown): x is Idempotency => typeof (x as Idempotency)?.explainKey === "function";
const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

/** Splits `a+b(c+d)` at the top-level `+` signs. */
function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "(") depth++;
    else if (text[i] === ")") depth--;
    else if (text[i] === "+" && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim());
}

type Phone = { e164(options?: { defaultCountry?: string }): Normalizer };

/** A normalizer from its name, as `explainKey` prints it, or an array of names (composed). */
export async function normalizerFromSpec(spec: unknown, where: string): Promise<Normalizer> {
  if (Array.isArray(spec)) return normalizers.compose(...(await Promise.all(spec.map((s) => normalizerFromSpec(s, where)))));
  if (typeof spec !== "string" || spec.trim() === "") throw usageError(`${where}: a normalizer is a name such as "isoInstant", "trim+lowercase" or "sortedBy(sku)"`);
  const parts = splitTop(spec);
  if (parts.length > 1) return normalizers.compose(...(await Promise.all(parts.map((p) => normalizerFromSpec(p, where)))));
  const m = /^([A-Za-z0-9]+)(?:\((.*)\))?$/.exec(parts[0]!);
  const name = m?.[1];
  const arg = m?.[2];
  if (name === "each" && arg) return normalizers.each(await normalizerFromSpec(arg, where));
  if (name === "sortedBy" && arg) return normalizers.sortedBy(arg);
  if (name === "minorUnits" && arg) return normalizers.minorUnits(arg);
  if (name === "e164") {
    let phone: Phone;
    try {
      phone = (await import("@agent-idempotency/core/phone")) as unknown as Phone;
    } catch (cause) {
      throw cliFailure(ExitCode.Unavailable, `${where}: e164 needs the optional package libphonenumber-js (pnpm add libphonenumber-js)`, { cause });
    }
    return phone.e164(arg ? { defaultCountry: arg } : {});
  }
  const plain: Record<string, Normalizer> = {
    trim: normalizers.trim,
    lowercase: normalizers.lowercase,
    nfc: normalizers.nfc,
    collapseWhitespace: normalizers.collapseWhitespace,
    isoInstant: normalizers.isoInstant,
    number: normalizers.number,
    boolean: normalizers.boolean,
    asSet: normalizers.asSet,
    unordered: normalizers.unordered,
  };
  if (name !== undefined && arg === undefined && plain[name]) return plain[name]!;
  const hint = name === undefined ? "" : didYouMean(name, [...Object.keys(plain), "each", "sortedBy", "minorUnits", "e164"]);
  throw usageError(
    `${where}: unknown normalizer "${spec}"${hint}; use ${Object.keys(plain).join(", ")}, each(…), sortedBy(path), minorUnits(CUR), e164 or e164(CC), joined with + to compose`,
  );
}

/** One tool's policy from `--policy` JSON: normalizers by name, the rest as in a `ToolPolicy`. */
export async function policyFromJson(value: unknown): Promise<ToolPolicy> {
  if (!isObject(value)) throw usageError(`--policy must be a JSON object, e.g. {"identity":["user_id","slot"],"normalize":{"slot":"isoInstant"}}`);
  const policy: Record<string, unknown> = { ...value };
  if (value.normalize !== undefined) {
    if (!isObject(value.normalize)) throw usageError(`--policy: "normalize" must map field paths to normalizer names`);
    const out: Record<string, Normalizer> = {};
    for (const [path, spec] of Object.entries(value.normalize)) out[path] = await normalizerFromSpec(spec, `--policy normalize["${path}"]`);
    policy.normalize = out;
  }
  const fromSchema = value.normalizeFromSchema;
  if (isObject(fromSchema) && isObject(fromSchema.formats)) {
    const formats: Record<string, Normalizer> = {};
    for (const [format, spec] of Object.entries(fromSchema.formats)) formats[format] = await normalizerFromSpec(spec, `--policy normalizeFromSchema.formats["${format}"]`);
    policy.normalizeFromSchema = { ...fromSchema, formats };
  }
  return policy as ToolPolicy;
}

/** The engine and schemas a `--config` module exports. */
export async function loadConfig(file: string, cwd: string): Promise<ExplainSetup> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(resolve(cwd, file)).href)) as Record<string, unknown>;
  } catch (cause) {
    throw cliFailure(ExitCode.StoreFailed, `could not load --config ${file}: ${(cause as Error).message}`, { cause });
  }
  const schemas = isObject(mod.schemas) ? (mod.schemas as Record<string, JsonSchema>) : {};
  const exported = mod.idempotency ?? mod.default;
  if (isEngine(exported)) return { engine: exported, schemas };
  const options = isObject(exported) ? (exported as Partial<IdempotencyOptions>) : isObject(mod.tools) ? { tools: mod.tools as ToolPolicies, defaults: mod.defaults as IdempotencyOptions["defaults"] } : undefined;
  if (!options) {
    throw usageError(`--config ${file} exports no engine, engine options or tools; export "idempotency" (createIdempotency(...) or its options) or "tools"`);
  }
  // Explaining never claims a key: a config's own store is left unopened.
  return { engine: createIdempotency({ ...options, store: new MemoryStore(), audit: [], onWarning: () => undefined }), schemas };
}
