/**
 * The only file that reaches into `@keyv/redis` and its node-redis client.
 *
 * Pinned: `@keyv/redis` 5.x (on `@redis/client` 5.x), `keyv` 5.x. What this file relies on:
 * - `new KeyvRedis(client, options)` uses the given client as is, and adds `error`, `connect`,
 *   `disconnect` and `reconnecting` listeners to it (removed again in {@link RawClient.close}, so
 *   an injected client does not collect listeners from every store built on it);
 * - the adapter builds Redis keys as `createKeyPrefix(key, namespace)` =
 *   `<namespace>::<key>` ("::" is its `keyPrefixSeparator`), where `namespace` is set by the Keyv
 *   instance that wraps it and `key` already carries Keyv's own `<namespace>:` prefix. A record
 *   therefore lives under `<ns>::<ns>:<key>`, exactly where `new Keyv(new KeyvRedis(url),
 *   { namespace: ns }).get(key)` looks;
 * - `throwOnErrors` / `throwOnConnectError` make the adapter throw instead of turning failures
 *   into `error` events (its default swallows them).
 * - Redis Cluster: a node-redis `createCluster()` client (the adapter tells it by its `slots`)
 *   routes a command by its first key (`sendCommand(key, readonly, args)`), follows MOVED and ASK,
 *   and reads the topology again (`_slots.rediscover`, public in 5.x) only on a MOVED. A master
 *   that dies leaves its node client reconnecting to a dead address, so on a connection error we
 *   ask it to rediscover ourselves (see {@link RawClient.send}).
 * If a new major changes any of this, the conformance suite's Keyv round-trip case fails.
 */
import KeyvRedis, { createClient, createCluster } from "@keyv/redis";
import type { RedisClientType, RedisClusterType } from "@keyv/redis";
import { CommandDeadlines } from "./command-deadlines.js";
import type { LuaScript } from "./scripts.js";

/** A node-redis 5 client, as `createClient()` from `redis` or `@redis/client` returns it (standalone, not cluster). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RedisClient = RedisClientType<any, any, any, any, any>;

/** A node-redis 5 Redis Cluster client, as `createCluster()` from `redis` or `@redis/client` returns it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RedisCluster = RedisClusterType<any, any, any, any, any>;

/** Sends one command to one node (a standalone server, or one master of a cluster). */
export type NodeSender = <T>(args: readonly string[]) => Promise<T>;

/** True for node-redis cluster clients (what `@keyv/redis` checks too). */
export function isCluster(client: unknown): client is RedisCluster {
  return typeof client === "object" && client !== null && (client as { slots?: unknown }).slots !== undefined;
}

/**
 * Replies that say the cluster is changing under us, and errors that are no reply at all (a dead
 * connection, a timeout): after them the slot map may be stale. Other replies (WRONGTYPE,
 * NOSCRIPT) are about the command.
 */
function topologyMayHaveChanged(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /^(CLUSTERDOWN|TRYAGAIN|MASTERDOWN|READONLY|LOADING)\b/.test(message) || !/^[A-Z][A-Z_]+\b/.test(message);
}
/** How {@link RawClient} gets its connection. */
export interface RawClientOptions {
  /** Connect to this URL with a client this instance owns (and closes). */
  url?: string | undefined;
  /** Redis Cluster: connect to these nodes (URLs) with a cluster client this instance owns. */
  rootNodes?: readonly string[] | undefined;
  /** Use this client (standalone or cluster); the caller keeps owning it (it is never closed here). */
  client?: RedisClient | RedisCluster | undefined;
  /** `CLIENT SETNAME` of an owned client. */
  clientName: string;
  /** How long a call waits for a connection (attempts and handshake); also each attempt's TCP timeout of an owned client. */
  connectTimeoutMs: number;
  /** Per command, owned client only (an injected client keeps its own settings). */
  commandTimeoutMs: number;
}

/** Replies with node-redis's default type mapping (strings, numbers, arrays); one object for every command. */
const DEFAULT_TYPES = Object.freeze({ typeMapping: {} });

/** Connection attempts before an owned client gives up and the operation fails (3 in all: t=0, +100 ms, +200 ms). */
const RECONNECT_RETRIES = 2;

const ADAPTER_EVENTS = ["error", "connect", "disconnect", "reconnecting"] as const;

type Listener = (...args: unknown[]) => void;

/**
 * Fail-closed reconnects: a few quick retries, then give up with the socket error, so a call
 * against a dead server fails within about a third of a second (plus connect timeouts) instead
 * of waiting in node-redis's endless default loop. The next operation connects again, so the
 * store recovers by itself once the server is back.
 */
function reconnectStrategy(retries: number, cause: Error): number | Error {
  return retries >= RECONNECT_RETRIES ? cause : 100 * 2 ** retries;
}

