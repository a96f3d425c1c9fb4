/**
 * Store and audit-log URIs → instances, through core's `createStore` / `createAuditLog`, plus
 * what a command-line tool needs on top:
 *
 * - the store packages are resolved from the CLI's own folder (they are its optional peers), not
 *   from core's folder or the working directory a cron job happens to run in;
 * - a `sqlite:` or `jsonl:` file that does not exist is an error: opening it would create an
 *   empty one, and an audit of an empty log is a green report on a typo;
 * - likewise a table: stores and logs are opened with `create: false`, so the commands create
 *   nothing (no table, schema or migrations table) and a misspelt `?table=`/`?audit_table=` is
 *   exit 3 naming the missing table, never an empty new table and a report that checked nothing;
 * - a URI parameter or scheme nobody reads (`?tabel=`, `postgress:`) is a usage error (exit 2)
 *   with a "did you mean";
 * - the audit log defaults to the store's URI (SQLite, Postgres and MySQL keep their audit table beside
 *   the records); a Redis store keeps none, so `--audit` is required there;
 * - passwords never reach the terminal ({@link redactUri}).
 */
import { existsSync, statSync } from "node:fs";
import type { AuditSink, IdempotencyStore, ModuleLoader } from "@agent-idempotency/core";
import { AUDIT_LOG_SCHEMES, closestName, STORE_SCHEMES } from "@agent-idempotency/core/internal";
import { createAuditLog, createStore, isIdempotencyError } from "@agent-idempotency/core";
import { ExitCode, cliFailure, usageError } from "./exit-codes.js";

/** Resolves `@agent-idempotency/store-*` from this package, where they are installed as peers. */
const loader: ModuleLoader = (specifier) => import(specifier) as Promise<Record<string, unknown>>;

function schemeOf(uri: string): string | undefined {
  return /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1]?.toLowerCase();
}

/** The file a `sqlite:` or `jsonl:` URI names, as core reads it; undefined for other schemes and `:memory:`. */
function fileOf(uri: string, scheme: string): string | undefined {
  if (scheme !== "sqlite" && scheme !== "jsonl") return undefined;
  const rest = uri.slice(scheme.length + 1).replace(/^\/\//, "");
  const path = scheme === "sqlite" ? rest.split("?")[0]! : rest;
  return path === "" || path === ":memory:" ? undefined : path;
}

function requireFile(uri: string, path: string | undefined, what: string): void {
  if (path === undefined) return;
  if (!existsSync(path)) throw cliFailure(ExitCode.StoreFailed, `${what} ${redactUri(uri)}: no such file (check the path; the CLI never creates one)`);
  if (!statSync(path).isFile()) throw cliFailure(ExitCode.StoreFailed, `${what} ${redactUri(uri)}: not a file`);
}

/** The URI with any password replaced by `***`, for messages and reports. */
export function redactUri(uri: string): string {
  try {
    const u = new URL(uri);
    if (!u.password) return uri;
    u.password = "***";
    return u.toString();
  } catch {
    return uri;
  }
}

/** `--store`, else `$IDEMPOTENCY_STORE` (keeps a password out of the crontab and `ps`). */
export function storeUriFrom(option: string | undefined, env: Record<string, string | undefined>): string | undefined {
  return option ?? (env.IDEMPOTENCY_STORE || undefined);
}

/**
 * The audit log's URI: `--audit`, else `$IDEMPOTENCY_AUDIT`, else the store's URI. Usage errors
 * when there is none, or when the store is Redis (which keeps no audit log).
 */
export function auditUriFrom(option: string | undefined, storeUri: string | undefined, env: Record<string, string | undefined>): string {
  const explicit = option ?? (env.IDEMPOTENCY_AUDIT || undefined);
  if (explicit !== undefined) return checkAuditUri(explicit);
  if (storeUri === undefined) throw usageError("no audit log: pass --store URI (its audit table is used) or --audit URI, or set IDEMPOTENCY_STORE");
  const scheme = checkStoreUri(storeUri);
  if (scheme === "redis" || scheme === "rediss") {
    throw usageError(`a Redis store keeps no audit log: pass --audit URI too (jsonl:PATH, sqlite:PATH, postgres://… or mysql://…) naming where your engine writes its audit entries`);
  }
  return storeUri;
}

/** Validates a store URI's scheme (usage error otherwise) and returns it. */
export function checkStoreUri(uri: string): string {
  const scheme = schemeOf(uri);
  if (scheme === "jsonl") throw usageError(`"${redactUri(uri)}" is an audit log, not a store; pass it as --audit`);
  if (!scheme || !STORE_SCHEMES.includes(scheme)) {
    throw usageError(`"${redactUri(uri)}" is not a store URI${schemeHint(scheme, STORE_SCHEMES)}; use memory:, sqlite:PATH, postgres://…, redis://… or mysql://…`);
  }
  return scheme;
}

function checkAuditUri(uri: string): string {
  const scheme = schemeOf(uri);
  if (scheme === "redis" || scheme === "rediss") throw usageError(`"${redactUri(uri)}": Redis keeps no audit log; use jsonl:PATH, sqlite:PATH, postgres://… or mysql://…`);
  if (!scheme || !AUDIT_LOG_SCHEMES.includes(scheme)) {
    throw usageError(`"${redactUri(uri)}" is not an audit log URI${schemeHint(scheme, AUDIT_LOG_SCHEMES)}; use jsonl:PATH, sqlite:PATH, postgres://…, mysql://… or memory:`);
  }
  return uri;
}

/** `' (did you mean "postgres:"?)'` for a misspelt scheme, with its colon as the user types it; `""` when none is close. */
function schemeHint(scheme: string | undefined, schemes: readonly string[]): string {
  const meant = scheme === undefined ? undefined : closestName(scheme, schemes);
  return meant === undefined ? "" : ` (did you mean "${meant}:"?)`;
}

/** A URI parameter or scheme core does not know is the command line's mistake: exit 2, with core's "did you mean". */
async function opening<T>(uri: string, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (error) {
    if (!isIdempotencyError(error, "POLICY_INVALID")) throw error;
    throw usageError(`${redactUri(uri)}: ${(error as Error).message.replace(/^\[agent-idempotency\] /, "")}`);
  }
}

/** Opens an existing store for reading or purging; creates nothing (a missing table fails its first read). */
export async function openStore(uri: string): Promise<IdempotencyStore> {
  const scheme = checkStoreUri(uri);
  requireFile(uri, fileOf(uri, scheme), "store");
  return opening(uri, () => createStore(uri, { loader, create: false }));
}

/** Opens an existing audit log for reading; creates nothing (a missing table fails its first read). */
export async function openAuditLog(uri: string): Promise<AuditSink> {
  const scheme = schemeOf(checkAuditUri(uri))!;
  requireFile(uri, fileOf(uri, scheme), "audit log");
  return opening(uri, () => createAuditLog(uri, { loader, create: false }));
}
