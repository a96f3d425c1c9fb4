/**
 * {@link RedisStore}: the shared, multi-machine idempotency store on Redis (>= 7.0) through
 * `@keyv/redis`. Records are ordinary Keyv entries under `<prefix>::<prefix>:<key>`; the claim is
 * one `SET … NX PXAT … GET`, and every later state change one Lua compare-and-set on the exact
 * value the claim wrote (see atomic.ts).
 */
import { IdempotencyStoreError } from "@agent-idempotency/core";
import { KeyvBackedStore } from "@agent-idempotency/core/store";
import Keyv from "keyv";
import type { ReplicaAck } from "./atomic.js";
import { redisAtomicOps } from "./atomic.js";
import { DEFAULT_PREFIX, validatePrefix } from "./prefix.js";
import type { RedisClient, RedisCluster } from "./raw-client.js";
import { RawClient } from "./raw-client.js";

/** Options of {@link RedisStore}. Pass `url`, `rootNodes` or `client`. */
export interface RedisStoreOptions {
  /** `redis://[user:password@]host[:port][/db]` or `rediss://…`; the store opens and closes its own client. */
  url?: string;
  /**
   * Redis Cluster (or Valkey cluster): URLs of its nodes, `redis://host:port`. Any one that answers
   * is enough to find the others, so list several (all masters, ideally): after a failover the
   * store reads the slot map again from them. The store opens and closes its own cluster client.
   */
  rootNodes?: string[];
  /**
   * A node-redis 5 client you own: `createClient()` (standalone) or `createCluster()` (Redis
   * Cluster). The store connects it if it is not open yet and never closes it.
   */
  client?: RedisClient | RedisCluster;
  /**
   * Wait after every write until this many replicas have it (`WAIT replicas timeoutMs`), and fail
   * the call when fewer acknowledge in time. Without it, replication is asynchronous: a master
   * that dies right after acknowledging a claim can lose it in the failover. Costs a round trip
   * per write plus the replication delay, and holds the connection meanwhile. Default: off.
   */
  waitForReplicas?: { replicas: number; timeoutMs: number };
  /**
   * The Keyv namespace the records live under; Redis keys are `<prefix>::<prefix>:<key>`, which is
   * where `new Keyv(new KeyvRedis(url), { namespace: prefix })` reads. Letters, digits, `_ - .`
   * and single `:`. Default `"idempotency"`.
   */
  prefix?: string;
  /** Keyv's name for {@link RedisStoreOptions.prefix}; give one of the two (or both, equal). */
  namespace?: string;
  /** `CLIENT SETNAME` of the client the store opens (shows in `CLIENT LIST`). Default `"agent-idempotency"`. */
  clientName?: string;
  /**
   * How long a call waits for a connection: all attempts and the handshake (a server that accepts
   * connections but never answers fails the call). Also each attempt's TCP timeout of the store's
   * own client. Default 2000.
   */
  connectTimeoutMs?: number;
  /**
   * Timeout of each command of the store's own client, so a server that accepts connections but
   * stops answering fails calls (closed) instead of hanging them. It counts from when the command
   * is queued, so a burst of thousands of concurrent calls in one process spends part of it
   * waiting locally. Default 10000.
   */
  commandTimeoutMs?: number;
}

const NAME = "store-redis";
const CLIENT_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

function fail(message: string): never {
  throw new IdempotencyStoreError(`[${NAME}] ${message}`);
}

function positiveMs(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) fail(`invalid option ${option}: expected a positive number of milliseconds`);
  return value;
}

function checkUrl(option: string, url: unknown): void {
  if (typeof url !== "string") fail(`invalid option ${option}: expected redis://host:port or rediss://host:port`);
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    fail(`invalid option ${option}: not a URL; expected redis://host:port or rediss://host:port`);
  }
  if (protocol !== "redis:" && protocol !== "rediss:") fail(`invalid option ${option}: the scheme must be redis: or rediss:, not ${protocol}`);
}

function checkReplicaAck(value: unknown): ReplicaAck | undefined {
  if (value === undefined) return undefined;
  const v = value as Partial<ReplicaAck> | null;
  if (typeof v !== "object" || v === null || !Number.isInteger(v.replicas) || v.replicas! < 1 || !Number.isInteger(v.timeoutMs) || v.timeoutMs! < 1) {
    fail("invalid option waitForReplicas: expected { replicas: integer >= 1, timeoutMs: integer >= 1 } (WAIT 0 would wait forever)");
  }
  return { replicas: v.replicas!, timeoutMs: v.timeoutMs! };
}

