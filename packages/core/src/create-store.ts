/**
 * Store and audit-log URIs to instances: `memory:`, `sqlite:PATH`, `postgres://…`, `redis://…`,
 * `mysql://…` (or `mariadb://…`), and for audit logs also `jsonl:PATH`. Core depends on no store package, so the matching package
 * is imported when its scheme is used; a missing one is an error that names what to install.
 *
 * Options that are not connection settings travel as query parameters and are removed before
 * the URI reaches the driver: `?table=&schema=&namespace=` (Postgres), `?prefix=&namespace=`
 * (Redis; `?cluster=true&nodes=host:port,…` for a Redis Cluster), `?table=&namespace=` (SQLite, MySQL),
 * and `?audit_table=` for the audit log that shares a SQL store's URI. A parameter that is
 * neither ours nor one the driver reads (`?tabel=`), and a scheme we do not know (`postgress:`),
 * fail with a "did you mean": ignored, `?tabel=` would have written to the default table. A
 * malformed URI is a configuration error ({@link IdempotencyPolicyError}); a missing package is
 * `IdempotencyStoreError` with code `STORE_UNAVAILABLE`.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { AuditSink } from "./audit/entry.js";
import { JsonlAuditLog } from "./audit/jsonl-audit-log.js";
import { MemoryAuditLog } from "./audit/memory-audit-log.js";
import { IdempotencyPolicyError, IdempotencyStoreError } from "./errors.js";
import { MemoryStore } from "./memory-store.js";
import type { IdempotencyStore } from "./store.js";
import { didYouMean } from "./suggest.js";

type Ctor<T> = new (options: Record<string, unknown>) => T;

/** The schemes {@link createStore} opens (the CLI checks URIs against this list). */
export const STORE_SCHEMES: readonly string[] = ["memory", "sqlite", "postgres", "postgresql", "redis", "rediss", "mysql", "mariadb"];
/** The schemes {@link createAuditLog} opens. */
export const AUDIT_LOG_SCHEMES: readonly string[] = ["memory", "jsonl", "sqlite", "postgres", "postgresql", "mysql", "mariadb"];

/** How `createStore` loads a store package; override to resolve from somewhere else. */
export type ModuleLoader = (specifier: string) => Promise<Record<string, unknown>>;

/** Options of {@link createStore} and {@link createAuditLog}. */
export interface CreateStoreOptions {
  /** How the store package is imported. Default: from core's folder, else from the application's. */
  loader?: ModuleLoader | undefined;
  /**
   * `false`: create nothing (no file, schema or table) and fail, naming it, when the table is
   * missing; for read-only tools such as the CLI. Default `true` (the store's own default).
   */
  create?: boolean | undefined;
}

/** Query parameter names a scheme takes: ours, and the driver's. */
type SchemeParameters = { ours: readonly string[]; driver: readonly string[] };

/**
 * The query parameters each scheme takes: the options of our store or audit log (a SQL store's
 * URI serves its audit log too, so each takes the other's), then the driver's connection
 * parameters that pass through (`pg` reads every parameter of its connection string as a setting;
 * `mysql2` its `validOptions`; node-redis none). `ours` is also what `splitParams` takes out of the
 * URI before it reaches the driver, so the check and the split cannot disagree.
 */
const PARAMETERS = {
  memory: { ours: ["namespace"], driver: [] },
  sqlite: { ours: ["table", "namespace", "busyTimeoutMs", "sweepEvery", "audit_table"], driver: [] },
  postgres: {
    ours: ["table", "schema", "namespace", "audit_table"],
    driver: [
      "host", "port", "user", "password", "database", "db", "encoding", "client_encoding", "ssl", "sslmode", "sslcert", "sslkey",
      "sslrootcert", "sslpassword", "sslnegotiation", "uselibpqcompat", "application_name", "fallback_application_name", "options",
      "replication", "statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout", "query_timeout",
      "connectionTimeoutMillis", "keepAlive", "keepAliveInitialDelayMillis", "binary",
    ],
  },
  redis: { ours: ["prefix", "namespace", "cluster", "nodes"], driver: [] },
  mysql: {
    ours: ["table", "namespace", "audit_table"],
    driver: [
      "charset", "charsetNumber", "compress", "connectTimeout", "database", "dateStrings", "debug", "decimalNumbers", "bigNumberStrings",
      "enableKeepAlive", "flags", "host", "insecureAuth", "keepAliveInitialDelay", "localAddress", "maxPreparedStatements",
      "multipleStatements", "namedPlaceholders", "nestTables", "password", "password1", "password2", "password3", "port", "rowsAsArray",
      "socketPath", "ssl", "stringifyObjects", "supportBigNumbers", "timezone", "trace", "user", "disableEval", "enableCleartextPlugin",
      "connectionLimit", "maxIdle", "idleTimeout", "queueLimit", "waitForConnections", "jsonStrings", "gracefulEnd",
    ],
  },
} satisfies Record<string, SchemeParameters>;
const ALIASES: Record<string, string> = { postgresql: "postgres", rediss: "redis", mariadb: "mysql" };

