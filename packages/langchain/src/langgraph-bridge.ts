/**
 * Local stand-ins for helpers that `@agent-idempotency/langgraph` has (marked `@internal`) but does
 * not export from its index yet. They keep the SAME formats as the langgraph package, so a record
 * written by `IdempotentToolNode` replays under `idempotencyMiddleware` and the other way round,
 * and `getIdempotencyKey(config)` finds the key where the node puts it. Each one should become an
 * import from `@agent-idempotency/langgraph` once exported (wanted export in brackets):
 *
 * - `withToolKey`                     [`withToolIdempotency` + `CONFIG_KEY`]       get-idempotency-key.ts
 * - `parseToolArgs`                   [`parseToolArgs`]                            parse-tool-args.ts
 * - `resolveEngine`                   [`resolveEngine`]                            options.ts
 * - `recordOutput`, `replayOutput`, `annotate`, `isErrorToolMessage`, `isRecordedOutput`
 *                                     [the same names]                             recorded-output.ts
 * - `toolMessageFailure`, `isToolMessageFailure`, `recordedToolMessage`
 *                                     [the same names]                             tool-message-failure.ts
 * - `emitReplay`                      [`emitReplay`]                               replay-event.ts
 *
 * Scope rules are NOT here: they are imported from the langgraph package (`resolveScope`).
 */
import type { Idempotency, IdempotencyOptions, RecordedError } from "@agent-idempotency/core";
import { createIdempotency, IdempotencyPolicyError } from "@agent-idempotency/core";
import { IDEMPOTENCY_REPLAY_EVENT, TOOL_MESSAGE_ERROR } from "@agent-idempotency/langgraph";
import type { IdempotencyMetadata, IdempotencyReplayEvent } from "@agent-idempotency/langgraph";
import { dispatchCustomEvent } from "@langchain/core/callbacks/dispatch/web";
import type { BaseMessage, StoredMessage } from "@langchain/core/messages";
import { isBaseMessage, mapStoredMessagesToChatMessages, ToolMessage } from "@langchain/core/messages";
import type { RunnableConfig } from "@langchain/core/runnables";
import { interopParseAsync, isInteropZodSchema } from "@langchain/core/utils/types";
import { Command, isCommand, Send } from "@langchain/langgraph";

/** The `configurable` entry `getIdempotencyKey(config)` reads (langgraph's `CONFIG_KEY`). */
const CONFIG_KEY = "__agent_idempotency";

/** What a guarded tool is told: its key and attempt (langgraph's `ToolIdempotency`). */
export interface ToolKey {
  key: string;
  attempt: number;
}

interface ConfigLike {
  configurable?: Record<string, unknown> | undefined;
  metadata?: Record<string, unknown> | undefined;
}

/**
 * A copy of `config` whose `configurable` carries the key, so `getIdempotencyKey(config)` finds it;
 * with no entry, explicitly none, so an unguarded tool nested in a guarded one's run sees no key.
 */
export function withToolKey<C extends ConfigLike>(config: C, entry: ToolKey | undefined): C {
  if (entry === undefined && config.configurable?.[CONFIG_KEY] === undefined) return config;
  return { ...config, configurable: { ...config.configurable, [CONFIG_KEY]: entry } };
}

/** The arguments the tool will run with (its zod schema's parse), or `ok: false` when it rejects them. */
export async function parseToolArgs(tool: unknown, args: unknown): Promise<{ ok: true; args: unknown } | { ok: false }> {
  const schema = (tool as { schema?: unknown } | undefined)?.schema;
  if (schema === undefined || !isInteropZodSchema(schema)) return { ok: true, args };
  try {
    return { ok: true, args: await interopParseAsync(schema, args) };
  } catch {
    return { ok: false }; // the tool rejects them too, without running: nothing to guard
  }
}

