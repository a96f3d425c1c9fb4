import type { ClaimRequest } from "../../store.js";

/**
 * The suite's time origin: an hour ahead of the real clock, so that stores which also set a
 * physical expiry on the server (Redis `PXAT`) never see a deadline already in the past.
 */
export const T0 = Math.floor(Date.now() / 1000) * 1000 + 3_600_000;

/** A claim request at `T0 + at` with a 60 s lease and 24 h retention. */
export function claimRequest(at = 0, overrides: Partial<ClaimRequest> = {}): ClaimRequest {
  return {
    scope: "scope-a",
    action: "book_calendar",
    fingerprint: "f".repeat(32),
    now: T0 + at,
    leaseMs: 60_000,
    retentionMs: 86_400_000,
    ...overrides,
  };
}

/** Values whose round trip through a store must be exact. */
export const TRICKY_VALUE = {
  booking_id: "b_1",
  unicode: "Zoë 日本 🎉",
  colon: ":starts-with-colon",
  base64ish: ":base64:AAAA",
  nested: { a: [1, 2.5, -3, 0, null, true, false, "", { deep: ["x"] }], empty: {}, list: [] },
  big: 9007199254740991,
  tiny: 1e-7,
  quote: 'a "quoted" \\ backslash\nnewline',
};
