/**
 * The scope of a guarded call inside LangGraph: what keeps the keys of different conversations,
 * and of different turns of one conversation, apart. A tool's policy may set it (`scope` in its
 * `ToolPolicy`); the node's or middleware's `scope` option is the default for the others.
 *
 * - `"turn"` (default): `thread_id` plus the id of the latest human message in the state. It stays
 *   the same across retries, node retry policies, interrupts and resumes of that turn, and changes
 *   when the user speaks again, so an intentional repeat ("book it again") is a new key.
 * - `"thread"`: `thread_id` alone; one action runs once per conversation.
 * - a function `(config, state, { name, args }) => string`: anything else (a user id, an order id).
 *
 * The built-in rules never throw where `ToolNode` runs; they fall back (`ScopeFallback`):
 *
 * | what is missing                         | the scope                                                  |
 * | --------------------------------------- | ---------------------------------------------------------- |
 * | `thread_id`                             | the invocation: the latest human message's id, else the    |
 * |                                         | LangGraph task (stable across its retries), else the node  |
 * |                                         | run; warned once, since a new invocation runs again         |
 * | a human message (`"turn"`)              | the thread                                                 |
 * | the human message's id (`"turn"`)       | a turn id from its position among human messages and its   |
 * |                                         | content                                                    |
 *
 * Never the `tool_call_id`: a retry, or a model that emits the same call again, gets a new one.
 * The langchain package imports these rules rather than writing them twice.
 */
import { createHash, randomUUID } from "node:crypto";
import { IdempotencyKeyError } from "@agent-idempotency/core";

/** The part of a runnable config the scope rules read. */
export interface ScopeConfig {
  /** Where the rules read `thread_id` (and LangGraph's task id, for the invocation fallback). */
  configurable?: Record<string, unknown> | undefined;
}

/** The call a scope function scopes: the tool's name and its (schema-parsed) arguments. */
export interface ScopeCall {
  /** The tool (action) name. */
  name: string;
  /** The arguments as the tool's schema parsed them. */
  args: unknown;
}

/** A scope function: returns a non-empty string that is stable across retries of the same action. */
export type ScopeFunction = (config: ScopeConfig, state: unknown, call: ScopeCall) => string;

/**
 * How the built-in rules fell back for a call: `"invocation"` (no `thread_id`), `"thread"` (scope
 * `"turn"` and no human message), `"positional-turn"` (scope `"turn"`, a human message without id).
 */
export type ScopeFallback = "invocation" | "thread" | "positional-turn";

/** Options of {@link resolveScope}. */
export interface ResolveScopeOptions {
  /** The call's arguments (schema-parsed), handed to a scope function. */
  args?: unknown;
  /** Told when the rules fall back, with a sentence on what changes; the node warns once per kind. */
  onFallback?: ((fallback: ScopeFallback, message: string) => void) | undefined;
  /**
   * An object that lives exactly as long as one invocation of the node (its run config), naming
   * the invocation when LangGraph gives neither a human message id nor a task id (a direct
   * `node.invoke()`).
   */
  invocation?: object | undefined;
}

/** How a node scopes its keys: `"turn"` (default), `"thread"`, or a function. */
export type ScopeOption = "turn" | "thread" | ScopeFunction;

/** A resolved scope, and the session id the audit log records. */
export interface ResolvedScope {
  /**
   * The scope the key is derived in, prefixed with the rule that made it (`turn:`, `thread:`,
   * `invocation:`, `fn:`) so two rules can never give the same string.
   */
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
 * when it has no id. `position` counts the human messages before it (0 for the first).
 */
export function latestHumanMessage(state: unknown): { found: boolean; id?: string; position?: number; content?: unknown } {
  const messages = messagesOf(state) ?? [];
  for (let i = messages.length - 1; i >= 0; i--) {
    if (!isHuman(messages[i])) continue;
    const m = messages[i] as MessageLike & { content?: unknown };
    let position = 0;
    for (let j = 0; j < i; j++) if (isHuman(messages[j])) position++;
    const id = m.id;
    return typeof id === "string" && id !== "" ? { found: true, id } : { found: true, position, content: m.content };
  }
  return { found: false };
}

/**
 * A turn id for a human message without one: its position among the human messages and a hash of
 * its content. The same across retries and resumes of the turn (the state only grows after it);
 * a new user message, even with the same words, comes later and gets a new one.
 */
function positionalTurnId(position: number, content: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(content) ?? "";
  } catch {
    text = String(content);
  }
  return `#${position}:${createHash("sha256").update(text).digest("hex").slice(0, 16)}`;
}

