/**
 * listByKeyset, which the SQL stores share for `list()`: keyset pages from the last key seen, up to
 * a limit. The stores' own suites run it against real databases.
 */
import { listByKeyset } from "@agent-idempotency/core/store";
import type { KeyedRow } from "@agent-idempotency/core/store";
import { describe, expect, it } from "vitest";

describe("listByKeyset", () => {
  const rows: KeyedRow[] = Array.from({ length: 12 }, (_, i) => ({ key: `k${String(i).padStart(2, "0")}`, value: i === 4 ? null : `v${i}` }));
  const pages: [string | undefined, number][] = [];
  const readPage = async (after: string | undefined, size: number) => {
    pages.push([after, size]);
    return rows.filter((r) => after === undefined || r.key > after).slice(0, size);
  };
  const collect = async (it: AsyncIterable<string>) => {
    const out: string[] = [];
    for await (const v of it) out.push(v);
    return out;
  };

  it("reads page after page from the last key, skipping rows without a value, until a page comes back short", async () => {
    pages.length = 0;
    expect(await collect(listByKeyset(readPage, undefined, 5))).toEqual(rows.filter((r) => r.value !== null).map((r) => r.value));
    expect(pages).toEqual([[undefined, 5], ["k04", 5], ["k09", 5]]);
  });

  it("stops at the limit, asking no more rows than it still needs", async () => {
    pages.length = 0;
    expect(await collect(listByKeyset(readPage, 3, 5))).toEqual(["v0", "v1", "v2"]);
    expect(pages).toEqual([[undefined, 3]]);
  });
});
