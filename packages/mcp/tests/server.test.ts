/**
 * The server side against a real MCP server (the SDK's McpServer over stdio, in its own process,
 * on a SqliteStore): a retried call, a retry after the client gave up, concurrent duplicates in one
 * server and in two servers sharing the database, and a restart between two calls. Every assertion
 * counts the real side effects the server wrote.
 */
import { afterEach, describe, expect, it } from "vitest";
import { MCP_IDEMPOTENCY_KEY_META, MCP_IDEMPOTENCY_REPLAYED_META } from "@agent-idempotency/mcp";
import { built, connect, serverFiles, text } from "./helpers.js";

const KEY = MCP_IDEMPOTENCY_KEY_META;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(env: Record<string, string> = {}) {
  const files = serverFiles(env);
  cleanups.push(files.remove);
  const server = await connect(files.processEnv());
  cleanups.push(server.close);
  return { ...files, ...server };
}

describe.skipIf(!built)("mcpServerIdempotency().tool(): a real MCP server over stdio", () => {
  it("tool(): a call retried with the same key in _meta runs once; the retry gets the recorded result, marked replayed", async () => {
    const s = await start();
    const call = () => s.client.callTool({ name: "book_calendar", arguments: { slot: "10:00" }, _meta: { [KEY]: "k-retry" } });
    const first = await call();
    const retry = await call();

    expect(s.effects()).toHaveLength(1);
    expect(text(retry)).toBe(text(first));
    expect(first._meta).toMatchObject({ [KEY]: "k-retry", [MCP_IDEMPOTENCY_REPLAYED_META]: false });
    expect(retry._meta).toMatchObject({ [KEY]: "k-retry", [MCP_IDEMPOTENCY_REPLAYED_META]: true });
    // The server saw the key in _meta both times, and the handler got it to forward upstream.
    expect(s.calls().map((c) => c.meta?.[KEY])).toEqual(["k-retry", "k-retry"]);
    expect(s.effects()[0]).toMatchObject({ key: "k-retry", source: "client" });
  });

  it("tool(): a retry after the client gave up on a slow call (request timeout) waits for it and replays: one effect", async () => {
    const s = await start({ DELAY_MS: "600" });
    const call = (timeout?: number) =>
      s.client.callTool({ name: "book_calendar", arguments: { slot: "10:00" }, _meta: { [KEY]: "k-slow" } }, undefined, timeout ? { timeout } : undefined);
    await expect(call(100)).rejects.toThrow(/timed out/i);
    const retry = await call();

    expect(s.effects()).toHaveLength(1);
    expect(text(retry)).toMatch(/^booked 10:00 as bk_/);
    expect(retry._meta?.[MCP_IDEMPOTENCY_REPLAYED_META]).toBe(true);
  });

  it("tool(): two concurrent duplicates run once; one of them is the replay", async () => {
    const s = await start({ DELAY_MS: "200" });
    const call = () => s.client.callTool({ name: "book_calendar", arguments: { slot: "10:00" }, _meta: { [KEY]: "k-dup" } });
    const results = await Promise.all([call(), call()]);

    expect(s.effects()).toHaveLength(1);
    expect(s.calls()).toHaveLength(2);
    expect(new Set(results.map(text)).size).toBe(1);
    expect(results.map((r) => r._meta?.[MCP_IDEMPOTENCY_REPLAYED_META]).sort()).toEqual([false, true]);
  });

  it("tool(): concurrent duplicates sent to two server processes sharing one SQLite file run once", async () => {
    const files = serverFiles({ DELAY_MS: "300" });
    cleanups.push(files.remove);
    const a = await connect(files.processEnv());
    cleanups.push(a.close);
    const b = await connect(files.processEnv());
    cleanups.push(b.close);
    expect(a.pid).not.toBe(b.pid);
    const call = (c: typeof a) => c.client.callTool({ name: "book_calendar", arguments: { slot: "12:00" }, _meta: { [KEY]: "k-two-servers" } });
    const results = await Promise.all([call(a), call(b)]);

    expect(files.effects()).toHaveLength(1);
    expect(new Set(files.calls().map((c) => c.pid))).toEqual(new Set([a.pid, b.pid]));
    expect(new Set(results.map(text)).size).toBe(1);
  });

  it("tool(): a server restarted between two calls (SQLite) replays the first call's result", async () => {
    const files = serverFiles();
    cleanups.push(files.remove);
    const before = await connect(files.processEnv());
    const call = (c: typeof before) => c.client.callTool({ name: "book_calendar", arguments: { slot: "10:00" }, _meta: { [KEY]: "k-restart" } });
    const first = await call(before);
    await before.close();

    const after = await connect(files.processEnv());
    cleanups.push(after.close);
    const again = await call(after);

    expect(after.pid).not.toBe(before.pid);
    expect(files.effects()).toHaveLength(1);
    expect(files.effects()[0]!.pid).toBe(before.pid);
    expect(text(again)).toBe(text(first));
    expect(again._meta?.[MCP_IDEMPOTENCY_REPLAYED_META]).toBe(true);
    // A key derived from the arguments (no key sent) survives the restart too.
    const derived = await after.client.callTool({ name: "book_calendar", arguments: { slot: "15:00" } });
    await after.close();
    const restarted = await connect(files.processEnv());
    cleanups.push(restarted.close);
    const derivedAgain = await restarted.client.callTool({ name: "book_calendar", arguments: { slot: "15:00", note: "again" } });
    expect(files.effects()).toHaveLength(2);
    expect(text(derivedAgain)).toBe(text(derived));
  });

  it("tool(): without a key the server derives one from the identity fields; other slots are other bookings", async () => {
    const s = await start();
    const book = (slot: string, note?: string) => s.client.callTool({ name: "book_calendar", arguments: note ? { slot, note } : { slot } });
    const a = await book("09:00");
    await book("09:00", "the model reworded its note");
    await book("11:00");

    expect(s.effects().map((e) => e.slot)).toEqual(["09:00", "11:00"]);
    expect(s.effects()[0]).toMatchObject({ source: "derived" });
    expect(a._meta?.[KEY]).toMatch(/^[0-9a-f]{32}$/);
    // The key never travelled in the arguments.
    expect(s.calls().every((c) => !JSON.stringify(c.args).includes(String(a._meta?.[KEY])))).toBe(true);
  });

  it("tool(): an isError result is a failure, not an outcome: the claim is released and the retry runs again", async () => {
    const s = await start();
    const call = () => s.client.callTool({ name: "flaky_booking", arguments: { slot: "busy" }, _meta: { [KEY]: "k-busy" } });
    const first = await call();
    const second = await call();

    expect(first.isError).toBe(true);
    expect(second.isError).toBe(true);
    expect(text(second)).toBe("busy is busy");
    expect(s.effects()).toHaveLength(2);
  });

  it("tool(): a malformed key in _meta is refused before anything runs", async () => {
    const s = await start();
    const r = await s.client.callTool({ name: "book_calendar", arguments: { slot: "10:00" }, _meta: { [KEY]: "has spaces" } });

    expect(r.isError).toBe(true);
    expect(text(r)).toContain(`_meta["${KEY}"] must be 1 to 196 printable ASCII characters`);
    expect(s.effects()).toHaveLength(0);
  });

  it('tool(): onMissingKey "error" refuses a call without a key and runs one with a key', async () => {
    const s = await start({ ON_MISSING_KEY: "error" });
    const refused = await s.client.callTool({ name: "book_calendar", arguments: { slot: "10:00" } });
    await s.client.callTool({ name: "book_calendar", arguments: { slot: "10:00" }, _meta: { [KEY]: "k-1" } });

    expect(refused.isError).toBe(true);
    expect(text(refused)).toContain(`requires an idempotency key in _meta["${KEY}"]`);
    expect(s.effects()).toHaveLength(1);
  });
});