/**
 * A cluster's node clients never give up (a node client that gave up would stay closed in the
 * slot map until the next MOVED); with the offline queue disabled, commands to a node that is
 * down still fail at once, and a failover is found by rediscovery.
 */
const clusterReconnectStrategy = (retries: number): number => Math.min(100 * 2 ** retries, 2000);

/** At most one topology refresh per this many ms, however many commands fail at once. */
const REDISCOVER_EVERY_MS = 250;

/** The Redis connection a store runs its atomic steps on, plus the Keyv adapter over the same client. */
export class RawClient {
  /** The Keyv adapter, over the very same client. */
  readonly adapter: KeyvRedis<string>;
  readonly #client: RedisClient;
  /** The same client as {@link RawClient.#client} when it is a cluster client. */
  readonly #cluster: RedisCluster | undefined;
  readonly #rootNodes: readonly string[];
  #lastRediscover = 0;
  readonly #owned: boolean;
  readonly #adapterListeners: Array<[string, Listener]> = [];
  /** Owned client only: an injected client keeps whatever timeouts its owner configured. */
  readonly #deadlines: CommandDeadlines | undefined;
  readonly #connectTimeoutMs: number;
  #connecting: Promise<void> | undefined;
  /** When the owned client lost its connection and started reconnecting on its own; undefined while ready. */
  #reconnectingSince: number | undefined;
  #closed = false;

