/**
 * The state of the first flag (one key, several response ids). Per key, only what the flag needs
 * until a second response id shows up: the first response id, when it was seen and whether the key
 * was sent, in parallel arrays indexed from one Map (about 150 bytes a key, instead of an object
 * per key). Evidence objects are built only for keys that turn out to be flagged.
 */
import type { AuditEntry } from "./entry.js";
import type { KeyWithSeveralResponses } from "./report-types.js";

/** @internal */
export class KeyTable {
  readonly index = new Map<string, number>();
  readonly firstResponse: string[] = [];
  readonly firstTs: number[] = [];
  readonly action: number[] = [];
  readonly session: number[] = [];
  readonly sent: boolean[] = [];
  readonly flagged = new Map<number, KeyWithSeveralResponses>();
  /** Action and session names are few; keys refer to them by number. */
  readonly names: string[] = [];
  readonly nameIndex = new Map<string, number>();
  #oldest = 0;

  name(s: string): number {
    let i = this.nameIndex.get(s);
    if (i === undefined) {
      i = this.names.push(s) - 1;
      this.nameIndex.set(s, i);
    }
    return i;
  }

  /** An entry under `key` that carries `responseId`; `keySent`: whether the tool received the key. */
  see(e: AuditEntry, key: string, responseId: string, keySent: boolean): void {
    const i = this.index.get(key);
    if (i === undefined) {
      this.index.set(key, this.firstResponse.push(responseId) - 1);
      this.firstTs.push(e.ts);
      this.action.push(this.name(e.action_type));
      this.session.push(this.name(e.session_id));
      this.sent.push(keySent);
      return;
    }
    let flag = this.flagged.get(i);
    if (!flag) {
      if (this.firstResponse[i] === responseId) {
        if (!keySent) this.sent[i] = false;
        return;
      }
      const sent = this.sent[i]!;
      flag = {
        kind: "one_key_several_response_ids",
        action_type: this.names[this.action[i]!]!,
        idempotency_key: key,
        response_ids: [this.firstResponse[i]!],
        sessions: [this.names[this.session[i]!]!],
        first_ts: this.firstTs[i]!,
        last_ts: this.firstTs[i]!,
        key_sent: sent,
        cause: sent ? "key_ignored_or_record_lost" : "no_guard",
      };
      this.flagged.set(i, flag);
    }
    if (!keySent && flag.key_sent) {
      flag.key_sent = false;
      flag.cause = "no_guard";
    }
    if (!flag.response_ids.includes(responseId)) flag.response_ids.push(responseId);
    if (!flag.sessions.includes(e.session_id)) flag.sessions.push(e.session_id);
    flag.first_ts = Math.min(flag.first_ts, e.ts);
    flag.last_ts = Math.max(flag.last_ts, e.ts);
  }

  /** Forgets unflagged keys first seen before `horizon` (entries arrive in time order). */
  forgetBefore(horizon: number): void {
    if (this.firstTs[this.#oldest] === undefined || this.firstTs[this.#oldest]! >= horizon) return;
    for (const [key, i] of this.index) {
      if (this.firstTs[i]! < horizon && !this.flagged.has(i)) this.index.delete(key);
    }
    // Compact the arrays so that the memory is really given back.
    const keep = [...this.index];
    const old = { r: this.firstResponse.slice(), t: this.firstTs.slice(), a: this.action.slice(), s: this.session.slice(), k: this.sent.slice() };
    const flagged = new Map<number, KeyWithSeveralResponses>();
    this.firstResponse.length = this.firstTs.length = this.action.length = this.session.length = this.sent.length = 0;
    this.index.clear();
    for (const [key, i] of keep) {
      const j = this.firstResponse.push(old.r[i]!) - 1;
      this.firstTs.push(old.t[i]!);
      this.action.push(old.a[i]!);
      this.session.push(old.s[i]!);
      this.sent.push(old.k[i]!);
      this.index.set(key, j);
      const f = this.flagged.get(i);
      if (f) flagged.set(j, f);
    }
    this.flagged.clear();
    for (const [j, f] of flagged) this.flagged.set(j, f);
    this.#oldest = 0;
    let min = Number.POSITIVE_INFINITY;
    this.firstTs.forEach((t, j) => {
      if (t < min) (min = t), (this.#oldest = j);
    });
  }
}