/** Throws one {@link IdempotencyPolicyError} naming every query parameter `scheme` does not take. */
function checkParams(scheme: string, names: Iterable<string>): void {
  const known = (PARAMETERS as Record<string, SchemeParameters | undefined>)[ALIASES[scheme] ?? scheme];
  if (known === undefined) return;
  const all = [...known.ours, ...known.driver];
  const problems: string[] = [];
  for (const name of new Set(names)) {
    if (all.includes(name)) continue;
    const theirs = known.driver.length === 0 ? "" : `, and the driver's connection parameters (${known.driver.slice(0, 4).join(", ")}, …)`;
    problems.push(`"?${name}=" in a ${scheme}: URI is not a parameter we know${didYouMean(name, all)}; it would be ignored. ${scheme}: takes ${known.ours.join(", ")}${theirs}`);
  }
  if (problems.length > 0) throw new IdempotencyPolicyError(problems);
}

/** The query parameter names of a URL-shaped URI. */
function paramNames(uri: string): string[] {
  try {
    return [...new URL(uri).searchParams.keys()];
  } catch {
    return []; // a URI the URL parser refuses: the driver or splitParams reports it
  }
}

/** `create: false` as a store option, or nothing (the store's own default). */
const createOption = (create: boolean | undefined) => (create === false ? { create: false } : {});

async function defaultLoader(specifier: string): Promise<Record<string, unknown>> {
  try {
    return (await import(specifier)) as Record<string, unknown>;
  } catch (first) {
    if ((first as { code?: string }).code !== "ERR_MODULE_NOT_FOUND" || !String((first as Error).message).includes(specifier)) throw first;
    // Not visible from core's own folder (pnpm keeps packages apart): try from the application.
    const fromApp = createRequire(join(process.cwd(), "package.json"));
    return (await import(pathToFileURL(fromApp.resolve(specifier)).href)) as Record<string, unknown>;
  }
}

async function load<T>(pkg: string, name: string, scheme: string, loader: ModuleLoader): Promise<Ctor<T>> {
  let mod: Record<string, unknown>;
  try {
    mod = await loader(pkg);
  } catch (cause) {
    throw new IdempotencyStoreError(
      `${scheme} URIs need ${pkg}: install it next to @agent-idempotency/core (pnpm add ${pkg})`,
      { cause, code: "STORE_UNAVAILABLE" },
    );
  }
  const ctor = mod[name];
  if (typeof ctor !== "function") {
    throw new IdempotencyStoreError(`${pkg} does not export ${name}; install a version that matches @agent-idempotency/core`, { code: "STORE_UNAVAILABLE" });
  }
  return ctor as Ctor<T>;
}

/** Splits our own query parameters off a connection URI. */
function splitParams(uri: string, ours: readonly string[]): { uri: string; params: Record<string, string> } {
  const u = new URL(uri);
  const params: Record<string, string> = {};
  for (const name of ours) {
    const v = u.searchParams.get(name);
    if (v !== null) params[name] = v;
    u.searchParams.delete(name);
  }
  return { uri: u.toString(), params };
}

/** `sqlite:PATH`, `sqlite://PATH` or `sqlite::memory:` → path and params. */
function sqlitePath(uri: string): { path: string; params: Record<string, string> } {
  const rest = uri.replace(/^sqlite:(\/\/)?/, "");
  const q = rest.indexOf("?");
  const path = q === -1 ? rest : rest.slice(0, q);
  const params = Object.fromEntries(new URLSearchParams(q === -1 ? "" : rest.slice(q + 1)));
  if (path === "") throw new IdempotencyPolicyError(`"${uri}" names no file; write sqlite:./idempotency.db or sqlite::memory:`);
  return { path, params };
}

function schemeOf(uri: string): string {
  const m = /^([a-z][a-z0-9+.-]*):/i.exec(uri);
  if (!m) throw new IdempotencyPolicyError(`"${uri.replace(/\/\/[^@/]*@/, "//…@")}" is not a store URI; use memory:, sqlite:PATH, postgres://…, redis://… or mysql://…`);
  return m[1]!.toLowerCase();
}

/** The error for a scheme that is not one of `schemes`, with the scheme that was probably meant. */
function unknownScheme(scheme: string, schemes: readonly string[], what: string, use: string): IdempotencyPolicyError {
  return new IdempotencyPolicyError(`"${scheme}:" is not ${what} scheme${didYouMean(scheme, schemes)}; use ${use}`);
}

/**
 * Opens the store a URI names.
 *
 * @example
 * ```ts
 * const store = await createStore(process.env.IDEMPOTENCY_STORE ?? "sqlite:./idempotency.db");
 * ```
 */
