/** The error a synchronous call throws, for tests that check its class and message. */

/** Runs `fn` and answers what it threw; fails the test when it threw nothing. */
export function rejected(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a throw");
}