/** The engine `idempotency` names, created from options when it is not one already. */
export function resolveEngine(idempotency: Idempotency | IdempotencyOptions | undefined, who: string): Idempotency {
  if (idempotency === undefined || idempotency === null || typeof idempotency !== "object") {
    throw new IdempotencyPolicyError(`[agent-idempotency] [langchain] ${who} needs { idempotency }: an engine from createIdempotency, or its options`);
  }
  const engine = idempotency as Idempotency;
  return typeof engine.run === "function" && typeof engine.policy === "function" ? engine : createIdempotency(idempotency as IdempotencyOptions);
}

/** The recorded form of a ToolMessage. */
export interface RecordedToolMessage {
  kind: "tool_message";
  content: unknown;
  artifact?: unknown;
  status: "success" | "error";
}

interface RecordedCommand {
  kind: "command";
  toolCallId: string;
  update?: unknown;
  goto?: unknown[];
  graph?: string | undefined;
}

/** What the store keeps of a tool's output. */
export type RecordedOutput = RecordedToolMessage | RecordedCommand;

const MESSAGES = "__agent_idempotency_messages";
const SEND = "__agent_idempotency_send";

/** True for an error-status ToolMessage: a failure, never recorded as done. */
export function isErrorToolMessage(out: unknown): out is ToolMessage {
  return ToolMessage.isInstance(out) && out.status === "error";
}

/** True when `value` is a recorded output. */
export function isRecordedOutput(value: unknown): value is RecordedOutput {
  const kind = (value as { kind?: unknown } | null | undefined)?.kind;
  return kind === "tool_message" || kind === "command";
}

function recordToolMessage(msg: ToolMessage): RecordedToolMessage {
  const out: RecordedToolMessage = { kind: "tool_message", content: msg.content, status: msg.status === "error" ? "error" : "success" };
  if (msg.artifact !== undefined) out.artifact = msg.artifact;
  return out;
}

function recordValue(v: unknown): unknown {
  if (isBaseMessage(v)) return { [MESSAGES]: [v.toDict()], single: true };
  if (Array.isArray(v) && v.length > 0 && v.every((m) => isBaseMessage(m))) return { [MESSAGES]: v.map((m: BaseMessage) => m.toDict()) };
  return v;
}

function mapUpdate(update: unknown, fn: (v: unknown) => unknown): unknown {
  if (Array.isArray(update)) return update.map((t) => (Array.isArray(t) && t.length === 2 ? [t[0], fn(t[1])] : t));
  if (typeof update === "object" && update !== null) return Object.fromEntries(Object.entries(update).map(([k, v]) => [k, fn(v)]));
  return update;
}

/** The recorded form of a ToolMessage or Command; a Command keeps the id of the call that made it. */
export function recordOutput(out: ToolMessage | Command, toolCallId: string): RecordedOutput {
  if (!isCommand(out)) return recordToolMessage(out as ToolMessage);
  const cmd = out as Command;
  const rec: RecordedCommand = { kind: "command", toolCallId };
  if (cmd.update !== undefined) rec.update = mapUpdate(cmd.update, recordValue);
  const goto = Array.isArray(cmd.goto) ? cmd.goto : cmd.goto === undefined ? [] : [cmd.goto];
  if (goto.length > 0) rec.goto = goto.map((g) => (g instanceof Send ? { [SEND]: { node: g.node, args: g.args } } : g));
  if (cmd.graph !== undefined) rec.graph = cmd.graph;
  return rec;
}

/** Sets `response_metadata.idempotency` on every ToolMessage of `out` that answers `toolCallId`. */
export function annotate<T extends ToolMessage | Command>(out: T, toolCallId: string, meta: IdempotencyMetadata): T {
  const mark = (m: unknown) => {
    if (ToolMessage.isInstance(m) && m.tool_call_id === toolCallId) m.response_metadata = { ...m.response_metadata, idempotency: meta };
  };
  if (!isCommand(out)) mark(out);
  else {
    const update = (out as Command).update;
    const values = Array.isArray(update) ? update.map((t) => (Array.isArray(t) ? t[1] : t)) : typeof update === "object" && update !== null ? Object.values(update) : [];
    for (const v of values) for (const m of Array.isArray(v) ? v : [v]) mark(m);
  }
  return out;
}

