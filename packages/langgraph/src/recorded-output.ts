/**
 * What a store keeps of a tool's output, and how a replay turns it back into one.
 *
 * A record never holds a `tool_call_id` that a replay would reuse: a retry, or a model that
 * emits the same call again, has a new one, and a ToolMessage answering the old id would leave
 * the new call unanswered. So a ToolMessage is kept as its content, artifact and status; a
 * `Command` keeps its update (messages in LangChain's stored form), goto and graph, plus the id of
 * the call that produced it, so that a replay rewrites exactly the ToolMessages that answered
 * that call to the current id. Message ids are dropped on replay, so the messages reducer appends
 * the replayed messages instead of replacing the originals.
 */
import type { BaseMessage, StoredMessage } from "@langchain/core/messages";
import { isBaseMessage, mapStoredMessagesToChatMessages, ToolMessage } from "@langchain/core/messages";
import { Command, isCommand, Send } from "@langchain/langgraph";
import { copyWith } from "./plain-copy.js";

/** What `response_metadata.idempotency` holds on every ToolMessage of a guarded call. */
export interface IdempotencyMetadata {
  /** The call's idempotency key; empty when the call failed before a key was derived. */
  key: string;
  /** True when the tool did not run for this call and the message is the recorded output (or recorded failure) of an earlier one. */
  replayed: boolean;
  /**
   * What the call ended as, an `AuditOutcome` value: `executed`, `replayed`, `recovered`,
   * `mismatch` or `lease_lost` for a result, `failed` for an error ToolMessage.
   */
  outcome: string;
  /** Which execution of the key produced the output: 1, or more after take-overs of dead claims. */
  attempt: number;
  /** When the replayed output was recorded (epoch ms); absent on the call that ran the tool. */
  recordedAt?: number | undefined;
}

/**
 * The recorded form of a ToolMessage.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export interface RecordedToolMessage {
  /** Tells it from a {@link RecordedCommand}. */
  kind: "tool_message";
  /** The message's content, as the model read it. */
  content: unknown;
  /** The message's artifact, when it had one. */
  artifact?: unknown;
  /** `"error"` for an error ToolMessage: never recorded as done, only as a failure recorded with `cacheErrors`. */
  status: "success" | "error";
}

/**
 * The recorded form of a Command.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export interface RecordedCommand {
  /** Tells it from a {@link RecordedToolMessage}. */
  kind: "command";
  /** The call whose ToolMessages a replay rewrites to the current id. */
  toolCallId: string;
  /** The Command's update, its messages in LangChain's stored form. */
  update?: unknown;
  /** The Command's goto, as a list: node names, and `Send`s in a stored form. */
  goto?: unknown[];
  /** The Command's graph (`Command.PARENT` for the parent graph). */
  graph?: string | undefined;
}

/**
 * What the store keeps of a guarded call's output.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export type RecordedOutput = RecordedToolMessage | RecordedCommand;

const MESSAGES = "__agent_idempotency_messages";
const SEND = "__agent_idempotency_send";

/**
 * True for a ToolMessage whose status is `"error"`: a failure, never recorded as done.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function isErrorToolMessage(out: unknown): out is ToolMessage {
  return ToolMessage.isInstance(out) && out.status === "error";
}

/** The recorded form of a ToolMessage. */
export function recordToolMessage(msg: ToolMessage): RecordedToolMessage {
  const out: RecordedToolMessage = { kind: "tool_message", content: msg.content, status: msg.status === "error" ? "error" : "success" };
  if (msg.artifact !== undefined) out.artifact = msg.artifact;
  return out;
}

function isMessageList(v: unknown): v is BaseMessage[] {
  return Array.isArray(v) && v.length > 0 && v.every((m) => isBaseMessage(m));
}

function recordValue(v: unknown): unknown {
  if (isBaseMessage(v)) return { [MESSAGES]: [v.toDict()], single: true };
  if (isMessageList(v)) return { [MESSAGES]: v.map((m) => m.toDict()) };
  return v;
}

