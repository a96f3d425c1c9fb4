// A deterministic audit log with two planted anomalies inside clean traffic, for the CLI's
// acceptance tests and the 1,000,000-entry benchmark. Plain JavaScript so `node` runs it as is.
//
// Entries are written as the engine writes them: with the scope (a turn), key_sent and the turn.
//
// Planted (exactly these two flags must be reported):
//   A. one key, several response ids: a charge_card key sent to the tool executed twice with
//      different response ids (the record was lost and the upstream ignored the key), then replayed.
//   B. one action, several keys: book_calendar with identical arguments in one session and ONE
//      turn executed under three keys within 45 s (an explicit key made anew for each retry).
// Clean traffic includes the near misses a naive audit would flag: replays, a failure retried
// under the same key, a lease lost and redone with the upstream returning the same id, the same
// call from two sessions, the same call in one session in a new turn 90 s later (outside the
// window) and 30 s later (inside it: listed for review, not flagged), payload mismatches,
// unguarded calls without keys, recoveries and in-progress give-ups.
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { once } from "node:events";

/** @typedef {{ ts: number, action_type: string, idempotency_key?: string, response_id?: string, outcome: string, session_id: string, tool_call_id?: string, fingerprint: string, attempt: number, duration_ms: number, scope?: string, key_sent?: boolean, turn?: string }} AuditEntry */

const DAY = 86_400_000;
const hex = (text, len) => createHash("sha256").update(text).digest("hex").slice(0, len);
export const keyOf = (name) => hex(`key:${name}`, 32);
export const fingerprintOf = (name) => hex(`fp:${name}`, 64);
/** The turn scope of turn `human` in `session`, as IdempotentToolNode writes it. */
export const turnScope = (session, human) => `turn:${JSON.stringify([session, human])}`;
/** The turn marker of the `n`th human message, whose text is `text`. */
const turnOf = (n, text) => `${n}:${hex(text, 16)}`;

/** mulberry32: a tiny seeded PRNG, so every run writes the same log. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A binary min-heap on `ts`, so events scheduled for later come out in time order. */
class Heap {
  items = [];
  push(x) {
    const a = this.items;
    a.push(x);
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (a[p].ts <= a[i].ts) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  peek() {
    return this.items[0];
  }
  pop() {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l].ts < a[m].ts) m = l;
        if (r < a.length && a[r].ts < a[m].ts) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
  get size() {
    return this.items.length;
  }
}

const ACTIONS = [
  { name: "send_email", prefix: "msg" },
  { name: "charge_card", prefix: "ch" },
  { name: "book_calendar", prefix: "evt" },
  { name: "create_ticket", prefix: "tkt" },
];

/**
 * What was planted, so tests can assert the exact evidence.
 * @param {number} start epoch ms of the first entry
 * @param {number} days how many days the log spans
 */
export function plantedAnomalies(start, days) {
  const span = days * DAY;
  const a = start + Math.floor(span * 0.3);
  const b = start + Math.floor(span * 0.5);
  return {
    severalResponses: {
      action_type: "charge_card",
      idempotency_key: keyOf("planted-A"),
      response_ids: ["ch_planted_1", "ch_planted_2"],
      session_id: "sess-planted-A",
      times: [a, a + 600_000],
    },
    severalKeys: {
      action_type: "book_calendar",
      session_id: "sess-planted-B",
      fingerprint: fingerprintOf("planted-B"),
      keys: [keyOf("planted-B-1"), keyOf("planted-B-2"), keyOf("planted-B-3")],
      times: [b, b + 20_000, b + 45_000],
    },
  };
}

/**
 * Yields `entries` audit entries in time order, spread over `days` days from `start`.
 * @param {{ entries: number, start: number, days?: number, seed?: number }} options
 * @returns {Generator<AuditEntry>}
 */
