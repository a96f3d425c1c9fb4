/**
 * A live-detection hook for LangGraph: when a guarded tool is about to run a call that already
 * executed under another key within the window, the graph stops with `interrupt()` and a person
 * decides. The claim is released while the graph waits; on resume the node runs the call again,
 * the repeat is found again, and `interrupt()` now returns the person's answer.
 *
 * ```ts
 * const node = new IdempotentToolNode(tools, {
 *   idempotency: { store, tools: { send_email: {} }, liveDetection: { onRepeat: interruptOnRepeat() } },
 * });
 * // graph.invoke(...) stops with __interrupt__: [{ value: { type: "idempotency_repeat", ... } }]
 * await graph.invoke(new Command({ resume: "proceed" }), config); // or "refuse"
 * ```
 *
 * Needs a checkpointer (every interrupt does). The interrupt's value holds the action, the
 * arguments (after normalization), both keys, turns and times; answers are `"proceed"`, `true`,
 * `{ approve: true }` (run it) or anything else (refuse: the model gets an error ToolMessage).
 */
import type { DetectedRepeat, RepeatDecision, RepeatHook } from "@agent-idempotency/core";
import { interrupt } from "@langchain/langgraph";

/** The value `interrupt()` is called with. */
export interface RepeatInterrupt {
  /** Tells this interrupt from the graph's others. */
  type: "idempotency_repeat";
  /** The tool (action) name. */
  action: string;
  /** The call's arguments after the policy's normalizers: what the person is asked about. */
  args: unknown;
  /**
   * `same_scope`: the key changed inside one scope (a broken key); `turn_id_changed`: the same turn
   * with a new message id (a retry); `new_scope`: another turn or scope (often a deliberate repeat).
   */
  kind: DetectedRepeat["kind"];
  /** The key of the call about to run. */
  key: string;
  /** The scope of the call about to run. */
  scope: string;
  /** The turn of the call about to run, when its scope has one. */
  turn?: string | undefined;
  /** The execution that claimed the window: its key, scope, turn and start (epoch ms). */
  previous: DetectedRepeat["previous"];
  /** How long ago the previous execution started, ms. */
  ageMs: number;
  /** What to resume with. */
  answers: ["proceed", "refuse"];
}

/** Options of {@link interruptOnRepeat}. */
export interface InterruptOnRepeatOptions {
  /**
   * Which repeats need a person; the rest are decided without one. Default: every repeat. For
   * example `(r) => r.kind === "new_scope" ? "ask" : "refuse"`: a broken key is refused outright,
   * a new turn is asked about.
   */
  decide?: ((repeat: DetectedRepeat) => "ask" | RepeatDecision) | undefined;
}

function approved(answer: unknown): boolean {
  if (answer === true || answer === "proceed") return true;
  return typeof answer === "object" && answer !== null && (answer as { approve?: unknown }).approve === true;
}

/**
 * A `liveDetection.onRepeat` hook that asks a person through LangGraph's `interrupt()`.
 *
 * @example
 * ```ts
 * import { interruptOnRepeat } from "@agent-idempotency/langgraph";
 * const idempotency = createIdempotency({ store, tools, liveDetection: { onRepeat: interruptOnRepeat() } });
 * ```
 */
export function interruptOnRepeat(options: InterruptOnRepeatOptions = {}): RepeatHook {
  return (repeat) => {
    const decided = options.decide?.(repeat) ?? "ask";
    if (decided !== "ask") return decided;
    const value: RepeatInterrupt = {
      type: "idempotency_repeat",
      action: repeat.action,
      args: repeat.args,
      kind: repeat.kind,
      key: repeat.key,
      scope: repeat.scope,
      turn: repeat.turn,
      previous: repeat.previous,
      ageMs: repeat.ageMs,
      answers: ["proceed", "refuse"],
    };
    return approved(interrupt(value)) ? "proceed" : "refuse";
  };
}