/** Checks the options; returns the prefix. Never echoes the URL (it may hold a password). */
function checkOptions(options: RedisStoreOptions): string {
  if (typeof options !== "object" || options === null) fail("new RedisStore(options): options must be an object with url, rootNodes or client");
  const { url, rootNodes, client, prefix, namespace, clientName } = options;
  if ([url, rootNodes, client].filter((x) => x !== undefined).length > 1) fail("pass one of url, rootNodes and client");
  if (rootNodes !== undefined) {
    if (!Array.isArray(rootNodes) || rootNodes.length === 0) fail("invalid option rootNodes: expected a non-empty array of redis://host:port URLs");
    rootNodes.forEach((u, i) => checkUrl(`rootNodes[${i}]`, u));
  } else if (client === undefined) {
    checkUrl("url", url);
  } else if (typeof (client as { sendCommand?: unknown }).sendCommand !== "function") {
    fail("invalid option client: expected a node-redis 5 client (createClient() or createCluster() from redis or @redis/client)");
  }
  if (clientName !== undefined && (typeof clientName !== "string" || !CLIENT_NAME.test(clientName))) {
    fail('invalid option clientName: use 1-64 letters, digits, "_", "-", "." or ":"');
  }
  if (prefix !== undefined && namespace !== undefined && prefix !== namespace) {
    fail("options prefix and namespace name the same thing (the Keyv namespace) and differ; give one");
  }
  return prefix !== undefined ? validatePrefix("prefix", prefix) : validatePrefix("namespace", namespace ?? DEFAULT_PREFIX);
}

/**
 * An {@link IdempotencyStore} on Redis >= 7.0 (a standalone server or a Redis Cluster), shared by
 * every process and machine that points at the same server and prefix. The claim is atomic on the server (`SET … NX`), complete / fail /
 * release / heartbeat are owner-checked Lua scripts, and expiry is native (`PXAT`).
 *
 * Constructing it does no I/O: it connects on first use (or `setup()`), and fails closed with
 * {@link IdempotencyStoreError} when Redis cannot be reached; the next call reconnects.
 *
 * @example
 * ```ts
 * import { createIdempotency } from "@agent-idempotency/core";
 * import { RedisStore } from "@agent-idempotency/store-redis";
 *
 * const store = new RedisStore({ url: "redis://127.0.0.1:6379", prefix: "billing" });
 * const idempotency = createIdempotency({ store, tools: { charge_card: { identity: ["order_id"] } } });
 * const out = await idempotency.run(
 *   { action: "charge_card", args: { order_id: "o-1", cents: 500 }, sessionId: "s-1" },
 *   async ({ key }) => ({ charge_id: `ch_${key!.slice(0, 8)}` }),
 * );
 * console.log(out.replayed); // false the first time, true on every retry
 * await store.close();
 * ```
 */
export class RedisStore extends KeyvBackedStore {
  /** The Keyv namespace (and Redis key prefix) the records live under. */
  readonly prefix: string;
  readonly #raw: RawClient;

  constructor(options: RedisStoreOptions) {
    const prefix = checkOptions(options);
    const ack = checkReplicaAck(options.waitForReplicas);
    const raw = new RawClient({
      url: options.url,
      rootNodes: options.rootNodes,
      client: options.client,
      clientName: options.clientName ?? "agent-idempotency",
      connectTimeoutMs: positiveMs("connectTimeoutMs", options.connectTimeoutMs, 2000),
      commandTimeoutMs: positiveMs("commandTimeoutMs", options.commandTimeoutMs, 10_000),
    });
    // The same construction a plain Keyv reader uses, so keys and encoding match by definition.
    // throwOnErrors: Keyv would otherwise turn adapter failures into `error` events and return
    // undefined, which would read as "no record" to anyone using `store.keyv` directly.
    const keyv = new Keyv(raw.adapter, { namespace: prefix, throwOnErrors: true });
    super({ keyv, atomic: redisAtomicOps(raw, ack), name: NAME });
    this.prefix = prefix;
    this.#raw = raw;
  }

  /** The Redis key that holds `key`'s record (`<prefix>::<prefix>:<key>`), for `redis-cli` and ops. */
  redisKey(key: string): string {
    return this.#raw.redisKey(this.keyvKey(key));
  }

  /** True when the store runs on a Redis Cluster client. */
  get cluster(): boolean {
    return this.#raw.cluster;
  }

  /** Keeps the client out of `JSON.stringify` (and out of logs). */
  toJSON(): { store: string; prefix: string; ownsClient: boolean; cluster?: true } {
    return { store: NAME, prefix: this.prefix, ownsClient: this.#raw.owned, ...(this.#raw.cluster ? { cluster: true as const } : {}) };
  }
}
