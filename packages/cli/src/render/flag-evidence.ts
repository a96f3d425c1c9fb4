/**
 * The words for a flag or a repeat listed for review, shared by the terminal and HTML reports so
 * both say the same thing: a title, one sentence of what was seen, one of the likely cause (the
 * cause the report established, not a generic list), and the evidence as label → values.
 */
import type { AuditFlag, RepeatInNewTurn } from "@agent-idempotency/core";
import { formatDuration, iso } from "../format.js";

/** A flag, explained. */
export interface FlagEvidence {
  title: string;
  /** What the log shows. */
  seen: string;
  /** The likely cause, and where to look. */
  why: string;
  /** Label → values; long lists are cut by the renderer. */
  fields: { label: string; values: string[] }[];
}

function span(first: number, last: number): string {
  return `${iso(first)} → ${iso(last)} (${formatDuration(last - first)})`;
}

const WHY_SEVERAL_KEYS = {
  key_changed_in_scope:
    "The key changed while the call and its scope did not: an explicit key made anew for each retry (an Idempotency-Key generated per request), an identity function that is not deterministic, or a policy changed between the runs (a deploy).",
  turn_id_changed:
    "The turn's id changed between retries: the same human message, at the same position, came back with a new id (a client re-sent the history without message ids, or a reducer gave it a random id in another process), so the turn scope gave the retry a new key. Give human messages stable ids, or scope this tool by thread.",
  scope_unknown:
    "These entries carry no scope (written by an older version), so a deliberate repeat in a new turn cannot be told from a broken key: a volatile field in the identity, an explicit key made anew per retry, or a scope that changed between retries.",
} as const;

/** Explains one flag of an audit report. */
export function flagEvidence(flag: AuditFlag, windowMs: number): FlagEvidence {
  const between = span(flag.first_ts, flag.last_ts);
  if (flag.kind === "one_key_several_response_ids") {
    const n = flag.response_ids.length;
    if (flag.cause === "no_guard") {
      return {
        title: `ran twice with no guard: ${flag.action_type}`,
        seen: `The same call (key ${flag.idempotency_key}, derived for the log only) produced ${n} different response ids, so its side effect ran more than once.`,
        why: "No key was sent to the tool (an observe-only IdempotencyCallbackHandler, or an unguarded tool), so nothing could stop the second run (the upstream never received a key to honour). Guard the tool (IdempotentToolNode, idempotencyMiddleware or withIdempotency) so a repeat replays the first result.",
        fields: [
          { label: "action", values: [flag.action_type] },
          { label: "key", values: [`${flag.idempotency_key} (not sent)`] },
          { label: "responses", values: flag.response_ids },
          { label: "sessions", values: flag.sessions },
          { label: "between", values: [between] },
        ],
      };
    }
    return {
      title: `one key, several response ids: ${flag.action_type}`,
      seen: `Key ${flag.idempotency_key} was sent to the tool and produced ${n} different response ids, so the side effect ran more than once under one key.`,
      why: "Either the upstream ignored the key (check that the tool forwards it: an Idempotency-Key header, Stripe's idempotency_key), or the record was gone before the retry (it expired after ttlMs, was purged, or its lease was taken over) and the upstream does not dedupe on its own.",
      fields: [
        { label: "action", values: [flag.action_type] },
        { label: "key", values: [flag.idempotency_key] },
        { label: "responses", values: flag.response_ids },
        { label: "sessions", values: flag.sessions },
        { label: "between", values: [between] },
      ],
    };
  }
  const where =
    flag.cause === "key_changed_in_scope"
      ? "in one scope"
      : flag.cause === "turn_id_changed"
        ? "in scopes that name the same turn under different ids"
        : "(the entries carry no scope)";
  return {
    title: `one action, several keys: ${flag.action_type}`,
    seen: `The same call (same arguments, same session) was executed ${flag.executions} times under ${flag.keys.length} different keys within ${formatDuration(windowMs)}, ${where}.`,
    why: WHY_SEVERAL_KEYS[flag.cause],
    fields: [
      { label: "action", values: [flag.action_type] },
      { label: "session", values: [flag.session_id] },
      { label: "fingerprint", values: [flag.fingerprint] },
      { label: "keys", values: flag.keys },
      ...(flag.scopes.length > 0 ? [{ label: "scopes", values: flag.scopes }] : []),
      { label: "executions", values: [String(flag.executions)] },
      { label: "between", values: [between] },
    ],
  };
}

/** Explains one repeat listed for review. */
export function reviewEvidence(r: RepeatInNewTurn): FlagEvidence {
  const turns = new Set(r.executions.map((x) => x.scope)).size;
  return {
    title: `repeated in a new turn: ${r.action_type}`,
    seen: `The same call (same arguments, same session) executed ${r.executions.length} times in ${turns} different turns within ${formatDuration(r.last_ts - r.first_ts)}.`,
    why: 'By the turn scope each is a new logical action, usually deliberate ("send it again"), so this is not a flag. Check that the user meant it; if these are retries of one request, the turn changed between them.',
    fields: [
      { label: "action", values: [r.action_type] },
      { label: "session", values: [r.session_id] },
      { label: "fingerprint", values: [r.fingerprint] },
      { label: "turns", values: r.executions.map((x) => `${iso(x.ts)} ${x.scope}${x.turn === undefined ? "" : ` (turn ${x.turn.split(":")[0]})`} key ${x.idempotency_key}`) },
    ],
  };
}
