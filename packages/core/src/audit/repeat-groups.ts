/**
 * The second sign, split by its cause. The same action with the same arguments in the same session
 * executed under two keys within the window is one of:
 *
 * | the two executions                                  | verdict                                   |
 * | --------------------------------------------------- | ----------------------------------------- |
 * | same scope                                          | flag: the key changed inside one scope    |
 * | different turn scopes, same turn (position + text)  | flag: the retry's human message got a new id |
 * | either entry without a scope (an older writer)      | flag: a new turn cannot be ruled out      |
 * | different scopes, different turns                   | review: a repeat in a new turn, usually deliberate |
 *
 * Same arguments means the same fingerprint, which is computed after normalization from ALL the
 * arguments; the key comes from a subset of them and the scope. Under one scope two derived keys
 * of one fingerprint therefore cannot differ, unless the key was given explicitly, the identity is
 * a function that is not deterministic, or the policy changed between the runs.
 *
 * Entries arrive in time order; each group keeps only the executions inside the window.
 */
import type { AuditEntry } from "./entry.js";
import type { ActionWithSeveralKeys, RepeatInNewTurn } from "./report-types.js";

interface Execution {
  id: number;
  ts: number;
  key: string;
  scope: string | undefined;
  turn: string | undefined;
}

interface Group {
  recent: Execution[];
  flag?: ActionWithSeveralKeys;
  flagged?: Set<number>;
  review?: RepeatInNewTurn;
  reviewed?: Set<number>;
}

type Verdict = ActionWithSeveralKeys["cause"] | "review";

/** When one group shows several causes, the flag names the strongest evidence. */
const RANK: Record<ActionWithSeveralKeys["cause"], number> = { key_changed_in_scope: 3, turn_id_changed: 2, scope_unknown: 1 };

function classify(a: Execution, b: Execution): Verdict {
  if (a.scope === undefined || b.scope === undefined) return "scope_unknown";
  if (a.scope === b.scope) return "key_changed_in_scope";
  if (a.turn !== undefined && a.turn === b.turn) return "turn_id_changed";
  return "review";
}

/** @internal */
export class RepeatGroups {
  /** Flags in the order they were raised. */
  readonly flags: ActionWithSeveralKeys[] = [];
  readonly review: RepeatInNewTurn[] = [];
  readonly windowMs: number;
  #groups = new Map<string, Group>();
  #next = 0;

  constructor(windowMs: number) {
    this.windowMs = windowMs;
  }

  /** An execution of `e` under `key`. */
  see(e: AuditEntry, key: string): void {
    const gk = `${e.action_type}\u0000${e.fingerprint}\u0000${e.session_id}`;
    let g = this.#groups.get(gk);
    if (!g) this.#groups.set(gk, (g = { recent: [] }));
    if (g.recent.length > 0) g.recent = g.recent.filter((r) => Math.abs(e.ts - r.ts) <= this.windowMs);
    const x: Execution = { id: this.#next++, ts: e.ts, key, scope: e.scope, turn: e.turn };
    for (const r of g.recent) {
      if (r.key === key) continue;
      const verdict = classify(r, x);
      if (verdict === "review") this.#addReview(g, e, [r, x]);
      else this.#addFlag(g, e, [r, x], verdict);
    }
    g.recent.push(x);
  }

  /** Drops groups with nothing flagged or listed and nothing since `horizon`. */
  sweep(horizon: number): void {
    for (const [gk, g] of this.#groups) if (!g.flag && !g.review && g.recent.every((r) => r.ts < horizon)) this.#groups.delete(gk);
  }

  #addFlag(g: Group, e: AuditEntry, pair: Execution[], cause: ActionWithSeveralKeys["cause"]): void {
    if (!g.flag) {
      g.flag = {
        kind: "one_action_several_keys",
        action_type: e.action_type,
        fingerprint: e.fingerprint,
        session_id: e.session_id,
        keys: [],
        executions: 0,
        first_ts: pair[0]!.ts,
        last_ts: pair[0]!.ts,
        scopes: [],
        cause,
      };
      g.flagged = new Set();
      this.flags.push(g.flag);
    }
    const flag = g.flag;
    if (RANK[cause] > RANK[flag.cause]) flag.cause = cause;
    for (const x of pair) {
      if (g.flagged!.has(x.id)) continue;
      g.flagged!.add(x.id);
      if (!flag.keys.includes(x.key)) flag.keys.push(x.key);
      if (x.scope !== undefined && !flag.scopes.includes(x.scope)) flag.scopes.push(x.scope);
      flag.executions++;
      flag.first_ts = Math.min(flag.first_ts, x.ts);
      flag.last_ts = Math.max(flag.last_ts, x.ts);
    }
  }

  #addReview(g: Group, e: AuditEntry, pair: Execution[]): void {
    if (!g.review) {
      g.review = {
        kind: "repeated_in_new_turn",
        action_type: e.action_type,
        fingerprint: e.fingerprint,
        session_id: e.session_id,
        executions: [],
        first_ts: pair[0]!.ts,
        last_ts: pair[0]!.ts,
      };
      g.reviewed = new Set();
      this.review.push(g.review);
    }
    const review = g.review;
    for (const x of pair) {
      if (g.reviewed!.has(x.id)) continue;
      g.reviewed!.add(x.id);
      review.executions.push(x.turn === undefined ? { ts: x.ts, idempotency_key: x.key, scope: x.scope! } : { ts: x.ts, idempotency_key: x.key, scope: x.scope!, turn: x.turn });
      review.first_ts = Math.min(review.first_ts, x.ts);
      review.last_ts = Math.max(review.last_ts, x.ts);
    }
  }
}
