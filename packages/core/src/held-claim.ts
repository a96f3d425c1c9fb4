/**
 * A claim as a {@link KeyvBackedStore} hands it out: the public {@link Acquired} fields, plus what
 * the store needs to act on it later (the exact value it last wrote, the retention, the queue of
 * operations on it) in private fields. Before, a `WeakMap` from claim to that state cost an
 * ephemeron entry per guarded call, set on claim and deleted on complete. A copy of a claim (a
 * spread, a claim from another store instance) carries no state: the store then adopts it by
 * reading the record, as it always did.
 */
import type { InProgressRecord } from "./record.js";
import type { Acquired } from "./store.js";

/** What a store knows about a claim it handed out. */
export interface ClaimState {
  /** The exact value this claim last wrote: every compare-and-set compares against it. */
  raw: string;
  /** How long the record outlives its lease, kept across heartbeats. */
  retentionMs: number;
  /** Operations on one claim run in order, so a heartbeat never races its own complete. */
  tail: Promise<unknown> | undefined;
  /** The start of the text of every record this claim writes (keyv-codec.ts `recordHead`); undefined: print each whole. */
  head: string | undefined;
}

export class HeldClaim implements Acquired {
  readonly key: string;
  readonly token: string;
  readonly attempt: number;
  readonly record: InProgressRecord;
  #owner: object | undefined;
  #state: ClaimState;

  constructor(record: InProgressRecord, owner: object, state: ClaimState) {
    this.key = record.key;
    this.token = record.token;
    this.attempt = record.attempt;
    this.record = record;
    this.#owner = owner;
    this.#state = state;
  }

  /** The state of `claim` if `owner` handed it out and it is not finished; undefined otherwise. */
  static state(claim: Acquired, owner: object): ClaimState | undefined {
    return claim instanceof HeldClaim && claim.#owner === owner ? claim.#state : undefined;
  }

  /** `claim` is finished (completed, failed, released): later operations on it adopt it or fail. */
  static forget(claim: Acquired): void {
    if (claim instanceof HeldClaim) claim.#owner = undefined;
  }
}
