/**
 * The tools of the key corpus: each with its input JSON schema (as a zod schema converts, or as an
 * MCP server publishes), the identity a careful user picks, and its normalizers in three forms:
 *
 * - `before`: written by hand with the four normalizers core shipped before (`trim`, `lowercase`,
 *   `isoInstant`, `number`);
 * - `handWritten`: written by hand with every normalizer core ships now, no schema;
 * - `explicit`: only what a schema cannot say (array order, phone numbers, free text), to be used
 *   with `normalizeFromSchema`, which derives the rest.
 */
import type { JsonSchema, Normalizer } from "@agent-idempotency/core";
import { asSet, boolean, collapseWhitespace, compose, each, isoInstant, lowercase, minorUnits, nfc, number, sortedBy, trim } from "@agent-idempotency/core";
import { e164 } from "@agent-idempotency/core/phone";

export interface CorpusTool {
  schema: JsonSchema;
  identity?: string[];
  before: Record<string, Normalizer>;
  handWritten: Record<string, Normalizer>;
  explicit: Record<string, Normalizer>;
}

const email = compose(trim, lowercase);
const freeText = compose(nfc, collapseWhitespace);
const emailSet = compose(each(email), asSet);
const obj = (properties: Record<string, unknown>, required: string[] = Object.keys(properties)) => ({ type: "object", properties, required, additionalProperties: false });
const str = { type: "string" };

export const TOOLS: Record<string, CorpusTool> = {
  book_calendar: {
    schema: obj({ user_email: { type: "string", format: "email" }, calendar_id: str, start: { type: "string", format: "date-time" }, duration_minutes: { type: "integer" }, title: str }, ["user_email", "calendar_id", "start"]),
    identity: ["user_email", "calendar_id", "start"],
    before: { user_email: email, start: isoInstant },
    handWritten: { user_email: email, start: isoInstant },
    explicit: {},
  },
  schedule_meeting: {
    schema: obj({ title: str, attendees: { type: "array", items: { type: "string", format: "email" } }, start: { type: "string", format: "date-time" }, end: { type: "string", format: "date-time" }, send_invites: { type: "boolean" }, location: str }, ["title", "attendees", "start"]),
    identity: ["title", "attendees", "start"],
    before: { title: trim, start: isoInstant },
    handWritten: { title: freeText, attendees: emailSet, start: isoInstant },
    explicit: { title: freeText, attendees: asSet },
  },
  send_email: {
    schema: obj({ to: { type: "array", items: { type: "string", format: "email" } }, cc: { type: "array", items: { type: "string", format: "email" } }, subject: str, body: str, importance: { type: "string", enum: ["low", "normal", "high"] } }, ["to", "subject", "body"]),
    identity: ["to", "subject", "body"],
    before: { subject: trim, body: trim },
    handWritten: { to: emailSet, subject: freeText, body: freeText },
    explicit: { to: asSet, subject: freeText, body: freeText },
  },
  charge_card: {
    schema: obj({ order_id: str, customer_id: str, amount_usd: { type: "number" }, capture: { type: "boolean" }, description: str }, ["order_id", "amount_usd"]),
    identity: ["order_id", "amount_usd"],
    before: { amount_usd: number },
    handWritten: { amount_usd: minorUnits("USD") },
    explicit: { amount_usd: minorUnits("USD") },
  },
  transfer_funds: {
    schema: obj({ from_account: str, to_account: str, amount: { type: "number" }, currency: { type: "string", enum: ["USD", "EUR", "GBP"] }, reference: str }),
    identity: ["from_account", "to_account", "amount", "currency", "reference"],
    before: { amount: number, currency: lowercase, reference: trim },
    handWritten: { amount: number, currency: lowercase, reference: freeText },
    explicit: { reference: freeText },
  },
  send_sms: {
    schema: obj({ to: { type: "string", description: "the recipient's phone number" }, body: str }),
    identity: ["to", "body"],
    before: { to: trim, body: trim },
    handWritten: { to: e164({ defaultCountry: "US" }), body: freeText },
    explicit: { to: e164({ defaultCountry: "US" }), body: freeText },
  },
  create_ticket: {
    schema: obj({ project: { type: "string", enum: ["WEB", "API", "OPS"] }, title: str, priority: { type: "string", enum: ["low", "medium", "high", "urgent"] }, labels: { type: "array", items: str }, assignee_email: { type: "string", format: "email" }, description: str }, ["project", "title"]),
    identity: ["project", "title"],
    before: { project: lowercase, title: trim },
    handWritten: { project: lowercase, title: freeText },
    explicit: { title: freeText },
  },
  add_labels: {
    schema: obj({ issue_number: { type: "integer" }, labels: { type: "array", items: str } }),
    identity: ["issue_number", "labels"],
    before: { issue_number: number },
    handWritten: { issue_number: number, labels: compose(each(compose(trim, lowercase)), asSet) },
    explicit: { labels: compose(each(compose(trim, lowercase)), asSet) },
  },
  place_order: {
    schema: obj({ customer_id: str, items: { type: "array", items: obj({ sku: str, quantity: { type: "integer" } }) }, gift_wrap: { type: "boolean" }, shipping: { type: "string", enum: ["standard", "express"] } }),
    // identity: all arguments (the default)
    before: { shipping: lowercase },
    handWritten: { "items[*].quantity": number, items: sortedBy("sku"), gift_wrap: boolean, shipping: lowercase },
    explicit: { items: sortedBy("sku") },
  },
  post_message: {
    schema: obj({ channel: str, text: str, unfurl_links: { type: "boolean" } }, ["channel", "text"]),
    identity: ["channel", "text"],
    before: { text: trim },
    handWritten: { text: freeText },
    explicit: { text: freeText },
  },
  write_file: {
    // Layout is content here: nothing normalizes `content`, and the schema derives nothing for it.
    schema: obj({ path: str, content: str, overwrite: { type: "boolean" } }, ["path", "content"]),
    identity: ["path", "content"],
    before: {},
    handWritten: {},
    explicit: {},
  },
};
