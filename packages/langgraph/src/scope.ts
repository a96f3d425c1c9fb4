/**
 * The scope of a guarded call inside LangGraph: what keeps the keys of different conversations,
 * and of different turns of one conversation, apart.
 *
 * - `"turn"` (default): `thread_id` plus the id of the latest human message in the state. It stays
 *   the same across retries, node retry policies, interrupts and resumes of that turn, and changes
 *   when the user speaks again, so an intentional repeat ("book it again") is a new key.
 * - `"thread"`: `thread_id` alone; one action runs once per conversation.
 * - a function `(config, state) => string`: anything else (a user id, a checkpoint namespace).
 *
 * Never the `tool_call_id`: a retry, or a model that emits the same call again, gets a new one.
 * The langchain package imports these rules rather than writing them twice.
 */
import { IdempotencyKeyError } from "@agent-idempotency/core";

/** The part of a runnable config the scope rules read. */
export interface ScopeConfig {
  configurable?: Record<string, unknown> | undefined;
}

/** A scope function: returns a non-empty string that is stable across retries of the same action. */
export type ScopeFunction = (config: ScopeConfig, state: unknown) => string;

/** How a node scopes its keys: `"turn"` (default), `"thread"`, or a function. */
export type ScopeOption = "turn" | "thread" | ScopeFunction;

/** A resolved scope, and the session id the audit log records. */
export interface ResolvedScope {
  scope: string;
  /** The thread id when there is one, else the scope. */
  sessionId: string;
}

interface MessageLike {
  id?: unknown;
  role?: unknown;
  type?: unknown;
  getType?: () => string;
  _getType?: () => string;
}

/** The `thread_id` of a config, as a string, or undefined. */
export function threadIdOf(config: ScopeConfig | undefined): string | undefined {
  const id = config?.configurable?.["thread_id"];
  if (typeof id === "string" && id !== "") return id;
  if (typeof id === "number" && Number.isFinite(id)) return String(id);
  return undefined;
}

function isHuman(m: unknown): boolean {
  if (typeof m !== "object" || m === null) return false;
  const msg = m as MessageLike;
  const type = typeof msg.getType === "function" ? msg.getType() : typeof msg._getType === "function" ? msg._getType() : msg.type;
  return type === "human" || msg.role === "user" || msg.role === "human";
}

/** The messages of a state: `state.messages`, or the state itself when it is an array. */
function messagesOf(state: unknown): readonly unknown[] | undefined {
  if (Array.isArray(state)) return state;
  const messages = (state as { messages?: unknown } | null | undefined)?.messages;
  return Array.isArray(messages) ? messages : undefined;
}

/**
 * The latest human message of the state: `{ found: false }` when there is none, `id` undefined
 * when it has no id.
 */
export function latestHumanMessage(state: unknown): { found: boolean; id?: string } {
  const messages = messagesOf(state) ?? [];
  for (let i = messages.length - 1; i >= 0; i--) {
    if (!isHuman(messages[i])) continue;
    const id = (messages[i] as MessageLike).id;
    return typeof id === "string" && id !== "" ? { found: true, id } : { found: true };
  }
  return { found: false };
}

/** Throws {@link IdempotencyKeyError} unless `option` is one of the three forms. */
export function validateScopeOption(option: unknown): asserts option is ScopeOption {
  if (option === "turn" || option === "thread" || typeof option === "function") return;
  throw new IdempotencyKeyError(`scope must be "turn", "thread" or a function (config, state) => string, got ${JSON.stringify(option)}`);
}

/**
 * Resolves the scope of a guarded call of `action`, or throws {@link IdempotencyKeyError} with
 * what to do about it: without a thread id (and without a scope function) there is no scope,
 * and a shared global one would replay one user's result to another.
 *
 * @example
 * ```ts
 * const { scope } = resolveScope("turn", { configurable: { thread_id: "t-1" } }, state, "book_calendar");
 * ```
 */
export function resolveScope(option: ScopeOption, config: ScopeConfig | undefined, state: unknown, action = "tool"): ResolvedScope {
  const threadId = threadIdOf(config);
  if (typeof option === "function") {
    const scope = option(config ?? {}, state);
    if (typeof scope !== "string" || scope === "") {
      throw new IdempotencyKeyError(`${action}: the scope function returned ${JSON.stringify(scope)}; return a non-empty string that stays the same across retries`);
    }
    return { scope: `fn:${scope}`, sessionId: threadId ?? scope };
  }
  if (threadId === undefined) {
    throw new IdempotencyKeyError(
      `${action}: no thread_id in config.configurable, so there is no scope to keep sessions apart; ` +
        `invoke the graph with { configurable: { thread_id } } or give the node a scope function`,
    );
  }
  if (option === "thread") return { scope: `thread:${threadId}`, sessionId: threadId };
  const human = latestHumanMessage(state);
  if (!human.found) {
    throw new IdempotencyKeyError(
      `${action}: scope "turn" needs a human message in state.messages to name the turn and there is none; use scope: "thread" or a function`,
    );
  }
  if (human.id === undefined) {
    throw new IdempotencyKeyError(
      `${action}: scope "turn" needs the latest human message to have an id (messagesStateReducer assigns one); give it an id, or use scope: "thread" or a function`,
    );
  }
  // JSON, so that a ":" inside a thread id can never make two different turns collide.
  return { scope: `turn:${JSON.stringify([threadId, human.id])}`, sessionId: threadId };
}