  constructor(options: RawClientOptions) {
    this.#owned = options.client === undefined;
    this.#rootNodes = options.rootNodes ?? [];
    this.#client = (options.client ??
      (options.rootNodes
        ? createCluster({
            rootNodes: options.rootNodes.map((url) => ({ url })),
            defaults: {
              name: options.clientName,
              disableOfflineQueue: true,
              socket: { connectTimeout: options.connectTimeoutMs, reconnectStrategy: clusterReconnectStrategy },
            },
          })
        : createClient({
            url: options.url,
            name: options.clientName,
            // Commands sent while reconnecting fail at once instead of waiting in a queue: a claim
            // must either reach the server now or fail, never run minutes later.
            disableOfflineQueue: true,
            socket: { connectTimeout: options.connectTimeoutMs, reconnectStrategy },
          }))) as unknown as RedisClient;
    this.#cluster = isCluster(this.#client) ? this.#client : undefined;
    this.#deadlines = this.#owned ? new CommandDeadlines(options.commandTimeoutMs) : undefined;
    this.#connectTimeoutMs = options.connectTimeoutMs;
    if (this.#owned) {
      // node-redis throws an `error` event that has no listener; failures reach callers as
      // rejected commands, so the event itself needs nothing more than a listener.
      this.#client.on("error", () => undefined);
      this.#client.on("reconnecting", () => (this.#reconnectingSince ??= performance.now()));
      this.#client.on("ready", () => (this.#reconnectingSince = undefined));
    }
    const before = new Map(ADAPTER_EVENTS.map((e) => [e, new Set(this.#client.listeners(e))]));
    this.adapter = new KeyvRedis(this.#client as never, { throwOnErrors: true, throwOnConnectError: true });
    for (const e of ADAPTER_EVENTS) {
      for (const l of this.#client.listeners(e)) if (!before.get(e)!.has(l)) this.#adapterListeners.push([e, l as Listener]);
    }
  }

  /** True when this instance created the client (and will close it). */
  get owned(): boolean {
    return this.#owned;
  }

  /** The Redis key of a Keyv key (`ns:key` becomes `ns::ns:key`), as the adapter would build it. */
  redisKey(keyvKey: string): string {
    return this.adapter.createKeyPrefix(keyvKey, this.adapter.namespace);
  }

  /** True when the store runs on a Redis Cluster. */
  get cluster(): boolean {
    return this.#cluster !== undefined;
  }

  /**
   * Sends one command; replies come back with node-redis's default type mapping (strings,
   * numbers, arrays). On a cluster, `key` routes it to the master of the key's slot (every
   * command we send names at most one slot); a failure that may mean a failover refreshes the
   * slot map in the background, and the command still fails (closed): the next one goes to the
   * new master.
   */
  send<T>(args: readonly string[], key?: string): Promise<T> {
    // The usual case, a standalone client connected and not connecting: the command is written
    // now, with no await (and no async frame) before it; its reply is one promise hop away.
    if (this.#connecting === undefined && !this.#cluster && this.#client.isReady) {
      const reply = this.#client.sendCommand(args as string[], DEFAULT_TYPES) as Promise<T>;
      return this.#deadlines ? this.#deadlines.track(reply) : reply;
    }
    return this.#sendAfterOpen(args, key);
  }

  async #sendAfterOpen<T>(args: readonly string[], key?: string): Promise<T> {
    await this.#open();
    const cluster = this.#cluster;
    const reply = (cluster ? cluster.sendCommand(key, false, args as string[], DEFAULT_TYPES) : this.#client.sendCommand(args, DEFAULT_TYPES)) as Promise<T>;
    const tracked = this.#deadlines ? this.#deadlines.track(reply) : reply;
    if (!cluster) return tracked;
    return tracked.catch((error: unknown) => {
      if (topologyMayHaveChanged(error)) this.#rediscover(cluster);
      throw error;
    });
  }

  /**
   * One sender per node that holds keys: the server itself, or every master of a cluster, for
   * commands that walk the keyspace (`SCAN`) or must reach every node (`SCRIPT LOAD`, `INFO`).
   */
  async nodes(): Promise<NodeSender[]> {
    await this.#open();
    const cluster = this.#cluster;
    const track = <T>(reply: Promise<unknown>) => (this.#deadlines ? this.#deadlines.track(reply) : reply) as Promise<T>;
    if (!cluster) return [<T>(args: readonly string[]) => track<T>(this.#client.sendCommand(args, { typeMapping: {} }))];
    const clients = await Promise.all(cluster.masters.map((m) => cluster.nodeClient(m)));
    return clients.map((c) => <T>(args: readonly string[]) => track<T>(c.sendCommand(args, { typeMapping: {} })));
  }

  /** Asks a cluster client to read the slot map again, from a live master or a root node; never throws. */
  #rediscover(cluster: RedisCluster): void {
    const now = performance.now();
    if (now - this.#lastRediscover < REDISCOVER_EVERY_MS) return;
    this.#lastRediscover = now;
    const live = cluster.masters.find((m) => (m.client as RedisClient | undefined)?.isReady)?.client;
    const root = this.#rootNodes[0];
    const startWith = live ?? (root ? { options: { url: root } } : cluster.masters[0]?.client);
    const slots = (cluster as unknown as { _slots?: { rediscover(c: unknown): Promise<void> } })._slots;
    if (startWith && slots) slots.rediscover(startWith).catch(() => undefined);
  }

  /**
   * Runs a script by its SHA, loading it with `EVAL` if the server does not have it (a restart,
   * `SCRIPT FLUSH`, a replica just promoted). On a cluster all `keys` must share one slot.
   */
  async evalScript<T>(script: LuaScript, keys: readonly string[], args: readonly string[]): Promise<T> {
    try {
      return await this.send<T>(["EVALSHA", script.sha, String(keys.length), ...keys, ...args], keys[0]);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      return this.send<T>(["EVAL", script.source, String(keys.length), ...keys, ...args], keys[0]);
    }
  }

  /**
   * Disconnects an owned client (gracefully when it is connected) and detaches the adapter's
   * listeners from an injected one, which stays open. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const [event, listener] of this.#adapterListeners) this.#client.off(event, listener);
    if (!this.#owned) return;
    this.#deadlines?.stop();
    // A connect in flight ends within connectTimeoutMs; closing under it could leave a socket behind.
    await this.#connecting?.catch(() => undefined);
    if (!this.#client.isOpen) return;
    // A cluster may hold a node client still reconnecting to a dead master: no graceful close there.
    if (this.#client.isReady && !this.#cluster) await this.#client.close();
    else this.#client.destroy();
  }

  /**
   * Connects on first use, and again after an owned client gave up reconnecting. One connect at a
   * time: node-redis refuses a second `connect()` while one runs, and every caller waits for it.
   */
  async #open(): Promise<void> {
    // While our own connect runs, the socket already counts as open but is not ready yet.
    if (this.#connecting) return this.#connecting;
    if (this.#client.isOpen) {
      // Open but not ready: node-redis is reconnecting in the background after a drop, and the
      // command fails at once (offline queue disabled) rather than wait. If that has gone on for
      // longer than a connect may take (a server that accepts but never answers the handshake),
      // start over, so the store recovers once the server answers again.
      const since = this.#reconnectingSince;
      if (!this.#owned || this.#client.isReady || since === undefined || performance.now() - since < this.#connectTimeoutMs) return;
      this.#client.destroy();
    }
    if (this.#closed) throw new Error("the Redis connection was closed");
    this.#connecting = this.#connect().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  /**
   * `connect()` with a deadline. node-redis bounds the TCP connect (per attempt) but not the
   * handshake after it (`CLIENT SETNAME`, `CLIENT SETINFO`), so a server that accepts connections
   * and never answers would hang the call; fail closed instead, and abort an owned client's attempt.
   */
  async #connect(): Promise<void> {
    const connecting = this.#client.connect();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no connection to Redis within ${this.#connectTimeoutMs} ms`)), this.#connectTimeoutMs);
    });
    try {
      await Promise.race([connecting, deadline]);
      this.#reconnectingSince = undefined;
    } catch (error) {
      connecting.catch(() => undefined); // settles after destroy(); nobody waits for it any more
      if (this.#owned && this.#client.isOpen && !this.#client.isReady) this.#client.destroy();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}
