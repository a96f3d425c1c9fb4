/**
 * The server side over Streamable HTTP on loopback: each client connection is its own MCP session,
 * so a retry that reconnects (after a server restart, here a SIGKILL) arrives on a new session. The
 * key, and the default scope, must not depend on it.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import { MCP_IDEMPOTENCY_KEY_META, MCP_IDEMPOTENCY_REPLAYED_META } from "@agent-idempotency/mcp";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { built, SERVER, serverFiles, text } from "./helpers.js";

const KEY = MCP_IDEMPOTENCY_KEY_META;
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Spawns the server in HTTP mode and waits for its port. */
async function startHttp(env: Record<string, string>): Promise<{ url: URL; child: ChildProcess }> {
  const child = spawn(process.execPath, [SERVER], { env: { ...env, TRANSPORT: "http" }, stdio: ["ignore", "pipe", "inherit"] });
  cleanups.push(() => child.exitCode === null && child.kill("SIGKILL"));
  const lines = createInterface({ input: child.stdout! });
  const [first] = (await Promise.race([once(lines, "line"), once(child, "exit").then(() => ["exited"])])) as [string];
  const port = /^listening (\d+)$/.exec(first)?.[1];
  if (port === undefined) throw new Error(`the HTTP server did not start: ${first}`);
  return { url: new URL(`http://127.0.0.1:${port}/mcp`), child };
}

async function connectHttp(url: URL): Promise<Client> {
  const client = new Client({ name: "test", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(url));
  cleanups.push(() => client.close().catch(() => undefined));
  return client;
}

describe.skipIf(!built)("mcpServerIdempotency(): Streamable HTTP on loopback", () => {
  it("tool(): concurrent duplicates from two sessions run once; after a SIGKILL and a restart, the retry on a new session replays (SQLite)", async () => {
    const files = serverFiles({ DELAY_MS: "200" });
    cleanups.push(files.remove);
    const first = await startHttp(files.processEnv());
    const [a, b] = [await connectHttp(first.url), await connectHttp(first.url)];
    const book = (c: Client) => c.callTool({ name: "book_calendar", arguments: { slot: "10:00" }, _meta: { [KEY]: "k-http" } });
    const concurrent = await Promise.all([book(a), book(b)]);

    first.child.kill("SIGKILL");
    await once(first.child, "exit");
    const second = await startHttp(files.processEnv());
    const retried = await book(await connectHttp(second.url));

    expect(files.effects()).toHaveLength(1);
    expect(new Set([...concurrent, retried].map(text)).size).toBe(1);
    expect(retried._meta?.[MCP_IDEMPOTENCY_REPLAYED_META]).toBe(true);
    const sessions = files.calls().map((c) => c.session);
    expect(sessions.every((s) => typeof s === "string")).toBe(true);
    expect(new Set(sessions).size).toBe(3);
    expect(new Set(files.calls().map((c) => c.pid)).size).toBe(2);
  });

  it("tool(): a key derived without one from the client survives a reconnect to a new session", async () => {
    const files = serverFiles();
    cleanups.push(files.remove);
    const { url } = await startHttp(files.processEnv());
    const book = async () => (await connectHttp(url)).callTool({ name: "book_calendar", arguments: { slot: "14:00" } });
    const one = await book();
    const two = await book();

    expect(files.effects()).toHaveLength(1);
    expect(text(two)).toBe(text(one));
    expect(new Set(files.calls().map((c) => c.session)).size).toBe(2);
  });
});
