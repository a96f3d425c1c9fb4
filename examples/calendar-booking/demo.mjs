#!/usr/bin/env node
// The calendar-booking demo: the same scripted agent, once with LangGraph's stock ToolNode and
// once with IdempotentToolNode, against a calendar that books and then answers 504.
//   node examples/calendar-booking/demo.mjs [--store memory|sqlite:PATH|postgres://…|mysql://…|redis://…] [--json]
import { startCalendarApi, startPaymentsApi } from "./src/apis.mjs";
import { REQUEST, runAgent } from "./src/agent.mjs";
import { openDemoStore } from "./src/demo-store.mjs";

function parseArgs(argv) {
  const opts = { store: "memory", json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--json") opts.json = true;
    else if (a === "--store") opts.store = argv[++i];
    else if (a.startsWith("--store=")) opts.store = a.slice("--store=".length);
    else if (a === "--help" || a === "-h") opts.help = true;
    else throw new Error(`unknown argument ${a}; try --help`);
  }
  if (!opts.store) throw new Error("--store needs a value: memory, sqlite:PATH, postgres://…, mysql://… or redis://…");
  return opts;
}

async function once(kind, store) {
  const calendar = await startCalendarApi();
  const payments = await startPaymentsApi();
  try {
    const run = await runAgent({ kind, store, calendarUrl: calendar.url, paymentsUrl: payments.url });
    const bookings = calendar.events.filter((e) => e.slot === REQUEST.slot).length;
    return { ...run, bookings, charges: payments.charges.length };
  } finally {
    await Promise.all([calendar.close(), payments.close()]);
  }
}

function table(stock, ours, store) {
  const row = (label, a, b) => `  ${label.padEnd(18)}${String(a).padStart(14)}${String(b).padStart(22)}`;
  const short = (keys) => (keys.length ? keys.map((k) => `${k.slice(0, 8)}…`).join(", ") : "-");
  return [
    "calendar-booking: a scripted agent books 10:00 on Dec 1 and charges $120.",
    "The calendar books the slot, then answers 504 (the 504 lies); the model retries both calls.",
    "",
    row("", "stock ToolNode", "IdempotentToolNode"),
    row("tool calls", stock.toolCalls, ours.toolCalls),
    row("bookings made", stock.bookings, ours.bookings),
    row("charges made", stock.charges, ours.charges),
    row("replays", stock.replays, ours.replays),
    row("keys used", stock.keys.length, ours.keys.length),
    "",
    `stock ToolNode: ${stock.bookings} bookings and ${stock.charges} charges for one request${stock.bookings > 1 ? " (double-booked)" : ""}.`,
    `IdempotentToolNode: ${ours.bookings} booking, ${ours.charges} charge; the retry reused the keys ${short(ours.keys)} (store: ${store}).`,
  ].join("\n");
}

const USAGE = "usage: demo.mjs [--store memory|sqlite:PATH|postgres://…|mysql://…|redis://…] [--json]";
let opts;
let opened;
try {
  opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    console.log(USAGE);
    process.exit(0);
  }
  opened = await openDemoStore(opts.store);
} catch (e) {
  console.error(`calendar-booking: ${e?.message ?? e}\n${USAGE}`);
  process.exit(2);
}
const stock = await once("stock", undefined);
let ours;
try {
  ours = await once("idempotent", opened.store); // closes the store
} finally {
  await opened.cleanUp(); // a table or prefix of this run's own: dropped
}
// The URI the store was opened with, password hidden: it names this run's table or prefix.
const shown = opened.uri.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
if (opts.json) console.log(JSON.stringify({ store: shown, stock, idempotent: ours }));
else console.log(table(stock, ours, shown));
// A regression, not a demo: ours must book and charge exactly once.
if (ours.bookings !== 1 || ours.charges !== 1) process.exitCode = 1;