/** Applies `fn` to each value of a Command update: `[key, value]` tuples or an object's values. */
function mapUpdate(update: unknown, fn: (v: unknown) => unknown): unknown {
  if (Array.isArray(update)) return update.map((t) => (Array.isArray(t) && t.length === 2 ? [t[0], fn(t[1])] : t));
  if (typeof update === "object" && update !== null) return Object.fromEntries(Object.entries(update).map(([k, v]) => [k, fn(v)]));
  return update;
}

/**
 * The recorded form of a tool's output (a ToolMessage or a Command); a Command keeps the id of the
 * call that made it.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function recordOutput(out: ToolMessage | Command, toolCallId: string): RecordedOutput {
  if (!isCommand(out)) return recordToolMessage(out);
  const cmd = out as Command;
  const rec: RecordedCommand = { kind: "command", toolCallId };
  if (cmd.update !== undefined) rec.update = mapUpdate(cmd.update, recordValue);
  const goto = Array.isArray(cmd.goto) ? cmd.goto : cmd.goto === undefined ? [] : [cmd.goto];
  if (goto.length > 0) rec.goto = goto.map((g) => (g instanceof Send ? { [SEND]: { node: g.node, args: g.args } } : g));
  if (cmd.graph !== undefined) rec.graph = cmd.graph;
  return rec;
}

/**
 * Sets `response_metadata.idempotency` on every ToolMessage of `out` that answers `toolCallId`.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function annotate<T extends ToolMessage | Command>(out: T, toolCallId: string, meta: IdempotencyMetadata): T {
  const mark = (m: unknown) => {
    if (ToolMessage.isInstance(m) && m.tool_call_id === toolCallId) {
      m.response_metadata = copyWith(m.response_metadata, "idempotency", meta);
    }
  };
  if (!isCommand(out)) mark(out);
  else {
    const update = (out as Command).update;
    const values = Array.isArray(update) ? update.map((t) => (Array.isArray(t) ? t[1] : t)) : typeof update === "object" && update !== null ? Object.values(update) : [];
    for (const v of values) for (const m of Array.isArray(v) ? v : [v]) mark(m);
  }
  return out;
}

/**
 * The call a replay answers, and the metadata its ToolMessages carry.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export interface ReplayTarget {
  /** The current call's id: the replayed ToolMessages answer it. */
  toolCallId: string;
  /** The tool's name, for the replayed ToolMessage. */
  name: string;
  /** What the replayed ToolMessages carry in `response_metadata.idempotency`. */
  meta: IdempotencyMetadata;
}

function replayMessages(stored: StoredMessage[], from: string, to: ReplayTarget): BaseMessage[] {
  const copies = stored.map((s) => {
    const data = { ...s.data } as StoredMessage["data"] & Record<string, unknown>;
    delete data.id;
    if (s.type === "tool" && data.tool_call_id === from) data.tool_call_id = to.toolCallId;
    return { type: s.type, data };
  });
  return mapStoredMessagesToChatMessages(copies);
}

function replayValue(v: unknown, from: string, to: ReplayTarget): unknown {
  if (typeof v !== "object" || v === null || !(MESSAGES in v)) return v;
  const { [MESSAGES]: stored, single } = v as { [MESSAGES]: StoredMessage[]; single?: boolean };
  const messages = replayMessages(stored, from, to);
  return single ? messages[0] : messages;
}

/**
 * Rebuilds a replayed output for the current call; its ToolMessages answer `to.toolCallId`.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function replayOutput(rec: RecordedOutput, to: ReplayTarget): ToolMessage | Command {
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
  const from = rec.toolCallId;
  const update = mapUpdate(rec.update, (v) => replayValue(v, from, to));
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

/**
 * True when `value` is a recorded output this package (or the langchain middleware) wrote.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function isRecordedOutput(value: unknown): value is RecordedOutput {
  const kind = (value as { kind?: unknown } | null | undefined)?.kind;
  return kind === "tool_message" || kind === "command";
}

/**
 * A recorded value as an output: a value recorded by something else (`withIdempotency` records a
 * tool's raw result) replays as plain content.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function asRecordedOutput(value: unknown): RecordedOutput {
  if (isRecordedOutput(value)) return value;
  return { kind: "tool_message", content: typeof value === "string" ? value : JSON.stringify(value ?? null), status: "success" };
}
