/**
 * Which turn of a conversation a call belongs to, without its message ids: `"<n>:<digest>"`, the
 * position of the latest human message among the state's human messages and a hash of its content.
 *
 * The turn scope names a turn by its human message's id, so a retry whose message got a new id
 * (a stateless client re-sending the history, a reducer assigning a random id in another process)
 * lands in a new scope with a new key, exactly like a deliberate repeat. The marker tells them
 * apart: the retry is the same message at the same position, a new turn is a later one. The audit
 * flags the first and lists the second for review; live detection hands the difference to its hook.
 *
 * Limits: with a checkpointer, a re-sent message is appended as a new turn (position n + 1), so it
 * reads as a new turn; two different turns with the same text at the same position (history trimmed
 * in between) read as one.
 */
import { createHash } from "node:crypto";

interface MessageLike {
  role?: unknown;
  type?: unknown;
  content?: unknown;
  getType?: () => string;
  _getType?: () => string;
}

function isHuman(m: unknown): m is MessageLike {
  if (typeof m !== "object" || m === null) return false;
  const msg = m as MessageLike;
  const type = typeof msg.getType === "function" ? msg.getType() : typeof msg._getType === "function" ? msg._getType() : msg.type;
  return type === "human" || msg.role === "user" || msg.role === "human";
}

function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  try {
    return JSON.stringify(content) ?? "";
  } catch {
    return String(content);
  }
}

/** The digest of a human message's content, per message object: every call of a turn hashes the same message. */
const digests = new WeakMap<object, { content: unknown; digest: string }>();

function digestOf(m: MessageLike): string {
  const known = digests.get(m);
  // The content is compared too: a message object whose content was replaced is hashed again.
  if (known !== undefined && known.content === m.content) return known.digest;
  const digest = createHash("sha256").update(contentText(m.content)).digest("hex").slice(0, 16);
  digests.set(m, { content: m.content, digest });
  return digest;
}

/**
 * The turn marker of a graph state (`state.messages`, or the state itself when it is a list of
 * messages); undefined when it holds no human message.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function turnMarker(state: unknown): string | undefined {
  const messages = Array.isArray(state) ? state : (state as { messages?: unknown } | null | undefined)?.messages;
  if (!Array.isArray(messages)) return undefined;
  let n = 0;
  let last: MessageLike | undefined;
  for (const m of messages) {
    if (isHuman(m)) {
      n++;
      last = m;
    }
  }
  if (last === undefined) return undefined;
  return `${n}:${digestOf(last)}`;
}
