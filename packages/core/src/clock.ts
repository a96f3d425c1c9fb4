/** Time, injectable so leases and expiry can be tested without sleeping. Epoch milliseconds. */
export interface Clock {
  /** The current instant, epoch ms. Every lease, expiry and audit `ts` comes from here. */
  now(): number;
  /** Waits `ms` (real time by default). Used between polls of an in-progress key. */
  sleep?(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Sleeps `ms` real milliseconds; resolves early (without error) when `signal` aborts. */
export function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** `Date.now()` and `setTimeout`. */
export const systemClock: Clock = { now: () => Date.now(), sleep: realSleep };