export function* plantedLog({ entries, start, days = 7, seed = 42 }) {
  const random = rng(seed);
  const pick = (n) => Math.floor(random() * n);
  const heap = new Heap();
  const span = days * DAY;
  // About 1.45 entries per logical call with the mix below.
  const gap = span / Math.max(1, entries / 1.45);
  const base = (ts, action, key, session, fp, outcome, extra = {}) => ({
    ts: Math.round(ts),
    action_type: action,
    ...(key === undefined ? {} : { idempotency_key: key }),
    outcome,
    session_id: session,
    tool_call_id: `call_${hex(`${ts}:${outcome}:${key}:${random()}`, 12)}`,
    fingerprint: fp,
    attempt: 1,
    duration_ms: 5 + pick(400),
    ...extra,
  });

  const p = plantedAnomalies(start, days);
  const A = p.severalResponses;
  const inA = { scope: turnScope(A.session_id, "h-A"), key_sent: true, turn: turnOf(1, "A") };
  heap.push(base(A.times[0], A.action_type, A.idempotency_key, A.session_id, fingerprintOf("planted-A"), "executed", { response_id: A.response_ids[0], ...inA }));
  heap.push(base(A.times[1], A.action_type, A.idempotency_key, A.session_id, fingerprintOf("planted-A"), "executed", { response_id: A.response_ids[1], ...inA }));
  heap.push(base(A.times[1] + 5_000, A.action_type, A.idempotency_key, A.session_id, fingerprintOf("planted-A"), "replayed", { response_id: A.response_ids[1], ...inA }));
  const B = p.severalKeys;
  const inB = { scope: turnScope(B.session_id, "h-B"), key_sent: true, turn: turnOf(1, "B") };
  B.keys.forEach((key, i) =>
    heap.push(base(B.times[i], B.action_type, key, B.session_id, B.fingerprint, "executed", { response_id: `evt_planted_${i + 1}`, ...inB })),
  );

  let emitted = 0;
  let n = 0;
  let now = start;
  while (emitted < entries) {
    // Schedule the next logical call, then emit everything due before it.
    n++;
    now += gap;
    const action = ACTIONS[n % ACTIONS.length];
    const session = `sess-${pick(5000)}`;
    const key = keyOf(`c${n}`);
    const fp = fingerprintOf(`c${n}`);
    const rid = `${action.prefix}_${n.toString(36)}`;
    const r = random();
    const inTurn = { scope: turnScope(session, `h${n}`), key_sent: true, turn: turnOf(1, `c${n}`) };
    const e = (dt, outcome, extra) => heap.push(base(now + dt, action.name, key, session, fp, outcome, { ...inTurn, ...extra }));
    // The same call again in the next turn of the session: new scope, new key.
    const nextTurn = (dt) =>
      heap.push(base(now + dt, action.name, keyOf(`c${n}-next-turn`), session, fp, "executed", { response_id: `${rid}_t`, scope: turnScope(session, `h${n}-next`), key_sent: true, turn: turnOf(2, `again ${n}`) }));
    if (r < 0.55) {
      e(0, "executed", { response_id: rid });
    } else if (r < 0.8) {
      e(0, "executed", { response_id: rid });
      e(1_000 + pick(3_600_000), "replayed", { response_id: rid });
    } else if (r < 0.85) {
      e(0, "failed"); // released: the retry runs under the same key
      e(2_000, "executed", { response_id: rid, attempt: 1 });
    } else if (r < 0.87) {
      e(0, "lease_lost", { response_id: rid }); // the taker's upstream call returned the same id
      e(70_000, "executed", { response_id: rid, attempt: 2 });
    } else if (r < 0.89) {
      // The same call from another session, within seconds: a different user, not a retry.
      e(0, "executed", { response_id: rid });
      heap.push(base(now + 5_000, action.name, keyOf(`c${n}-other`), `${session}-other`, fp, "executed", { response_id: `${rid}_o`, ...inTurn, scope: turnScope(`${session}-other`, `h${n}`) }));
    } else if (r < 0.90) {
      // The same call in the same session 90 s later under a new key: a new turn, outside 60 s.
      e(0, "executed", { response_id: rid });
      nextTurn(90_000);
    } else if (r < 0.91) {
      // The same call in a new turn 30 s later: inside the window, listed for review, not a flag.
      e(0, "executed", { response_id: rid });
      nextTurn(30_000);
    } else if (r < 0.93) {
      e(0, "executed", { response_id: rid });
      e(3_000, "mismatch", { response_id: rid, fingerprint: fingerprintOf(`c${n}-changed`) });
    } else if (r < 0.97) {
      heap.push(base(now, "search_docs", undefined, session, fp, "unguarded", { key_sent: false }));
    } else if (r < 0.98) {
      e(0, "recovered", { response_id: rid, attempt: 2 });
    } else if (r < 0.99) {
      e(0, "executed", { response_id: rid });
      e(1_000, "in_progress");
    } else {
      e(0, "failed");
    }
    while (heap.size > 0 && heap.peek().ts <= now && emitted < entries) {
      emitted++;
      yield heap.pop();
    }
  }
}

/**
 * Writes entries as JSON lines, honouring back-pressure so a million lines stay in bounded memory.
 * @param {string} path
 * @param {Iterable<AuditEntry>} entries
 */
export async function writeJsonl(path, entries) {
  const out = createWriteStream(path);
  let count = 0;
  for (const entry of entries) {
    count++;
    if (!out.write(`${JSON.stringify(entry)}\n`)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  return count;
}
