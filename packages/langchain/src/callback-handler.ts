/**
 * `IdempotencyCallbackHandler`: an audit-only observer. It never decides, delays or replaces a
 * tool's result; it writes the design's audit entries and reports duplicates, so a team can run it
 * first, observe-only, and see how often its agent repeats a side effect before adopting the guard.
 *
 * One entry per tool call, one writer per call. The engine writes the entry of every call it runs
 * (`executed`, `replayed`, `failed`, ... and `unguarded` for tools without a policy), so this
 * handler writes entries only for the calls no engine runs, and lets the engine's entry stand for
 * the others. It recognizes them by the run itself, at `handleToolStart`: `IdempotentToolNode`,
 * `idempotencyMiddleware` and `withIdempotency` start every tool run they pass through the engine
 * with the `ENGINE_RUN_METADATA` entry (the langgraph package's), so the handler needs no engine to
 * tell them apart, and a tool run without the mark (a stock ToolNode, a tool invoked directly) is
 * its own to log. A replay under the node or the middleware does not run the tool at all (no
 * tool run to observe); `withIdempotency` reports its replays with the `idempotency_replay` event on
 * the run. Give the engine the handler's sink to get one log.
 *
 * Duplicates are reported for every execution the handler sees, logged by it or by the engine.
 *
 * Its keys are the engine's for the same call (at thread scope) when it is given the agent's
 * `tools`: callbacks show the input as the model wrote it and never the tool's schema, so the
 * handler parses the input with the schema and derives normalizers from it as the engine's
 * integrations do (`normalizeFromSchema`). Without them, it warns once per tool with a policy.
 *
 * Callbacks run in the background unless awaited; this handler is awaited (`awaitHandlers`), so
 * every entry is handed to the sink before the tool's `invoke` (and the agent's) resolves.
 * `handleToolEnd`/`handleToolError` carry no metadata, so runs are correlated by `runId`.
 */
import type { AuditEntry, AuditSink, Clock, ResolvedPolicy } from "@agent-idempotency/core";
import { createPolicyTable } from "@agent-idempotency/core/internal";
import { systemClock } from "@agent-idempotency/core";
import type { EngineRunMark } from "@agent-idempotency/langgraph";
import type { NamedTool } from "@agent-idempotency/langgraph/internal";
import { engineRunOf, parseToolArgs, toolOutputSchema } from "@agent-idempotency/langgraph/internal";
import { IDEMPOTENCY_REPLAY_EVENT } from "@agent-idempotency/langgraph";
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import type { Serialized } from "@langchain/core/load/serializable";
import { ToolMessage } from "@langchain/core/messages";
import type { LLMResult } from "@langchain/core/outputs";
import type { IdempotencyCallbackHandlerOptions } from "./callback-handler-options.js";
import { checkHandlerOptions, warningSink } from "./callback-handler-options.js";
import type { DuplicateToolCall } from "./duplicate-window.js";
import { DuplicateWindow } from "./duplicate-window.js";
import type { ObservedCall } from "./observed-call.js";
import { keyOf, parseInput, responseIdOf } from "./observed-call.js";

export type { IdempotencyCallbackHandlerOptions } from "./callback-handler-options.js";

interface ObservedRun extends ObservedCall {
  startedAt: number;
  toolCallId: string | undefined;
  /** Set when the engine runs this call, and so writes its entry. */
  engine: EngineRunMark | undefined;
  replayed: boolean;
  /** Settles once `args` hold the tool's parse of its input (when the handler has the tool). */
  parsed: Promise<void>;
}

const MAX_TOOL_NAMES = 10_000;

/**
 * Observes every tool call of a run (guarded or not), writes audit entries for the calls the engine
 * does not guard, and reports duplicate executions. Attach it as a callback to a LangGraph graph,
 * `createAgent`, or a single tool call.
 *
 * @example
 * ```ts
 * import { auditReport, MemoryAuditLog } from "@agent-idempotency/core";
 * import { IdempotencyCallbackHandler } from "@agent-idempotency/langchain";
 *
 * const log = new MemoryAuditLog();
 * const handler = new IdempotencyCallbackHandler({
 *   audit: log,
 *   policies: { book_calendar: { identity: ["slot"] } },
 *   tools: [bookCalendar], // the agent's tools: keys parsed and normalized as the engine does
 *   onDuplicate: (d) => console.warn(`${d.action_type} ran ${d.executions} times in ${d.windowMs} ms`),
 * });
 * await agent.invoke({ messages: [new HumanMessage("book 10:00")] }, { configurable: { thread_id: "t-1" }, callbacks: [handler] });
 * const report = await auditReport(log.query());
 * ```
 */
