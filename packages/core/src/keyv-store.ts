/**
 * An {@link IdempotencyStore} on any Keyv adapter plus four atomic primitives.
 *
 * Keyv has no set-if-absent and no compare-and-set, so each backend supplies {@link AtomicOps}
 * on its own client (SQL statements, a Redis script), working on the very rows Keyv owns: same
 * key prefix, same value encoding (`keyv.serialize({ value: record, expires })`). Keyv itself
 * still reads and lists those records, and cleans up expired ones.
 *
 * Every state change is a compare-and-set against the exact encoded value this claim last wrote.
 * That value contains the fencing token, so the comparison is an ownership check in one statement;
 * a stale holder's write matches nothing.
 */
import type Keyv from "keyv";
import { IdempotencyStoreError, isIdempotencyError } from "./errors.js";
import type { DirectStore } from "./direct-store.js";
import { CLAIM_NOW, COMPLETE_NOW } from "./direct-store.js";
import type { ClaimState } from "./held-claim.js";
import { HeldClaim } from "./held-claim.js";
import { deserializeJson, hasDefaultCodec, recordHead, serializeFinished, serializeInProgress, serializeJson } from "./keyv-codec.js";
import { decideClaim, newInProgressRecord } from "./lease.js";
import type { CompletedRecord, FailedRecord, IdempotencyRecord, InProgressRecord } from "./record.js";
import { isIdempotencyRecord, physicalExpiry } from "./record.js";
import type { Acquired, ClaimRequest, ClaimResult, Completion, FinalFailure, IdempotencyStore, ListOptions } from "./store.js";

/** The answer of {@link AtomicOps.insertIfAbsent}. */
export type InsertResult = { inserted: true } | { inserted: false; existing: string | undefined };

/**
 * The atomic primitives a backend provides. `key` is the Keyv key (namespace prefix included).
 * The four state-changing ones may answer directly instead of with a promise; a backend whose
 * every answer is direct (an in-process one) says so with `synchronous: true`.
 */
export interface AtomicOps {
  /** Writes `raw` unless the key exists; else returns the existing raw value (undefined if it vanished meanwhile). */
  insertIfAbsent(key: string, raw: string, expiresAt: number): Promise<InsertResult> | InsertResult;
  /** Replaces the value only if it is exactly `expected`. */
  compareAndSet(key: string, expected: string, raw: string, expiresAt: number): Promise<boolean> | boolean;
  /** Deletes the key only if its value is exactly `expected`. */
  compareAndDelete(key: string, expected: string): Promise<boolean> | boolean;
  /** Reads the raw value without deleting anything. */
  get(key: string): Promise<string | undefined>;
  /**
   * Reads the raw value synchronously (optional): only for backends where that is free and exact
   * (in-process). A claim that finds a record this way skips encoding a claim it would not write.
   */
  peek?(key: string): string | undefined;
  /**
   * True when `insertIfAbsent`, `compareAndSet`, `compareAndDelete` and `peek` all answer
   * directly, never with a promise (in-process backends): with Keyv's default codec the store then
   * claims, completes and releases without an `await` per step.
   */
  readonly synchronous?: boolean;
  /** Lists raw values under the prefix (optional). */
  list?(prefix: string, options?: ListOptions): AsyncIterable<string>;
  /** Deletes records under the prefix whose physical expiry is at or before `before` (optional). */
  purge?(prefix: string, before: number): Promise<number>;
  /** Creates tables, loads scripts; must be idempotent. */
  setup?(): Promise<void>;
  /** Releases the client's connections (the store's `close()` calls it once); optional. */
  close?(): Promise<void>;
}

/** The direct-answer view of a `synchronous` backend's primitives. */
interface DirectOps {
  insertIfAbsent(key: string, raw: string, expiresAt: number): InsertResult;
  compareAndSet(key: string, expected: string, raw: string, expiresAt: number): boolean;
  compareAndDelete(key: string, expected: string): boolean;
  peek?(key: string): string | undefined;
}

