/**
 * The planted-anomaly log of bench/audit-log-generator.mjs, with the assertions every sink's
 * acceptance test shares: exactly the two planted flags, with their evidence, and counts that
 * match the entries that were written.
 */
import type { AuditEntry, AuditFlag, AuditReport } from "@agent-idempotency/core";
import { expect } from "vitest";
// @ts-expect-error: a plain .mjs script without type declarations (it runs under bare node too)
import { plantedAnomalies, plantedLog } from "../../bench/audit-log-generator.mjs";

/** Fixed start, so the planted times are known: 2026-11-02T00:00:00Z, 7 days. */
export const START = Date.parse("2026-11-02T00:00:00Z");
export const DAYS = 7;

export interface Planted {
  severalResponses: { action_type: string; idempotency_key: string; response_ids: string[]; session_id: string; times: number[] };
  severalKeys: { action_type: string; session_id: string; fingerprint: string; keys: string[]; times: number[] };
}

export const planted: Planted = plantedAnomalies(START, DAYS);

/** The entries of a planted log. */
export function plantedEntries(entries: number): AuditEntry[] {
  return [...(plantedLog({ entries, start: START, days: DAYS }) as Iterable<AuditEntry>)];
}

/** Outcome counts per action, computed independently of core's auditReport. */
export function countByAction(entries: readonly AuditEntry[]): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  for (const e of entries) {
    const c = out.get(e.action_type) ?? {};
    c[e.outcome] = (c[e.outcome] ?? 0) + 1;
    out.set(e.action_type, c);
  }
  return out;
}

/** Asserts the report holds exactly the two planted flags and the written entries' counts. */
export function expectPlantedReport(report: AuditReport, written: readonly AuditEntry[]): void {
  expect(report.entries).toBe(written.length);
  const expected = countByAction(written);
  expect(new Set(report.actions.map((a) => a.action_type))).toEqual(new Set(expected.keys()));
  for (const a of report.actions) {
    for (const [outcome, n] of Object.entries(expected.get(a.action_type)!)) expect(a.counts[outcome as keyof typeof a.counts], `${a.action_type} ${outcome}`).toBe(n);
  }
  expect(report.flags).toHaveLength(2);
  const severalResponses = report.flags.find((f): f is Extract<AuditFlag, { kind: "one_key_several_response_ids" }> => f.kind === "one_key_several_response_ids");
  const severalKeys = report.flags.find((f): f is Extract<AuditFlag, { kind: "one_action_several_keys" }> => f.kind === "one_action_several_keys");
  const A = planted.severalResponses;
  expect(severalResponses).toMatchObject({ action_type: A.action_type, idempotency_key: A.idempotency_key, sessions: [A.session_id] });
  expect([...severalResponses!.response_ids].sort()).toEqual(A.response_ids);
  expect(severalResponses!.first_ts).toBe(A.times[0]);
  const B = planted.severalKeys;
  expect(severalKeys).toMatchObject({ action_type: B.action_type, session_id: B.session_id, fingerprint: B.fingerprint, executions: 3 });
  expect([...severalKeys!.keys].sort()).toEqual([...B.keys].sort());
  expect(severalKeys!.first_ts).toBe(B.times[0]);
  expect(severalKeys!.last_ts).toBe(B.times[2]);
}