export class IdempotencyCallbackHandler extends BaseCallbackHandler {
  /** The handler's name, as LangChain's callback manager and tracers show it. */
  name = "IdempotencyCallbackHandler";
  /** The sink entries go to. */
  readonly audit: AuditSink;
  readonly #options: IdempotencyCallbackHandlerOptions;
  readonly #policy: (tool: string) => ResolvedPolicy | undefined;
  readonly #clock: Clock;
  readonly #duplicates: DuplicateWindow;
  readonly #runs = new Map<string, ObservedRun>();
  /** tool_call_id → tool name, from the model's output: class-based tools start runs without their name. */
  readonly #toolNames = new Map<string, string>();
  /** The agent's tools by name (the `tools` option): their schemas parse and normalize the input. */
  readonly #tools: ReadonlyMap<string, NamedTool>;
  readonly #warn: (message: string) => void;
  /** Tools with a policy already warned about for lack of a schema. */
  readonly #warned = new Set<string>();

  constructor(options: IdempotencyCallbackHandlerOptions) {
    // Awaited: a background callback still queued when the process exits loses its entry.
    super({ _awaitHandler: true, raiseError: false, ignoreChain: true, ignoreRetriever: true });
    this.#warn = warningSink(options ?? {});
    checkHandlerOptions(options, this.#warn);
    this.audit = options.audit;
    this.#options = options;
    this.#tools = new Map((options.tools ?? []).map((t) => [t.name, t]));
    this.#clock = options.clock ?? systemClock;
    this.#duplicates = new DuplicateWindow(options.windowMs ?? 60_000);
    const table = options.policies ? createPolicyTable(options.policies, undefined, () => undefined) : undefined;
    this.#policy = (tool) => (table ? table.get(tool) : options.idempotency?.policy(tool));
  }

  /** The handler keeps per-run state; LangChain's `copy()` must not split it. */
  override copy(): this {
    return this;
  }

  /** Notes the tool name of each tool call the model emitted: class-based tools start their runs without it. */
  override async handleLLMEnd(output: LLMResult): Promise<void> {
    this.#safely(() => {
      for (const generations of output.generations ?? []) {
        for (const g of generations) {
          const calls = (g as { message?: { tool_calls?: { id?: string; name: string }[] } }).message?.tool_calls ?? [];
          for (const c of calls) {
            if (typeof c.id !== "string") continue;
            this.#toolNames.set(c.id, c.name);
            if (this.#toolNames.size > MAX_TOOL_NAMES) this.#toolNames.delete(this.#toolNames.keys().next().value!);
          }
        }
      }
    });
  }

  /**
   * Starts observing a tool run: its name, input and session (`thread_id` from the run's metadata,
   * else the `sessionId` option), and whether an engine runs it (and so writes its entry).
   */
  override async handleToolStart(
    tool: Serialized,
    input: string,
    runId: string,
    _parentRunId?: string,
    _tags?: string[],
    metadata?: Record<string, unknown>,
    runName?: string,
    toolCallId?: string,
  ): Promise<void> {
    this.#safely(() => {
      const name = (toolCallId !== undefined ? this.#toolNames.get(toolCallId) : undefined) ?? runName ?? tool.id?.at(-1) ?? "tool";
      if (toolCallId !== undefined) this.#toolNames.delete(toolCallId);
      const thread = metadata?.["thread_id"];
      const fromThread = (typeof thread === "string" && thread !== "") || typeof thread === "number";
      // The engine runs it (and logs it) when the node, the middleware or withIdempotency marked it.
      const engine = engineRunOf(metadata);
      const run: ObservedRun = {
        name,
        args: parseInput(input),
        startedAt: this.#clock.now(),
        sessionId: fromThread ? String(thread) : (this.#options.sessionId ?? ""),
        fromThread,
        toolCallId,
        engine,
        replayed: engine?.replayed === true, // the run a replay is reported as: the tool did not run
        parsed: Promise.resolve(),
      };
      this.#runs.set(runId, run);
      run.parsed = this.#parse(run, engine === undefined);
    });
  }

