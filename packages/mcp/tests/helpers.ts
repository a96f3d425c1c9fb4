/**
 * The real MCP server of `fixtures/calendar-server.mjs`, spawned over stdio (it runs the built
 * packages), and the files it writes: one line per side effect, one per call received.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

export const SERVER = fileURLToPath(new URL("./fixtures/calendar-server.mjs", import.meta.url));

/** Forked processes import `dist/`; without a build the suites that spawn the server skip. */
export const built = ["core", "mcp", "store-sqlite"].every((p) => existsSync(fileURLToPath(new URL(`../../${p}/dist/index.js`, import.meta.url))));
if (!built) console.warn("\n!! SKIPPING the MCP server suites: build first (pnpm run build), the server process runs dist/\n");

export interface Effect {
  effect: string;
  slot: string;
  id?: string;
  key?: string;
  source?: string;
  attempt?: number;
  pid: number;
}
export interface ReceivedCall {
  tool: string;
  meta: Record<string, unknown> | null;
  args: Record<string, unknown>;
  session: string | null;
  pid: number;
}

function lines<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as T);
}

/** A scratch folder with the server's files, and the environment that points the server at them. */
export function serverFiles(env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "aidem-mcp-"));
  const files = { DB: join(dir, "idempotency.db"), EFFECTS: join(dir, "effects.jsonl"), CALLS: join(dir, "calls.jsonl") };
  return {
    dir,
    env: { ...files, ...env },
    /** The server's environment: ours, plus PATH and HOME so node starts as usual. */
    processEnv: (extra: Record<string, string> = {}) => ({ PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...files, ...env, ...extra }),
    effects: () => lines<Effect>(files.EFFECTS),
    calls: () => lines<ReceivedCall>(files.CALLS),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** An SDK client connected to a freshly spawned server; `pid` is the server process. */
export async function connect(env: Record<string, string>): Promise<{ client: Client; pid: number; close: () => Promise<void> }> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [SERVER], env, stderr: "inherit" });
  const client = new Client({ name: "test", version: "1.0.0" });
  await client.connect(transport);
  return { client, pid: transport.pid ?? -1, close: () => client.close() };
}

/** The text of a tool result's first content block. */
export function text(result: unknown): string {
  const content = (result as { content?: { text?: string }[] }).content;
  return content?.[0]?.text ?? "";
}
