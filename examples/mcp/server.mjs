// The calendar's MCP server (the SDK's McpServer over stdio). `book_calendar` answers its first
// booking slowly, after making it: the client gives up and the model retries, as it would after a
// 504 that lied.
//
// GUARD=on (default): the tool is guarded by mcpServerIdempotency on a SqliteStore (DB), so a
// call whose key (tools/call _meta) or arguments it has seen replays the recorded result, across
// restarts. GUARD=off: the same server without it.
//
// Each real booking is one line in CALENDAR; each tools/call received is one line in REQUESTS;
// the guard writes its audit entries (executed, replayed, ...) to AUDIT.
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { JsonlAuditLog } from "@agent-idempotency/core";
import { MCP_IDEMPOTENCY_KEY_META, mcpServerIdempotency } from "@agent-idempotency/mcp/server";
import { SqliteStore } from "@agent-idempotency/store-sqlite";
import { z } from "zod";

const { DB, CALENDAR, REQUESTS, AUDIT, GUARD = "on", SLOW_MS = "500" } = process.env;
const append = (file, entry) => appendFileSync(file, `${JSON.stringify(entry)}\n`);

/** The side effect: a booking in the calendar. */
async function book(slot, key) {
  const made = existsSync(CALENDAR) ? readFileSync(CALENDAR, "utf8").split("\n").filter(Boolean).length : 0;
  const booking = { id: `bk_${made + 1}`, slot, key: key ?? null };
  append(CALENDAR, booking);
  // The calendar's first answer is slow (the booking is already made): the client gives up.
  if (made === 0) await new Promise((r) => setTimeout(r, Number(SLOW_MS)));
  return booking;
}

async function bookCalendar({ slot }, _extra, call) {
  const booking = await book(slot, call?.key);
  return { content: [{ type: "text", text: `Booked ${slot} (${booking.id}).` }] };
}

const guard =
  GUARD === "off"
    ? undefined
    : mcpServerIdempotency({
        idempotency: { store: new SqliteStore({ path: DB }), audit: new JsonlAuditLog(AUDIT), tools: { book_calendar: { identity: ["slot"] } } },
      });
const handler = guard ? guard.tool("book_calendar", bookCalendar) : bookCalendar;

const server = new McpServer({ name: "calendar", version: "1.0.0" });
server.registerTool(
  "book_calendar",
  {
    description: "Book a calendar slot",
    inputSchema: { slot: z.string().describe("ISO start time") },
    // With the guard, a repeated call with the same slot has no further effect: say so.
    annotations: { readOnlyHint: false, idempotentHint: guard !== undefined },
  },
  (args, extra) => {
    append(REQUESTS, { tool: "book_calendar", key: extra._meta?.[MCP_IDEMPOTENCY_KEY_META] ?? null, pid: process.pid });
    return handler(args, extra);
  },
);
server.registerTool(
  "list_slots",
  { description: "List the free slots of a day", inputSchema: { day: z.string() }, annotations: { readOnlyHint: true } },
  async ({ day }, extra) => {
    append(REQUESTS, { tool: "list_slots", key: extra._meta?.[MCP_IDEMPOTENCY_KEY_META] ?? null, pid: process.pid });
    return { content: [{ type: "text", text: `${day}: 09:00, 10:00, 11:00` }] };
  },
);

await server.connect(new StdioServerTransport());