  /**
   * Callbacks see the input as the model wrote it; the engine keys what the tool's schema parses
   * it into, normalized by that schema. With the tool at hand, do the same, so both keys agree.
   */
  async #parse(run: ObservedRun, ours: boolean): Promise<void> {
    const tool = this.#tools.get(run.name);
    if (tool === undefined) {
      if (ours && this.#policy(run.name) !== undefined && !this.#warned.has(run.name)) {
        this.#warned.add(run.name);
        this.#warn(
          `${run.name}: observed without its schema, so its keys skip the schema's parse and normalizers (normalizeFromSchema) and may differ from the engine's for the same call; pass the agent's tools (tools: […])`,
        );
      }
      return;
    }
    run.schema = toolOutputSchema(tool);
    const parsed = await parseToolArgs(tool, run.args);
    if (parsed.ok) run.args = parsed.args;
  }

  /** An `idempotency_replay` event on a run: the tool did not run, so it is no execution. */
  override async handleCustomEvent(eventName: string, _data: unknown, runId: string): Promise<void> {
    const run = this.#runs.get(runId);
    if (eventName === IDEMPOTENCY_REPLAY_EVENT && run !== undefined) run.replayed = true;
  }

  /**
   * Ends a run: writes the entry of a call no engine runs (`unguarded`, `duplicate`, or `failed`
   * for an error ToolMessage) and reports a duplicate execution, the engine's calls included.
   */
  override async handleToolEnd(output: unknown, runId: string): Promise<void> {
    const run = this.#runs.get(runId);
    if (run === undefined) return;
    this.#runs.delete(runId);
    try {
      await run.parsed;
      await this.#ended(run, output);
    } catch (error) {
      this.#report(error, undefined);
    }
  }

  /** Ends a run that threw: a `failed` entry for a call no engine runs (the engine logs its own); never a duplicate. */
  override async handleToolError(_error: unknown, runId: string): Promise<void> {
    const run = this.#runs.get(runId);
    if (run === undefined) return;
    this.#runs.delete(runId);
    try {
      await run.parsed;
      if (run.engine === undefined) await this.#finish(run, "failed", undefined);
    } catch (error) {
      this.#report(error, undefined);
    }
  }

  async #ended(run: ObservedRun, output: unknown): Promise<void> {
    const message = ToolMessage.isInstance(output) ? output : undefined;
    const meta = (message?.response_metadata as { idempotency?: { replayed?: boolean; key?: string } } | undefined)?.idempotency;
    const failed = message?.status === "error";
    if (run.engine !== undefined || meta !== undefined) {
      // The engine wrote this call's entry; only count it when the tool really ran and succeeded.
      const guarded = meta !== undefined || run.engine?.guarded === true;
      if (!failed && !run.replayed && meta?.replayed !== true) await this.#execution(run, meta?.key ?? run.engine?.key, guarded);
      return;
    }
    await this.#finish(run, failed ? "failed" : "unguarded", output);
  }

  /** Writes the entry of an unguarded call: `unguarded`, `duplicate` (it ran again), or `failed`. */
  async #finish(run: ObservedRun, outcome: "unguarded" | "failed", output: unknown): Promise<void> {
    const now = this.#clock.now();
    const policy = this.#policy(run.name);
    const { key, fingerprint, scope } = keyOf(run, policy);
    const entry: AuditEntry = {
      ts: now,
      action_type: run.name,
      idempotency_key: key,
      response_id: outcome === "failed" ? undefined : responseIdOf(policy, output),
      outcome,
      session_id: run.sessionId,
      tool_call_id: run.toolCallId,
      fingerprint,
      attempt: 1,
      duration_ms: Math.max(0, now - run.startedAt),
      scope,
      // Observe-only: a key here was derived for the log, never handed to the tool.
      key_sent: false,
    };
    const duplicate = outcome === "unguarded" ? await this.#execution(run, key, false, fingerprint, now) : undefined;
    if (duplicate) entry.outcome = "duplicate";
    try {
      await this.audit.write(entry);
    } catch (error) {
      this.#report(error, entry);
    }
  }

  /** Records one execution; reports it (and returns true) when it repeats one inside the window. */
  async #execution(run: ObservedRun, key: string | undefined, guarded: boolean, fp?: string, now = this.#clock.now()): Promise<boolean> {
    const fingerprint = fp ?? keyOf(run, this.#policy(run.name)).fingerprint;
    const again = { ts: now, tool_call_id: run.toolCallId, idempotency_key: key || undefined };
    const seen = this.#duplicates.observe(JSON.stringify([run.name, fingerprint, run.sessionId]), again);
    if (seen === undefined) return false;
    const duplicate: DuplicateToolCall = {
      action_type: run.name,
      session_id: run.sessionId,
      fingerprint,
      first: seen.first,
      again,
      executions: seen.executions,
      guarded,
      windowMs: this.#duplicates.windowMs,
    };
    try {
      await this.#options.onDuplicate?.(duplicate);
    } catch (error) {
      this.#report(error, undefined);
    }
    return true;
  }

  #safely(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.#report(error, undefined);
    }
  }

  #report(error: unknown, entry: AuditEntry | undefined): void {
    try {
      (this.#options.onAuditError ?? ((e: unknown) => console.warn("[agent-idempotency] [langchain] audit callback failed:", e)))(error, entry);
    } catch {
      // a reporting hook that throws must not reach the observed run either
    }
  }
}