/** Options of {@link KeyvBackedStore}. */
export interface KeyvBackedStoreOptions {
  /** The Keyv instance whose namespace and value encoding the records use (Keyv can read them). */
  keyv: Keyv;
  /** The backend's atomic primitives, on the same rows as `keyv`. */
  atomic: AtomicOps;
  /** Shown in error messages: `[agent-idempotency] [store-redis] …`. */
  name: string;
}

const MAX_CLAIM_ROUNDS = 16;

/**
 * The shared implementation behind `MemoryStore`, `KeyvStore` and every store package.
 * Constructing it does no I/O; `setup()` runs once, on first use or when called.
 */
export class KeyvBackedStore implements IdempotencyStore, DirectStore {
  /** The Keyv instance whose rows hold the records: use it to read them the Keyv way. */
  readonly keyv: Keyv;
  /** The backend's atomic primitives, for subclasses that add operations of their own. */
  protected readonly atomic: AtomicOps;
  /** The `name` option: prefixes this store's error messages. */
  readonly storeName: string;
  #ready: Promise<void> | undefined;
  /** Setup has finished: operations skip awaiting it (one promise hop per operation less). */
  #isReady = false;
  #closed = false;
  #fastCodec: boolean;
  /** The backend answers directly and the codec needs no promise: claim, complete and release need none either. */
  #direct: DirectOps | undefined;

  constructor(options: KeyvBackedStoreOptions) {
    this.keyv = options.keyv;
    this.atomic = options.atomic;
    this.storeName = options.name;
    this.#fastCodec = hasDefaultCodec(options.keyv);
    this.#direct = options.atomic.synchronous === true && this.#fastCodec ? (options.atomic as DirectOps) : undefined;
  }

