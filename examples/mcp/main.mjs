// A LangGraph agent books a slot through a real MCP server (server.mjs, spawned over stdio by
// @langchain/mcp-adapters), offline: a scripted model, no API key.
//
// The model lists the free slots (a read-only tool), books 10:00, and the calendar answers that
// booking too slowly: the client gives up although the booking was made. The model retries. Then
// both sides restart (a new server process; an agent that lost its own records) and the turn runs
// again, booking 10:00 once more.
//
// 1. Stock: ToolNode, and the server without a guard: three bookings.
// 2. Guarded: IdempotentToolNode over idempotentMcpTools(), `defaults: { guard: "all" }` with the
//    read-only tool left unguarded (mcpToolPolicies), and the server's tool wrapped by
//    mcpServerIdempotency on SQLite. Every booking request carries the same key in tools/call
//    _meta; the server makes the booking once and replays it to the retry and after the restart.
//
// Run it: `node main.mjs` after building the packages (./dev.sh demo builds everything).
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createIdempotency, MemoryStore } from "@agent-idempotency/core";
import { IdempotentToolNode } from "@agent-idempotency/langgraph";
import { idempotentMcpTools, mcpToolPolicies } from "@agent-idempotency/mcp";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { fakeModel } from "@langchain/core/testing";
import { END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { ToolNode } from "@langchain/langgraph/prebuilt";
import { MultiServerMCPClient } from "@langchain/mcp-adapters";

const SERVER = fileURLToPath(new URL("./server.mjs", import.meta.url));
const SLOW_MS = 500; // the first booking's answer
const TIMEOUT_MS = 250; // how long the agent waits for a tool
const BACKOFF_MS = 1000; // the agent waits this long before asking the model again after a tool error

const readLines = (file) => (existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l)) : []);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The MCP client of the calendar server; each `connect()` spawns a new server process. */
function calendarServer(files, guard) {
  const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...files, GUARD: guard, SLOW_MS: String(SLOW_MS) };
  return () => new MultiServerMCPClient({ mcpServers: { calendar: { transport: "stdio", command: process.execPath, args: [SERVER], env } }, defaultToolTimeout: TIMEOUT_MS });
}

/** The model: lists slots, books 10:00, books it again after the error; after a restart, books once more. */
const scripts = {
  turn: () =>
    fakeModel()
      .respondWithTools([{ name: "list_slots", args: { day: "2026-12-01" }, id: "call_1" }])
      .respondWithTools([{ name: "book_calendar", args: { slot: "2026-12-01T10:00:00Z" }, id: "call_2" }])
      .respondWithTools([{ name: "book_calendar", args: { slot: "2026-12-01T10:00:00Z" }, id: "call_3" }])
      .respond(new AIMessage("Booked 10:00.")),
  afterRestart: () =>
    fakeModel()
      .respondWithTools([{ name: "book_calendar", args: { slot: "2026-12-01T10:00:00Z" }, id: "call_4" }])
      .respond(new AIMessage("Booked 10:00.")),
};

/** model -> tools -> model ... until the model answers without a tool call. */
function agentGraph(model, toolNode) {
  const callModel = async ({ messages }) => {
    const last = messages.at(-1);
    if (last?.getType() === "tool" && last.status === "error") await sleep(BACKOFF_MS);
    return { messages: [await model.invoke(messages)] };
  };
  return new StateGraph(MessagesAnnotation)
    .addNode("agent", callModel)
    .addNode("tools", toolNode)
    .addEdge(START, "agent")
    .addConditionalEdges("agent", ({ messages }) => (messages.at(-1).tool_calls?.length ? "tools" : END), ["tools", END])
    .addEdge("tools", "agent")
    .compile();
}

/** One run: the turn, a restart of both sides, the turn again. `guarded` picks the setup. */
async function run(guarded, dir) {
  const name = guarded ? "guarded" : "stock";
  const files = { DB: join(dir, `${name}.db`), CALENDAR: join(dir, `${name}-calendar.jsonl`), REQUESTS: join(dir, `${name}-requests.jsonl`), AUDIT: join(dir, `${name}-audit.jsonl`) };
  const connect = calendarServer(files, guarded ? "on" : "off");
  const ask = new HumanMessage({ id: "msg-1", content: "Book me 10:00 on Dec 1st" });
  const config = { configurable: { thread_id: "demo" } };
  const answers = [];

  for (const script of [scripts.turn, scripts.afterRestart]) {
    const mcp = connect(); // a new server process: the restart
    try {
      let toolNode;
      if (guarded) {
        const tools = await idempotentMcpTools(mcp);
        // A new engine on a new MemoryStore each time: the agent lost its own records in the restart.
        const idempotency = createIdempotency({ store: new MemoryStore(), defaults: { guard: "all" }, tools: { ...mcpToolPolicies(tools), book_calendar: { identity: ["slot"] } } });
        toolNode = new IdempotentToolNode(tools, { idempotency });
      } else {
        toolNode = new ToolNode(await mcp.getTools());
      }
      const out = await agentGraph(script(), toolNode).invoke({ messages: [ask] }, config);
      answers.push(...out.messages.filter((m) => m.getType() === "tool"));
    } finally {
      await mcp.close();
    }
  }
  const requests = readLines(files.REQUESTS);
  const bookingRequests = requests.filter((r) => r.tool === "book_calendar");
  return {
    bookCalls: answers.filter((m) => m.name === "book_calendar").length,
    bookings: readLines(files.CALENDAR),
    keysSent: [...new Set(bookingRequests.map((r) => r.key))],
    bookingRequests: bookingRequests.length,
    listSlotsKeys: requests.filter((r) => r.tool === "list_slots").map((r) => r.key),
    serverProcesses: new Set(requests.map((r) => r.pid)).size,
    serverOutcomes: readLines(files.AUDIT).map((e) => e.outcome),
    answers: answers.map((m) => ({ id: m.tool_call_id, tool: m.name, status: m.status ?? "success", text: textOf(m.content) })),
  };
}

function textOf(content) {
  if (typeof content === "string") return content;
  return content.map((b) => b.text ?? "").join("");
}

/** Runs both setups and returns what happened (the test checks it). `print` receives each line. */
export async function runDemo(print = () => {}) {
  const dir = mkdtempSync(join(tmpdir(), "aidem-mcp-demo-"));
  try {
    const stock = await run(false, dir);
    const guarded = await run(true, dir);
    const row = (label, a, b) => print(`  ${label.padEnd(26)}${String(a).padStart(10)}${String(b).padStart(22)}`);
    print(`${"".padEnd(28)}stock ToolNode    IdempotentToolNode`);
    print(`${"".padEnd(28)}  bare server    mcpServerIdempotency`);
    row("book_calendar calls", stock.bookCalls, guarded.bookCalls);
    row("bookings made", stock.bookings.length, guarded.bookings.length);
    row("keys in tools/call _meta", stock.keysSent.filter(Boolean).length, guarded.keysSent.length);
    row("server processes", stock.serverProcesses, guarded.serverProcesses);
    print("");
    print("guarded run, as the model saw it:");
    for (const a of guarded.answers) print(`  ${a.id} ${a.tool}: ${a.status === "error" ? "error (timed out)" : a.text}`);
    print(`the server saw key ${guarded.keysSent[0]?.slice(0, 12)}… in _meta on all ${guarded.bookingRequests} booking requests (${guarded.serverOutcomes.join(", ")});`);
    print("list_slots (readOnlyHint) ran unguarded and got no key");
    return { stock, guarded };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runDemo(console.log);
