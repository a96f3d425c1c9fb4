/**
 * {@link listByKeyset}: `AtomicOps.list` over a table read in keyset pages, which the SQL stores
 * share. A store gives it the one query that differs between databases, "the next page of rows
 * under the prefix whose key sorts after this one".
 *
 * Why keyset pages: each page is one index range scan from the last key seen, so memory stays at
 * one page and no page rescans the rows before it (as `OFFSET` would), however large the table.
 */

/** One row of a page: the Keyv key and its raw value (`null` where the row holds none). */
export interface KeyedRow {
  /** The Keyv key (namespace prefix included): the next page starts after the last one. */
  key: string;
  /** The raw value as Keyv encoded it. */
  value: string | null;
}

/**
 * Yields the raw values under a prefix in key order, reading `pageSize` rows at a time, until a
 * page comes back short or `limit` values were yielded. Rows without a value are skipped.
 *
 * @param readPage - the rows under the prefix whose key sorts after `after` (from the first key
 *   when `after` is undefined), in key order, at most `size` of them.
 * @param limit - most values to yield. Default: all.
 * @param pageSize - most rows per page. Default 500.
 *
 * @example
 * ```ts
 * import { listByKeyset } from "@agent-idempotency/core/store";
 *
 * declare const db: { query(sql: string, params: unknown[]): Promise<{ key: string; value: string | null }[]> };
 *
 * const list = (prefix: string, limit?: number) =>
 *   listByKeyset(
 *     (after, size) => db.query("SELECT key, value FROM t WHERE key > $1 AND starts_with(key, $2) ORDER BY key LIMIT $3", [after ?? "", prefix, size]),
 *     limit,
 *   );
 * ```
 */
export async function* listByKeyset(
  readPage: (after: string | undefined, size: number) => Promise<readonly KeyedRow[]>,
  limit = Number.POSITIVE_INFINITY,
  pageSize = 500,
): AsyncGenerator<string, void, undefined> {
  let after: string | undefined;
  let left = limit;
  while (left > 0) {
    const size = Math.min(pageSize, left);
    const rows = await readPage(after, size);
    for (const row of rows) {
      if (row.value !== null) {
        left--;
        yield row.value;
      }
    }
    if (rows.length < size) return;
    after = rows[rows.length - 1]!.key;
  }
}