export async function createStore(uri: string, options: CreateStoreOptions = {}): Promise<IdempotencyStore> {
  const loader = options.loader ?? defaultLoader;
  const create = createOption(options.create);
  const scheme = schemeOf(uri);
  switch (scheme) {
    case "memory": {
      const params = new URLSearchParams(uri.split("?")[1] ?? "");
      checkParams(scheme, params.keys());
      const namespace = params.get("namespace") ?? undefined;
      return new MemoryStore(namespace ? { namespace } : {});
    }
    case "sqlite": {
      const { path, params } = sqlitePath(uri);
      checkParams(scheme, Object.keys(params));
      const { audit_table: _auditTable, ...storeParams } = params;
      const Store = await load<IdempotencyStore>("@agent-idempotency/store-sqlite", "SqliteStore", "sqlite:", loader);
      return new Store({ path, ...storeParams, ...create });
    }
    case "postgres":
    case "postgresql": {
      checkParams(scheme, paramNames(uri));
      const { uri: conn, params } = splitParams(uri, PARAMETERS.postgres.ours);
      const Store = await load<IdempotencyStore>("@agent-idempotency/store-postgres", "PostgresStore", "postgres://", loader);
      const { audit_table: _auditTable, ...storeParams } = params;
      return new Store({ uri: conn, ...storeParams, ...create });
    }
    case "redis":
    case "rediss": {
      checkParams(scheme, paramNames(uri));
      const { uri: url, params } = splitParams(uri, PARAMETERS.redis.ours);
      const Store = await load<IdempotencyStore>("@agent-idempotency/store-redis", "RedisStore", "redis://", loader);
      const { cluster, nodes, ...rest } = params;
      if (cluster === undefined || cluster === "false") return new Store({ url, ...rest });
      if (cluster !== "true") throw new IdempotencyPolicyError(`"?cluster=${cluster}" in a redis URI: write ?cluster=true (a Redis Cluster) or leave it out`);
      // A Redis Cluster: this node plus `nodes=host:port,host:port`, all seeds of the slot map.
      const protocol = new URL(url).protocol;
      const more = (nodes ?? "").split(",").filter(Boolean).map((hostPort) => `${protocol}//${hostPort}`);
      return new Store({ rootNodes: [url, ...more], ...rest });
    }
    case "mysql":
    case "mariadb": {
      checkParams(scheme, paramNames(uri));
      const { uri: conn, params } = splitParams(uri, PARAMETERS.mysql.ours);
      const Store = await load<IdempotencyStore>("@agent-idempotency/store-mysql", "MysqlStore", "mysql://", loader);
      const { audit_table: _auditTable, ...storeParams } = params;
      return new Store({ uri: conn, ...storeParams, ...create });
    }
    default:
      throw unknownScheme(scheme, STORE_SCHEMES, "a store URI", "memory:, sqlite:PATH, postgres://…, redis://… or mysql://…");
  }
}

/**
 * Opens the audit log a URI names: `memory:`, `jsonl:PATH`, `sqlite:PATH` (a table beside the
 * records), `postgres://…` and `mysql://…` (likewise). Redis keeps no audit log.
 */
export async function createAuditLog(uri: string, options: CreateStoreOptions = {}): Promise<AuditSink> {
  const loader = options.loader ?? defaultLoader;
  const create = createOption(options.create);
  const scheme = schemeOf(uri);
  switch (scheme) {
    case "memory":
      return new MemoryAuditLog();
    case "jsonl": {
      const path = uri.replace(/^jsonl:(\/\/)?/, "");
      if (path === "") throw new IdempotencyPolicyError(`"${uri}" names no file; write jsonl:./audit.jsonl`);
      return new JsonlAuditLog(path);
    }
    case "sqlite": {
      const { path, params } = sqlitePath(uri);
      checkParams(scheme, Object.keys(params));
      const Log = await load<AuditSink>("@agent-idempotency/store-sqlite", "SqliteAuditLog", "sqlite:", loader);
      return new Log({ path, ...(params.audit_table ? { table: params.audit_table } : {}), ...create });
    }
    case "postgres":
    case "postgresql": {
      checkParams(scheme, paramNames(uri));
      const { uri: conn, params } = splitParams(uri, PARAMETERS.postgres.ours);
      const Log = await load<AuditSink>("@agent-idempotency/store-postgres", "PostgresAuditLog", "postgres://", loader);
      return new Log({ uri: conn, ...(params.schema ? { schema: params.schema } : {}), ...(params.audit_table ? { table: params.audit_table } : {}), ...create });
    }
    case "mysql":
    case "mariadb": {
      checkParams(scheme, paramNames(uri));
      const { uri: conn, params } = splitParams(uri, PARAMETERS.mysql.ours);
      const Log = await load<AuditSink>("@agent-idempotency/store-mysql", "MysqlAuditLog", "mysql://", loader);
      return new Log({ uri: conn, ...(params.audit_table ? { table: params.audit_table } : {}), ...create });
    }
    case "redis":
    case "rediss":
      throw new IdempotencyPolicyError("a Redis store keeps no audit log; pass an audit log URI such as jsonl:./audit.jsonl, postgres://… or mysql://…");
    default:
      throw unknownScheme(scheme, AUDIT_LOG_SCHEMES, "an audit log URI", "memory:, jsonl:PATH, sqlite:PATH, postgres://… or mysql://…");
  }
}
