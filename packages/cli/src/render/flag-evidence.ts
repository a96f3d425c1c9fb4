/**
 * The words for a flag, shared by the terminal and HTML reports so both say the same thing: a
 * title, one sentence of what was seen, one of what it usually means, and the evidence as
 * label → values.
 */
import type { AuditFlag } from "@agent-idempotency/core";
import { formatDuration, iso } from "../format.js";

/** A flag, explained. */
export interface FlagEvidence {
  title: string;
  /** What the log shows. */
  seen: string;
  /** The usual cause, and where to look. */
  why: string;
  /** Label → values; long lists are cut by the renderer. */
  fields: { label: string; values: string[] }[];
}

/** Explains one flag of an audit report. */
export function flagEvidence(flag: AuditFlag, windowMs: number): FlagEvidence {
  const span = `${iso(flag.first_ts)} → ${iso(flag.last_ts)} (${formatDuration(flag.last_ts - flag.first_ts)})`;
  if (flag.kind === "one_key_several_response_ids") {
    return {
      title: `one key, several response ids: ${flag.action_type}`,
      seen: `Key ${flag.idempotency_key} produced ${flag.response_ids.length} different response ids, so the side effect ran more than once under one key.`,
      why: "The upstream ignored the idempotency key (check that the tool forwards it), or the record was lost (expired, purged or taken over) before the retry.",
      fields: [
        { label: "action", values: [flag.action_type] },
        { label: "key", values: [flag.idempotency_key] },
        { label: "responses", values: flag.response_ids },
        { label: "sessions", values: flag.sessions },
        { label: "between", values: [span] },
      ],
    };
  }
  return {
    title: `one action, several keys: ${flag.action_type}`,
    seen: `The same call (same arguments, same session) was executed ${flag.executions} times under ${flag.keys.length} different keys within ${formatDuration(windowMs)}.`,
    why: "The key is too narrow: a volatile field (a timestamp, a request id) is in the identity, or the scope changed between retries.",
    fields: [
      { label: "action", values: [flag.action_type] },
      { label: "session", values: [flag.session_id] },
      { label: "fingerprint", values: [flag.fingerprint] },
      { label: "keys", values: flag.keys },
      { label: "executions", values: [String(flag.executions)] },
      { label: "between", values: [span] },
    ],
  };
}