  /** Creates what the backend needs (tables, scripts). Idempotent; called on first use. */
  setup(): Promise<void> {
    this.#ready ??= (async () => {
      try {
        await this.atomic.setup?.();
        this.#isReady = true;
      } catch (cause) {
        this.#ready = undefined; // let a later call try again once the backend is back
        throw this.#wrap("setup", undefined, cause);
      }
    })();
    return this.#ready;
  }

  /** Insert-if-absent, or a compare-and-set over an expired lease or record; see {@link IdempotencyStore.claim}. */
  claim(key: string, req: ClaimRequest): Promise<ClaimResult> {
    try {
      const now = this[CLAIM_NOW](key, req);
      if (now) return Promise.resolve(now);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#claim(key, req);
  }

  /** @internal {@link claim} without a promise, on a backend that answers directly (see direct-store.ts). */
  [CLAIM_NOW](key: string, req: ClaimRequest): ClaimResult | undefined {
    // Only for this very store: a wrapper (`Object.create(store)`) or a subclass that overrides
    // `claim` (fault injection, metrics) must see every claim.
    if (!(#direct in this) || this.claim !== KeyvBackedStore.prototype.claim) return undefined;
    const direct = this.#readyDirect();
    if (!direct) return undefined;
    try {
      return this.#claimDirect(direct, key, req);
    } catch (cause) {
      throw this.#wrap("claim", key, cause);
    }
  }

  async #claim(key: string, req: ClaimRequest): Promise<ClaimResult> {
    // The body of #op inlined: one async frame and one closure less on every guarded call.
    if (this.#closed || !this.#isReady) await this.#ensureReady("claim", key);
    try {
      const k = this.keyvKey(key);
      for (let round = 0; round < MAX_CLAIM_ROUNDS; round++) {
        // A backend that reads for free (memory) answers a replay without first encoding a claim
        // it would not write; what it read is only trusted through the compare-and-set below.
        let raw = this.atomic.peek?.(k);
        let fresh: InProgressRecord | undefined;
        let freshRaw: string | undefined;
        let head: string | undefined;
        if (raw === undefined) {
          fresh = newInProgressRecord(key, req, 1);
          head = this.#headOf(fresh);
          freshRaw = this.#encodeOwn(fresh, req.retentionMs, head) ?? (await this.encode(fresh, req.retentionMs));
          const ins = await this.atomic.insertIfAbsent(k, freshRaw, physicalExpiry(fresh, req.retentionMs));
          if (ins.inserted) return this.#acquired(fresh, freshRaw, req.retentionMs, head);
          if (ins.existing === undefined) continue; // deleted between our insert and read: try again
          raw = ins.existing;
        }
        const existing = this.#fastCodec ? this.#decodeNow(key, deserializeJson(raw)) : await this.decode(key, raw);
        const decision = decideClaim(existing, req);
        if (decision === "existing") return { outcome: "existing", record: existing };
        const next = decision === "takeover" ? newInProgressRecord(key, req, existing.attempt + 1) : (fresh ?? newInProgressRecord(key, req, 1));
        if (next !== fresh) head = this.#headOf(next);
        const nextRaw = next === fresh && freshRaw !== undefined ? freshRaw : (this.#encodeOwn(next, req.retentionMs, head) ?? (await this.encode(next, req.retentionMs)));
        if (await this.atomic.compareAndSet(k, raw, nextRaw, physicalExpiry(next, req.retentionMs))) {
          return this.#acquired(next, nextRaw, req.retentionMs, head, existing);
        }
        // Another caller changed the record between our read and our write: look again.
      }
      throw new IdempotencyStoreError(`[${this.storeName}] claim gave up for key ${key}: the record kept changing`);
    } catch (cause) {
      throw this.#wrap("claim", key, cause);
    }
  }

  /** {@link claim} on a backend that answers directly: the same steps, none of them awaited. */
  #claimDirect(direct: DirectOps, key: string, req: ClaimRequest): ClaimResult {
    const k = this.keyvKey(key);
    for (let round = 0; round < MAX_CLAIM_ROUNDS; round++) {
      let raw = direct.peek?.(k);
      let fresh: InProgressRecord | undefined;
      let freshRaw: string | undefined;
      let head: string | undefined;
      if (raw === undefined) {
        fresh = newInProgressRecord(key, req, 1);
        head = this.#headOf(fresh);
        freshRaw = this.#encodeOwn(fresh, req.retentionMs, head)!;
        const ins = direct.insertIfAbsent(k, freshRaw, physicalExpiry(fresh, req.retentionMs));
        if (ins.inserted) return this.#acquired(fresh, freshRaw, req.retentionMs, head);
        if (ins.existing === undefined) continue;
        raw = ins.existing;
      }
      const existing = this.#decodeNow(key, deserializeJson(raw));
      const decision = decideClaim(existing, req);
      if (decision === "existing") return { outcome: "existing", record: existing };
      const next = decision === "takeover" ? newInProgressRecord(key, req, existing.attempt + 1) : (fresh ?? newInProgressRecord(key, req, 1));
      if (next !== fresh) head = this.#headOf(next);
      const nextRaw = next === fresh && freshRaw !== undefined ? freshRaw : this.#encodeOwn(next, req.retentionMs, head)!;
      if (direct.compareAndSet(k, raw, nextRaw, physicalExpiry(next, req.retentionMs))) return this.#acquired(next, nextRaw, req.retentionMs, head, existing);
    }
    throw new IdempotencyStoreError(`[${this.storeName}] claim gave up for key ${key}: the record kept changing`);
  }

  /** Replaces the claim's record with the completed one if it still holds it; see {@link IdempotencyStore.complete}. */
  complete(claim: Acquired, outcome: Completion): Promise<boolean> {
    try {
      const now = this[COMPLETE_NOW](claim, outcome);
      if (now !== undefined) return Promise.resolve(now);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#replace("complete", claim, this.#completed(claim, outcome), true);
  }

  /** @internal {@link complete} without a promise, on a backend that answers directly (see direct-store.ts). */
  [COMPLETE_NOW](claim: Acquired, outcome: Completion): boolean | undefined {
    if (!(#direct in this) || this.complete !== KeyvBackedStore.prototype.complete) return undefined;
    const known = HeldClaim.state(claim, this);
    const direct = known && known.tail === undefined ? this.#readyDirect() : undefined;
    return direct ? this.#replaceDirect(direct, claim, known!, this.#completed(claim, outcome)) : undefined;
  }

  #completed(claim: Acquired, outcome: Completion): CompletedRecord {
    const r = claim.record;
    // One literal, not a spread of the claim's fields: V8 builds a spread object on a slow path
    // (2.6 us of a 20 us guarded call).
    const record: CompletedRecord = {
      v: r.v,
      key: r.key,
      scope: r.scope,
      action: r.action,
      fingerprint: r.fingerprint,
      token: r.token,
      attempt: r.attempt,
      claimedAt: r.claimedAt,
      status: "completed",
      value: outcome.value,
      responseId: outcome.responseId,
      completedAt: outcome.now,
      expiresAt: outcome.now + outcome.ttlMs,
    };
    return record;
  }

  /** Replaces the claim's record with the failed one if it still holds it; see {@link IdempotencyStore.fail}. */
  fail(claim: Acquired, failure: FinalFailure): Promise<boolean> {
    const r = claim.record;
    const record: FailedRecord = {
      v: r.v,
      key: r.key,
      scope: r.scope,
      action: r.action,
      fingerprint: r.fingerprint,
      token: r.token,
      attempt: r.attempt,
      claimedAt: r.claimedAt,
      status: "failed",
      error: failure.error,
      completedAt: failure.now,
      expiresAt: failure.now + failure.ttlMs,
    };
    return this.#replace("fail", claim, record, true);
  }

  /** Extends the lease to `now + leaseMs` if the claim still holds it, and updates `claim.record`. */
  heartbeat(claim: Acquired, lease: { now: number; leaseMs: number }): Promise<boolean> {
    const record: InProgressRecord = { ...claim.record, leaseUntil: lease.now + lease.leaseMs };
    return this.#replace("heartbeat", claim, record, false).then((ok) => {
      if (ok) (claim.record as { leaseUntil: number }).leaseUntil = record.leaseUntil;
      return ok;
    });
  }

  /** Deletes the claim's record if it still holds it, so the next call runs; see {@link IdempotencyStore.release}. */
  release(claim: Acquired): Promise<boolean> {
    const direct = this.#readyDirect();
    const known = direct && HeldClaim.state(claim, this);
    if (known && known.tail === undefined) {
      try {
        const ok = direct!.compareAndDelete(this.keyvKey(claim.key), known.raw);
        if (ok) HeldClaim.forget(claim);
        return Promise.resolve(ok);
      } catch (cause) {
        return Promise.reject(this.#wrap("release", claim.key, cause));
      }
    }
    return this.#serial("release", claim, async (state) => {
      const ok = await this.atomic.compareAndDelete(this.keyvKey(claim.key), state.raw);
      if (ok) HeldClaim.forget(claim);
      return ok;
    });
  }

  /** Reads the record under `key` (expired ones included); throws when the value there is not a record. */
  async get(key: string): Promise<IdempotencyRecord | undefined> {
    return this.#op("get", key, async () => {
      const raw = await this.atomic.get(this.keyvKey(key));
      return raw === undefined ? undefined : this.decode(key, raw);
    });
  }

  /**
   * Every record under the namespace, in no particular order, skipping values that are not records;
   * throws when the backend cannot list.
   */
  async *list(options?: ListOptions): AsyncIterable<IdempotencyRecord> {
    if (!this.atomic.list) throw new IdempotencyStoreError(`[${this.storeName}] list is not supported`);
    await this.setup();
    // The limit counts records, so it is applied here, after foreign values are skipped; breaking
    // out of the loop stops the backend's (lazy, paged) listing.
    const limit = options?.limit ?? Number.POSITIVE_INFINITY;
    if (limit <= 0) return;
    let n = 0;
    for await (const raw of this.atomic.list(this.keyvKey(""))) {
      const decoded = await this.parse(raw);
      if (!decoded || !isIdempotencyRecord(decoded.value)) continue;
      yield decoded.value;
      if (++n >= limit) return;
    }
  }

  /** Deletes records whose physical expiry is at or before `before`; throws when the backend cannot purge. */
  async purge(options: { before: number }): Promise<number> {
    if (!this.atomic.purge) throw new IdempotencyStoreError(`[${this.storeName}] purge is not supported`);
    return this.#op("purge", undefined, () => this.atomic.purge!(this.keyvKey(""), options.before));
  }

  /** Closes the backend's connections; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.atomic.close?.();
  }

  /** The key as Keyv stores it: `namespace:key`, exactly as `keyv.get(key)` looks it up. */
  keyvKey(key: string): string {
    const ns = this.keyv.namespace;
    return this.keyv.useKeyPrefix && ns ? `${ns}:${key}` : key;
  }

  /** Keyv's value encoding: `{ value, expires }` through the instance's serializer. */
  protected async encode(record: IdempotencyRecord, retentionMs: number): Promise<string> {
    const data = { value: record, expires: physicalExpiry(record, retentionMs) };
    if (this.#fastCodec) return serializeJson(data);
    const raw = this.keyv.serialize ? await this.keyv.serialize(data) : JSON.stringify(data);
    if (typeof raw !== "string") throw new IdempotencyStoreError(`[${this.storeName}] the Keyv serializer must return a string`);
    return raw;
  }

  /** Keyv's `{ value, expires }` from a stored string. */
  protected async parse(raw: string): Promise<{ value?: unknown; expires?: number | null } | undefined> {
    if (this.#fastCodec) return deserializeJson(raw);
    return this.keyv.deserialize ? await this.keyv.deserialize(raw) : JSON.parse(raw);
  }

  /** Parses a stored string and validates it as a record; throws {@link IdempotencyStoreError} when it is not one. */
  protected async decode(key: string, raw: string): Promise<IdempotencyRecord> {
    return this.#decodeNow(key, await this.parse(raw));
  }

  /** The start of the text of every record a claim writes (keyv-codec.ts), for Keyv's default codec. */
  #headOf(record: IdempotencyRecord): string | undefined {
    return this.#fastCodec ? recordHead(record) : undefined;
  }

  /**
   * {@link encode} of a record of a claim whose text starts with `head`, printed from its pieces
   * instead of a walk of the whole record. Undefined for any codec other than Keyv's default.
   */
  #encodeOwn(record: IdempotencyRecord, retentionMs: number, head: string | undefined): string | undefined {
    if (!this.#fastCodec) return undefined;
    const expires = physicalExpiry(record, retentionMs);
    if (head === undefined) return serializeJson({ value: record, expires });
    return record.status === "in_progress" ? serializeInProgress(head, record, expires) : serializeFinished(head, record, expires);
  }

  #decodeNow(key: string, data: { value?: unknown } | undefined): IdempotencyRecord {
    if (!data || !isIdempotencyRecord(data.value)) {
      throw new IdempotencyStoreError(`[${this.storeName}] the value under key ${key} is not an idempotency record; is another application using this namespace?`);
    }
    return data.value;
  }

  #acquired(record: InProgressRecord, raw: string, retentionMs: number, head: string | undefined, previous?: IdempotencyRecord): ClaimResult {
    const claim = new HeldClaim(record, this, { raw, retentionMs, tail: undefined, head });
    return previous === undefined ? { outcome: "claimed", claim } : { outcome: "claimed", claim, previous };
  }

  /** The direct-answer backend, when this store is set up, open and has one. */
  #readyDirect(): DirectOps | undefined {
    return this.#isReady && !this.#closed ? this.#direct : undefined;
  }

  #replace(op: string, claim: Acquired, record: IdempotencyRecord, final: boolean): Promise<boolean> {
    const known = HeldClaim.state(claim, this);
    const direct = this.#readyDirect();
    if (known && known.tail === undefined && direct) {
      try {
        return Promise.resolve(this.#replaceDirect(direct, claim, known, record));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    if (known && known.tail === undefined) {
      // Nothing queued on this claim (a complete right after its claim): run it at once.
      const run = this.#compareAndSet(op, claim, known, record, final);
      known.tail = run;
      return run;
    }
    return this.#serial(op, claim, (state) => this.#compareAndSet(op, claim, state, record, final));
  }

  /** {@link #compareAndSet} on a backend that answers directly: nothing queued, nothing can interleave. */
  #replaceDirect(direct: DirectOps, claim: Acquired, known: ClaimState, record: IdempotencyRecord): boolean {
    // complete and fail write their outcome (final); a heartbeat extends the claim.
    const final = record.status !== "in_progress";
    try {
      const raw = this.#encodeOwn(record, known.retentionMs, known.head)!;
      const ok = direct.compareAndSet(this.keyvKey(claim.key), known.raw, raw, physicalExpiry(record, known.retentionMs));
      if (ok && final) HeldClaim.forget(claim);
      else if (ok) known.raw = raw;
      return ok;
    } catch (cause) {
      throw this.#wrap(record.status === "completed" ? "complete" : record.status === "failed" ? "fail" : "heartbeat", claim.key, cause);
    }
  }

  /** Writes `record` over the value this claim last wrote, as one compare-and-set. */
  async #compareAndSet(op: string, claim: Acquired, state: ClaimState, record: IdempotencyRecord, final: boolean): Promise<boolean> {
    if (this.#closed || !this.#isReady) await this.#ensureReady(op, claim.key);
    try {
      const raw = this.#encodeOwn(record, state.retentionMs, state.head) ?? (await this.encode(record, state.retentionMs));
      const expiresAt = physicalExpiry(record, state.retentionMs);
      const ok = await this.atomic.compareAndSet(this.keyvKey(claim.key), state.raw, raw, expiresAt);
      if (ok && final) HeldClaim.forget(claim);
      else if (ok) state.raw = raw;
      return ok;
    } catch (cause) {
      throw this.#wrap(op, claim.key, cause);
    }
  }

  /** Runs operations on one claim in order, each a compare-and-set against the value it last wrote. */
  #serial(op: string, claim: Acquired, fn: (state: ClaimState) => Promise<boolean>): Promise<boolean> {
    const known = HeldClaim.state(claim, this);
    if (!known) {
      return this.#op(op, claim.key, async () => {
        const state = await this.#adopt(claim);
        return state ? fn(state) : false;
      });
    }
    const go = () => (HeldClaim.state(claim, this) === known ? this.#op(op, claim.key, () => fn(known)) : false);
    // The first operation on a claim starts at once; later ones queue behind the previous one,
    // whatever its outcome (the caller of each sees its own rejection).
    const run = known.tail ? known.tail.then(go, go) : Promise.resolve(go());
    known.tail = run;
    return run;
  }

  /**
   * A claim this instance did not hand out, or one it already finished: it is still ours only if
   * the stored record is in progress under the same token. Costs one extra read.
   */
  async #adopt(claim: Acquired): Promise<ClaimState | undefined> {
    const raw = await this.atomic.get(this.keyvKey(claim.key));
    if (raw === undefined) return undefined;
    const data = await this.parse(raw);
    const current = data?.value;
    if (!isIdempotencyRecord(current) || current.status !== "in_progress" || current.token !== claim.token) return undefined;
    const retentionMs = typeof data?.expires === "number" ? Math.max(0, data.expires - current.leaseUntil) : 0;
    return { raw, retentionMs, tail: Promise.resolve(), head: undefined };
  }

  async #op<T>(op: string, key: string | undefined, fn: () => Promise<T>): Promise<T> {
    if (this.#closed || !this.#isReady) await this.#ensureReady(op, key);
    try {
      return await fn();
    } catch (cause) {
      throw this.#wrap(op, key, cause);
    }
  }

  /** Refuses operations after close(), and runs setup() once before the first one. */
  async #ensureReady(op: string, key: string | undefined): Promise<void> {
    if (this.#closed) throw new IdempotencyStoreError(`[${this.storeName}] ${op} after close()`);
    try {
      await this.setup();
    } catch (error) {
      // Name the operation the caller asked for, with the driver's error (not setup's wrapper) as cause.
      const cause = isIdempotencyError(error, "STORE_FAILED") && error.cause !== undefined ? error.cause : error;
      throw new IdempotencyStoreError(`[${this.storeName}] ${op} failed${key === undefined ? "" : ` for key ${key}`}: the store could not be set up`, { cause });
    }
  }

  #wrap(op: string, key: string | undefined, cause: unknown): Error {
    if (isIdempotencyError(cause)) return cause;
    return new IdempotencyStoreError(`[${this.storeName}] ${op} failed${key === undefined ? "" : ` for key ${key}`}`, { cause });
  }
}
