/**
 * How an error leaves `idempotencyMiddleware`: exactly as it came in, unless the user asked for
 * the tool's own errors to go back to the model (`handleToolErrors: true`).
 *
 * langchain 1.5's agent ToolNode answers a tool's error with an error ToolMessage only when the
 * agent has no `wrapToolCall` middleware at all. Once any is present (this one included), an error
 * that leaves the middleware chain fails the run, unless a middleware in the chain handles it
 * (`toolErrorMiddleware`, `toolRetryMiddleware`'s `onFailure`, a custom one); only
 * `ToolInvocationError` (arguments the schema rejects) is still answered by the ToolNode. So the
 * middleware rethrows every error it did not cause, as the same object: a middleware outside it
 * (and langchain's own checks) sees what it would see without it, and langchain does not wrap an
 * error that came out of the inner handler in a `MiddlewareError`.
 *
 * `handleToolErrors: true` gives back what an agent without `wrapToolCall` middleware does, and no
 * more: only an error the tool itself threw (seen as it left the tool's `invoke`) is answered,
 * with the ToolNode's own words; errors of other middleware, interrupts and aborted runs still
 * travel untouched.
 */
import type { ToolCall } from "@langchain/core/messages/tool";
import { ToolMessage } from "@langchain/core/messages";
import { isGraphBubbleUp } from "@langchain/langgraph";

/** Errors a tool's `invoke` threw, as the middleware's tool wrapper saw them leave. */
const thrownByTools = new WeakSet<object>();
/** Errors that came out of the rest of the middleware chain (the tool's among them). */
const thrownByChains = new WeakSet<object>();

/** `run()`, remembering in `seen` what it throws or rejects with; one promise, not an async frame. */
function noting<T>(seen: WeakSet<object>, run: () => Promise<T> | T): Promise<T> {
  const note = (error: unknown): never => {
    if (typeof error === "object" && error !== null) seen.add(error);
    throw error;
  };
  let out: Promise<T> | T;
  try {
    out = run();
  } catch (error) {
    return Promise.reject(error).catch(note);
  }
  return Promise.resolve(out).catch(note);
}

/**
 * Runs a tool's `invoke` and remembers what it throws as the tool's own error.
 * @internal
 */
export function noteToolErrors<T>(invoke: () => Promise<T>): Promise<T> {
  return noting(thrownByTools, invoke);
}

/**
 * Runs the rest of the middleware chain and remembers what it throws, so the middleware never
 * mistakes another middleware's (or a nested engine's) error for one of its own engine.
 * @internal
 */
export function noteChainErrors<T>(run: () => Promise<T> | T): Promise<T> {
  return noting(thrownByChains, run);
}

/**
 * True for an error that came out of the rest of the chain.
 * @internal
 */
export function cameFromChain(error: unknown): boolean {
  return typeof error === "object" && error !== null && thrownByChains.has(error);
}

/**
 * The answer to an error that reached the middleware: with `handleToolErrors`, the error
 * ToolMessage langchain's ToolNode gives for an error the tool threw when no `wrapToolCall`
 * middleware is present; otherwise (and for anything but the tool's own error) `error` itself,
 * rethrown unchanged.
 * @internal
 */
export function answerToolError(error: unknown, call: ToolCall, handleToolErrors: boolean, signal?: AbortSignal): ToolMessage {
  const own = typeof error === "object" && error !== null && thrownByTools.has(error);
  if (!handleToolErrors || !own || isGraphBubbleUp(error) || signal?.aborted) throw error;
  // langchain 1.5 `defaultHandleToolErrors`: `${error}` is "Error: message" for an Error.
  return new ToolMessage({ content: `${error}\n Please fix your mistakes.`, tool_call_id: call.id as string, name: call.name, status: "error" });
}
