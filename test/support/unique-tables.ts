/**
 * Table names for the SQL store suites: unique per run, so parallel runs in other worktrees never
 * see each other's rows, and remembered, so a file's `afterAll` drops what it made.
 */
import { randomUUID } from "node:crypto";

/** A table name no other test run uses (lower case, within the stores' 48-character limit). */
export function uniqueTable(label: string): string {
  return `aidem_${label}_${randomUUID().replaceAll("-", "").slice(0, 10)}`;
}

/** Hands out unique table names and keeps them in `created`, for one file's clean-up. */
export function tableNames(): { table(label: string): string; created: string[] } {
  const created: string[] = [];
  return {
    table(label: string): string {
      const t = uniqueTable(label);
      created.push(t);
      return t;
    },
    created,
  };
}
