// The work every variant does: one tool, one argument shape, one result, whatever is guarding it.
import { randomBytes } from "node:crypto";

/** Server URLs, as the test suites find them. */
export const PG_URL = process.env.IDEMPOTENCY_PG_URL || "postgres://postgres@127.0.0.1:5432/test";
export const REDIS_URL = process.env.IDEMPOTENCY_REDIS_URL || "redis://127.0.0.1:6379";
export const MYSQL_URL = process.env.IDEMPOTENCY_MYSQL_URL || "mysql://root@127.0.0.1:3306/test";

/** A suffix that keeps this run's tables and key prefixes apart from every other run and test. */
export const RUN_ID = randomBytes(4).toString("hex");

/** Tool arguments of about 200 bytes of JSON; `i` makes each call a different logical action. */
export function args200(i) {
  return {
    user_id: "u_1234567",
    calendar_id: "cal_primary",
    slot: { start: "2026-12-01T10:00:00Z", end: "2026-12-01T10:30:00Z" },
    title: "Design review",
    attendees: ["ada@example.com", "grace@example.com"],
    request_no: i,
  };
}

/** Tool arguments of about 10 KB of JSON (a long attendee list and a free-text body). */
export function args10k(i) {
  const attendees = Array.from({ length: 120 }, (_, k) => ({ email: `person${k}@example.com`, role: k % 7 ? "optional" : "required", rsvp: k % 3 === 0 }));
  return { ...args200(i), attendees, body: "Agenda: ".padEnd(2000, "lorem ipsum dolor sit amet ") };
}

/** The side effect: an async call that returns a small booking (about 90 bytes of JSON). */
export async function bookCalendar(a) {
  return { booking_id: `b_${a.request_no}`, status: "confirmed", slot: a.slot };
}

/** The policy every engine in the suite uses: all arguments are the identity (the default). */
export const TOOLS = { book_calendar: {} };

/** A guarded call through our engine. */
export function runOurs(engine, a, session = "s-bench") {
  return engine.run({ action: "book_calendar", args: a, sessionId: session }, () => bookCalendar(a));
}

/** Deletes every Redis key under `prefix` (SCAN, never KEYS), with a node-redis client. */
export async function deleteRedisPrefix(client, prefix) {
  let cursor = "0";
  let n = 0;
  do {
    const [next, keys] = await client.sendCommand(["SCAN", cursor, "MATCH", `${prefix}*`, "COUNT", "1000"]);
    cursor = String(next);
    if (keys.length) n += Number(await client.sendCommand(["DEL", ...keys]));
  } while (cursor !== "0");
  return n;
}
