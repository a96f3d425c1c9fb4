/**
 * Observe-only duplicate detection: the same tool with the same canonical arguments in the same
 * session that actually executed twice within `windowMs`. Only executions count (a replay did not
 * run the tool; a failure is reported as `failed`, not as a duplicate, to keep false alarms down).
 *
 * Memory stays bounded on long-lived processes: each group keeps only the executions inside the
 * window, and every few hundred observations groups with nothing recent are dropped.
 */

/** One execution the handler saw. */
export interface ObservedExecution {
  /** When it finished, epoch ms. */
  ts: number;
  /** The model's id for the call, when the run had one. */
  tool_call_id?: string | undefined;
  /**
   * The key the engine ran it under, or for a call no engine ran, the key its policy gives it (only
   * derived for the log); absent without a policy, a session or its identity fields.
   */
  idempotency_key?: string | undefined;
}

/** What `onDuplicate` receives: one logical action that executed again within the window. */
export interface DuplicateToolCall {
  /** The tool (action) name. */
  action_type: string;
  /** The run's `thread_id`, else the handler's `sessionId` option, else `""`. */
  session_id: string;
  /** sha256 of the canonical (policy-normalized) arguments. */
  fingerprint: string;
  /** The earliest execution still inside the window. */
  first: ObservedExecution;
  /** The execution that repeated it. */
  again: ObservedExecution;
  /** Executions of this action inside the window, `again` included (2 or more). */
  executions: number;
  /**
   * True when the engine guarded `again`: it ran under a different key (a new turn, or a key too
   * narrow), and the audit report flags it as "one action, several keys".
   */
  guarded: boolean;
  /** The handler's window, ms (its `windowMs` option, default 60 000). */
  windowMs: number;
}

const SWEEP_EVERY = 500;

/** @internal */
export class DuplicateWindow {
  readonly windowMs: number;
  #groups = new Map<string, ObservedExecution[]>();
  #sinceSweep = 0;

  constructor(windowMs: number) {
    this.windowMs = windowMs;
  }

  /**
   * Records an execution of `group` (action, fingerprint, session) and returns the earliest
   * execution of that group still inside the window with how many there are, or undefined
   * when this is the only one.
   */
  observe(group: string, execution: ObservedExecution): { first: ObservedExecution; executions: number } | undefined {
    const horizon = execution.ts - this.windowMs;
    const recent = (this.#groups.get(group) ?? []).filter((e) => e.ts >= horizon);
    recent.push(execution);
    this.#groups.set(group, recent);
    if (++this.#sinceSweep >= SWEEP_EVERY) this.#sweep(horizon);
    return recent.length >= 2 ? { first: recent[0]!, executions: recent.length } : undefined;
  }

  #sweep(horizon: number): void {
    this.#sinceSweep = 0;
    for (const [group, recent] of this.#groups) if (recent.every((e) => e.ts < horizon)) this.#groups.delete(group);
  }
}
