import type { Clock } from "../clock.js";

/**
 * A clock that moves only when told to. `sleep()` yields to the event loop without moving time,
 * so code that polls keeps running while a test decides when leases expire.
 */
export class FakeClock implements Clock {
  #now: number;
  constructor(start = Date.UTC(2026, 11, 1, 10, 0, 0)) {
    this.#now = start;
  }
  /** The fake instant, epoch ms; it starts at `start` (default 2026-12-01T10:00:00Z). */
  now(): number {
    return this.#now;
  }
  /** Moves time forward by `ms`. */
  advance(ms: number): number {
    this.#now += ms;
    return this.#now;
  }
  /** Sets the time to the instant `ms` (epoch ms), backwards too. */
  set(ms: number): void {
    this.#now = ms;
  }
  /**
   * Resolves after a real millisecond whatever `ms` says, without moving time: a waiter polls,
   * and the test moves time with `advance`. Resolves at once when `signal` is aborted.
   */
  sleep(_ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      setTimeout(resolve, 1);
    });
  }
}