const runIds = new WeakMap<object, string>();

/** The invocation a call without `thread_id` belongs to (see the table at the top). */
function invocationOf(config: ScopeConfig | undefined, state: unknown, invocation: object | undefined): string {
  const human = latestHumanMessage(state);
  if (human.id !== undefined) return JSON.stringify(["human", human.id]);
  const task = config?.configurable?.["__pregel_task_id"];
  if (typeof task === "string" && task !== "") return JSON.stringify(["task", task]);
  if (invocation === undefined) return JSON.stringify(["call", randomUUID()]);
  let id = runIds.get(invocation);
  if (id === undefined) runIds.set(invocation, (id = randomUUID()));
  return JSON.stringify(["run", id]);
}

/** Throws {@link IdempotencyKeyError} unless `option` is one of the three forms. */
export function validateScopeOption(option: unknown): asserts option is ScopeOption {
  if (option === "turn" || option === "thread" || typeof option === "function") return;
  throw new IdempotencyKeyError(`scope must be "turn", "thread" or a function (config, state, { name, args }) => string, got ${JSON.stringify(option)}`);
}

/**
 * Resolves the scope of a guarded call of `action`. A scope function decides alone (and must
 * return a non-empty string, else {@link IdempotencyKeyError}); the built-in rules fall back as
 * the table at the top of this file says, and tell `options.onFallback`.
 *
 * @example
 * ```ts
 * const { scope } = resolveScope("turn", { configurable: { thread_id: "t-1" } }, state, "book_calendar");
 * ```
 */
export function resolveScope(option: ScopeOption, config: ScopeConfig | undefined, state: unknown, action = "tool", options: ResolveScopeOptions = {}): ResolvedScope {
  const threadId = threadIdOf(config);
  if (typeof option === "function") {
    const scope = option(config ?? {}, state, { name: action, args: options.args });
    if (typeof scope !== "string" || scope === "") {
      throw new IdempotencyKeyError(`${action}: the scope function returned ${JSON.stringify(scope)}; return a non-empty string that stays the same across retries`);
    }
    return { scope: `fn:${scope}`, sessionId: threadId ?? scope };
  }
  if (threadId === undefined) {
    const invocation = invocationOf(config, state, options.invocation);
    options.onFallback?.(
      "invocation",
      `${action}: no thread_id in config.configurable, so keys are scoped to this invocation (the latest human message's id, else this graph task, else this node run): ` +
        `retries and repeats inside it replay, but a new invocation runs guarded tools again; invoke with { configurable: { thread_id } } to guard across invocations`,
    );
    return { scope: `invocation:${invocation}`, sessionId: invocation };
  }
  if (option === "thread") return { scope: `thread:${threadId}`, sessionId: threadId };
  const human = latestHumanMessage(state);
  if (!human.found) {
    options.onFallback?.(
      "thread",
      `${action}: scope "turn" found no human message in state.messages, so keys are scoped to the thread: an action repeated later in the thread replays instead of running again; set scope: "thread" to say so, or a scope function`,
    );
    return { scope: `thread:${threadId}`, sessionId: threadId };
  }
  let turn = human.id;
  if (turn === undefined) {
    turn = positionalTurnId(human.position ?? 0, human.content);
    options.onFallback?.(
      "positional-turn",
      `${action}: scope "turn" found a human message without an id (messagesStateReducer assigns one; this state's reducer does not), so the turn is named by its position and content; a reducer that drops earlier messages mid-turn would change the key`,
    );
  }
  // JSON, so that a ":" inside a thread id can never make two different turns collide.
  return { scope: `turn:${JSON.stringify([threadId, turn])}`, sessionId: threadId };
}
