/**
 * What the two flags cannot see, so a clean report is not read as more than it is:
 *
 * - a guarded action whose executions logged no response id at all: the first flag compares
 *   response ids, so an upstream that ignores the key goes unnoticed there (give the policy a
 *   `responseId`, or return the upstream's id where the default finds it);
 * - an unguarded action that ran more than once with the same arguments in one session: no key,
 *   so neither flag applies; if it has a side effect, it ran twice.
 *
 * Memory: a counter pair per action, and per unguarded (action, arguments, session) a small
 * object, dropped once it is older than the horizon without having repeated.
 */
import type { AuditEntry } from "./entry.js";
import type { BlindSpots, UnguardedRepeats } from "./report-types.js";

interface Seen {
  action_type: string;
  session_id: string;
  fingerprint: string;
  executions: number;
  first_ts: number;
  last_ts: number;
}

/** @internal */
export class BlindSpotTracker {
  #guarded = new Map<string, { executions: number; withResponseId: number }>();
  #unguarded = new Map<string, Seen>();

  /** A guarded execution (the key reached the tool). */
  guardedExecution(e: AuditEntry): void {
    let g = this.#guarded.get(e.action_type);
    if (!g) this.#guarded.set(e.action_type, (g = { executions: 0, withResponseId: 0 }));
    g.executions++;
    if (e.response_id) g.withResponseId++;
  }

  /** An execution that ran without a guard (`unguarded`, or an observe-only `duplicate`). */
  unguardedExecution(e: AuditEntry): void {
    const gk = `${e.action_type}\u0000${e.fingerprint}\u0000${e.session_id}`;
    const s = this.#unguarded.get(gk);
    if (s) {
      s.executions++;
      s.last_ts = Math.max(s.last_ts, e.ts);
      s.first_ts = Math.min(s.first_ts, e.ts);
    } else {
      this.#unguarded.set(gk, { action_type: e.action_type, session_id: e.session_id, fingerprint: e.fingerprint, executions: 1, first_ts: e.ts, last_ts: e.ts });
    }
  }

  /** Forgets unguarded calls seen once, before `horizon`. */
  sweep(horizon: number): void {
    for (const [gk, s] of this.#unguarded) if (s.executions < 2 && s.last_ts < horizon) this.#unguarded.delete(gk);
  }

  result(): BlindSpots {
    const no_response_ids = [...this.#guarded]
      .filter(([, g]) => g.executions > 0 && g.withResponseId === 0)
      .map(([action_type, g]) => ({ action_type, executions: g.executions }))
      .sort((a, b) => b.executions - a.executions || a.action_type.localeCompare(b.action_type));
    const perAction = new Map<string, UnguardedRepeats>();
    for (const s of this.#unguarded.values()) {
      if (s.executions < 2) continue;
      const worst = { session_id: s.session_id, fingerprint: s.fingerprint, executions: s.executions, first_ts: s.first_ts, last_ts: s.last_ts };
      const a = perAction.get(s.action_type);
      if (!a) perAction.set(s.action_type, { action_type: s.action_type, groups: 1, executions: s.executions, worst });
      else {
        a.groups++;
        a.executions += s.executions;
        if (s.executions > a.worst.executions) a.worst = worst;
      }
    }
    const unguarded_repeats = [...perAction.values()].sort((a, b) => b.executions - a.executions || a.action_type.localeCompare(b.action_type));
    return { no_response_ids, unguarded_repeats };
  }
}
