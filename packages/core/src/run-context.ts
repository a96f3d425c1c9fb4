/**
 * What `fn` receives, with its AbortSignal made only if `fn` reads it: most tools never do, and
 * one AbortController per call shows in the profile. Aborts that come earlier (the caller's
 * signal, a lost lease) are replayed onto the signal when it is made.
 */
import type { RunContext } from "./engine-types.js";

export function createRunContext(key: string, attempt: number, callerSignal: AbortSignal | undefined) {
  let controller: AbortController | undefined;
  let abortedWith: { reason: unknown } | undefined;
  const abort = (reason: unknown) => {
    if (abortedWith) return;
    abortedWith = { reason };
    controller?.abort(reason);
  };
  const onCallerAbort = () => abort(callerSignal?.reason);
  if (callerSignal?.aborted) onCallerAbort();
  callerSignal?.addEventListener("abort", onCallerAbort, { once: true });
  const context: RunContext = {
    key,
    attempt,
    get signal() {
      if (!controller) {
        controller = new AbortController();
        if (abortedWith) controller.abort(abortedWith.reason);
      }
      return controller.signal;
    },
  };
  return {
    context,
    /** Aborts `context.signal` (now, or when it is first read). */
    abort,
    /** Stops following the caller's signal. */
    dispose: () => callerSignal?.removeEventListener("abort", onCallerAbort),
  };
}