/** Rebuilds a recorded output for the current call: its ToolMessages answer `toolCallId`. */
export function replayOutput(rec: RecordedOutput, to: { toolCallId: string; name: string; meta: IdempotencyMetadata }): ToolMessage | Command {
  if (rec.kind === "tool_message") {
    return new ToolMessage({
      content: rec.content as ToolMessage["content"],
      artifact: rec.artifact,
      status: rec.status,
      name: to.name,
      tool_call_id: to.toolCallId,
      response_metadata: { idempotency: to.meta },
    });
  }
  const replayValue = (v: unknown): unknown => {
    if (typeof v !== "object" || v === null || !(MESSAGES in v)) return v;
    const { [MESSAGES]: stored, single } = v as { [MESSAGES]: StoredMessage[]; single?: boolean };
    // Message ids are dropped so the reducer appends the replayed messages instead of replacing.
    const copies = stored.map((s) => {
      const data = { ...s.data } as StoredMessage["data"] & Record<string, unknown>;
      delete data.id;
      if (s.type === "tool" && data.tool_call_id === rec.toolCallId) data.tool_call_id = to.toolCallId;
      return { type: s.type, data };
    });
    const messages = mapStoredMessagesToChatMessages(copies);
    return single ? messages[0] : messages;
  };
  const update = mapUpdate(rec.update, replayValue);
  const goto = rec.goto?.map((g) => {
    const send = (g as { [SEND]?: { node: string; args: unknown } } | null)?.[SEND];
    return send ? new Send(send.node, send.args) : (g as string);
  });
  const cmd = new Command({
    ...(update !== undefined ? { update: update as Record<string, unknown> } : {}),
    ...(goto && goto.length > 0 ? { goto } : {}),
    ...(rec.graph !== undefined ? { graph: rec.graph } : {}),
  });
  return annotate(cmd, to.toolCallId, to.meta);
}

/** An error carrying an error-status ToolMessage through the engine (langgraph's format). */
export type ToolMessageFailure = Error & { data: RecordedToolMessage; toolMessage: ToolMessage };

/** Wraps an error-status ToolMessage so the engine releases the claim instead of recording it done. */
export function toolMessageFailure(msg: ToolMessage, action: string): ToolMessageFailure {
  const error = new Error(`${action} returned an error ToolMessage`) as ToolMessageFailure;
  error.name = TOOL_MESSAGE_ERROR;
  error.data = recordToolMessage(msg);
  Object.defineProperty(error, "toolMessage", { value: msg, enumerable: false });
  return error;
}

/** True for an error made by {@link toolMessageFailure}. */
export function isToolMessageFailure(error: unknown): error is ToolMessageFailure {
  return error instanceof Error && error.name === TOOL_MESSAGE_ERROR && isRecordedOutput((error as { data?: unknown }).data);
}

/** The recorded ToolMessage of a failure recorded with `cacheErrors`, if it is one. */
export function recordedToolMessage(recorded: RecordedError | undefined): RecordedToolMessage | undefined {
  if (recorded?.name !== TOOL_MESSAGE_ERROR) return undefined;
  const data = recorded.data as RecordedToolMessage | undefined;
  return data?.kind === "tool_message" ? data : undefined;
}

/**
 * Tells streaming consumers about a replay, as the node does [`emitReplay`, replay-event.ts]:
 * `dispatchCustomEvent` reaches callbacks and `streamEvents`, `config.writer` reaches
 * `streamMode: "custom"`. An event never changes a call's outcome, so failures are swallowed.
 */
export async function emitReplay(config: RunnableConfig | undefined, writer: ((chunk: unknown) => void) | undefined, payload: IdempotencyReplayEvent): Promise<void> {
  try {
    if (config !== undefined) await dispatchCustomEvent(IDEMPOTENCY_REPLAY_EVENT, payload, config);
  } catch {
    // no parent run: nobody is listening
  }
  try {
    writer?.({ name: IDEMPOTENCY_REPLAY_EVENT, payload });
  } catch {
    // a consumer's writer that throws must not turn a replay into a failure
  }
}
