/**
 * Tells streaming consumers about a replay. Two channels, because LangGraph 1.7 keeps them apart:
 * `dispatchCustomEvent` reaches callbacks and `streamEvents` (`on_custom_event`), while
 * `streamMode: "custom"` only carries what `config.writer` writes (LangGraph's custom stream
 * convention is `{ name, payload }`, which its stream protocol maps to the `custom:<name>` channel).
 * An event never changes a call's outcome, so failures to emit are swallowed.
 */
import { dispatchCustomEvent } from "@langchain/core/callbacks/dispatch";
import type { RunnableConfig } from "@langchain/core/runnables";
import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";

/** The custom event's name. */
export const IDEMPOTENCY_REPLAY_EVENT = "idempotency_replay";

/** The payload of an `idempotency_replay` event. */
export interface IdempotencyReplayEvent {
  /** The tool (action) name. */
  tool: string;
  /** The idempotency key whose recorded output was replayed. */
  key: string;
  /** The current call's id (the replayed output answers it). */
  tool_call_id: string;
  /** `replayed`; `mismatch` when the key's record was made with other arguments (replayed anyway); `failed` for a failure recorded with `cacheErrors`. */
  outcome: string;
  /** The attempt that recorded the output: 1, or more after take-overs of dead claims. */
  attempt: number;
  /** When the replayed output was recorded (epoch ms). */
  recordedAt?: number | undefined;
}

/** A custom stream writer (`config.writer`, a tool runtime's `writer`). */
type Writer = (chunk: unknown) => void;

type WriterConfig = RunnableConfig & { writer?: Writer; configurable?: { writer?: Writer } };

/**
 * Emits `idempotency_replay` on both channels: on `config`'s run (without one, the run of the
 * async context), and to `writer` (default: the config's own writer). A promise only when there
 * are callbacks to dispatch to; otherwise done on return, with no promise to await.
 * @internal shared with `@agent-idempotency/langchain`; not a stable API.
 */
export function emitReplay(config: RunnableConfig | undefined, payload: IdempotencyReplayEvent, writer?: Writer | null): Promise<void> | undefined {
  const write = () => {
    try {
      const c = config as WriterConfig | undefined;
      (writer ?? c?.writer ?? c?.configurable?.writer)?.({ name: IDEMPOTENCY_REPLAY_EVENT, payload });
    } catch {
      // A consumer's writer that throws must not turn a replay into a failure.
    }
  };
  // A run without callbacks has no handler to tell (LangGraph hands a node callbacks whenever the
  // graph's run has any: tracers, streamEvents, a handler passed in): no dispatch, which would
  // configure a callback manager (environment reads included) only to find nobody.
  if ((config ?? AsyncLocalStorageProviderSingleton.getRunnableConfig())?.callbacks === undefined) {
    write();
    return undefined;
  }
  return dispatchCustomEvent(IDEMPOTENCY_REPLAY_EVENT, payload, config).then(write, () => {
    // No parent run (the node invoked outside a runnable): nobody is listening.
    write();
  });
}
