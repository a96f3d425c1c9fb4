/**
 * What `fn` receives, with its AbortSignal made only if `fn` reads it: most tools never do, and
 * one AbortController per call shows in the profile. Aborts that come earlier (the caller's
 * signal, a lost lease) are replayed onto the signal when it is made. A class, so a call's
 * context is one object with its getter on the prototype, not a literal with closures.
 */
import type { RunContext } from "./engine-types.js";

export class ToolContext implements RunContext {
  readonly key: string;
  readonly attempt: number;
  #controller: AbortController | undefined;
  #abortedWith: { reason: unknown } | undefined;
  #callerSignal: AbortSignal | undefined;
  #onCallerAbort: (() => void) | undefined;

  constructor(key: string, attempt: number, callerSignal: AbortSignal | undefined) {
    this.key = key;
    this.attempt = attempt;
    if (callerSignal === undefined) return;
    if (callerSignal.aborted) this.#abort(callerSignal.reason);
    else {
      this.#callerSignal = callerSignal;
      this.#onCallerAbort = () => this.#abort(callerSignal.reason);
      callerSignal.addEventListener("abort", this.#onCallerAbort, { once: true });
    }
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#abortedWith) this.#controller.abort(this.#abortedWith.reason);
    }
    return this.#controller.signal;
  }

  /** Aborts `ctx.signal` (now, or when it is first read). Static, so the tool's context shows no such method. */
  static abort(ctx: ToolContext, reason: unknown): void {
    ctx.#abort(reason);
  }

  /** Stops following the caller's signal. */
  static dispose(ctx: ToolContext): void {
    if (ctx.#onCallerAbort) ctx.#callerSignal!.removeEventListener("abort", ctx.#onCallerAbort);
  }

  #abort(reason: unknown): void {
    if (this.#abortedWith) return;
    this.#abortedWith = { reason };
    this.#controller?.abort(reason);
  }
}
