/**
 * The key corpus: pairs of tool calls as models emit them, each labelled as one logical action
 * (a retry that re-emits the call, spelled differently) or two distinct actions (a near miss: the
 * same tool, almost the same arguments, and a different effect). Same session for both calls of a
 * pair: the corpus is about arguments; scopes are tested elsewhere.
 *
 * Written from the variants seen in agent transcripts: a model retrying after a timeout rewrites
 * the time in the user's zone, re-cases an e-mail, reorders a recipient list, re-flows a message,
 * quotes a number or a boolean, spells a phone number the way the user typed it, or composes a
 * title with decomposed accents. Some same-action pairs are deliberately out of reach of every
 * normalizer (a paraphrase, a re-cased title, an IBAN with spaces, a channel with or without "#"):
 * they are what recall below 100 % is made of.
 */

export interface CorpusPair {
  tool: string;
  same: boolean;
  /** What differs between the two calls. */
  variation: string;
  a: Record<string, unknown>;
  b: Record<string, unknown>;
}

export const PAIRS: CorpusPair[] = [];
const same = (tool: string, variation: string, a: Record<string, unknown>, b: Record<string, unknown>) => PAIRS.push({ tool, same: true, variation, a, b });
const distinct = (tool: string, variation: string, a: Record<string, unknown>, b: Record<string, unknown>) => PAIRS.push({ tool, same: false, variation, a, b });

// Variations of one action.
const JSON_SPELLING = "key order, number spelling";
const OUTSIDE = "a field outside the identity";
const EMAIL = "e-mail case and spaces";
const INSTANT = "time zone, instant spelling";
const UNICODE = "Unicode form (NFD vs NFC)";
const SPACE = "whitespace, line breaks";
const ORDER = "array order, repeats";
const PHONE = "phone number format";
const BOOL = "boolean as a string";
const NUM = "number as a string";
const ENUM = "enum case";
const MONEY = "amount spelling";
const OTHER = "paraphrase, other (no normalizer)";
// What separates two distinct actions.
const D_VALUE = "another value";
const D_INSTANT = "another instant (incl. same wall clock, other zone)";
const D_SET = "another member, one more or one fewer";
const D_COUNT = "a repeated line or another quantity";
const D_CASE = "case or layout that is content";

// --- book_calendar ------------------------------------------------------------------------------
{
  const t = "book_calendar";
  const b = { user_email: "ada.lovelace@example.com", calendar_id: "cal_9", start: "2026-12-01T10:00:00Z", duration_minutes: 30, title: "Sync" };
  same(t, JSON_SPELLING, b, { title: "Sync", start: b.start, calendar_id: "cal_9", duration_minutes: 30.0, user_email: b.user_email });
  same(t, EMAIL, b, { ...b, user_email: "Ada.Lovelace@Example.com" });
  same(t, EMAIL, b, { ...b, user_email: "ada.lovelace@example.com " });
  same(t, EMAIL, b, { ...b, user_email: "ADA.LOVELACE@EXAMPLE.COM" });
  same(t, INSTANT, b, { ...b, start: "2026-12-01T11:00:00+01:00" });
  same(t, INSTANT, b, { ...b, start: "2026-12-01T10:00:00.000Z" });
  same(t, INSTANT, b, { ...b, start: "2026-12-01T10:00Z" });
  same(t, INSTANT, b, { ...b, start: "2026-12-01T05:00:00-05:00" });
  same(t, INSTANT, b, { ...b, start: "2026-12-01 10:00:00Z" });
  same(t, INSTANT, b, { ...b, start: "2026-12-01T10:00:00+00:00" });
  same(t, OUTSIDE, b, { ...b, title: "Weekly sync with Ada" });
  same(t, NUM, b, { ...b, duration_minutes: "30" });
  same(t, EMAIL, { ...b, start: "2026-12-01T18:30:00+08:00" }, { ...b, user_email: "Ada.Lovelace@example.COM", start: "2026-12-01T10:30:00Z" });
  distinct(t, D_INSTANT, b, { ...b, start: "2026-12-01T10:30:00Z" });
  distinct(t, D_INSTANT, { ...b, start: "2026-12-01T10:00:00+01:00" }, b);
  distinct(t, D_INSTANT, b, { ...b, start: "2026-12-02T10:00:00Z" });
  distinct(t, D_VALUE, b, { ...b, user_email: "ada.lovelace@example.org" });
  distinct(t, D_VALUE, b, { ...b, user_email: "adb.lovelace@example.com" });
  distinct(t, D_VALUE, b, { ...b, calendar_id: "cal_90" });
  distinct(t, D_CASE, b, { ...b, calendar_id: "Cal_9" });
}

// --- schedule_meeting ---------------------------------------------------------------------------
{
  const t = "schedule_meeting";
  const b = { title: "Café design review", attendees: ["ada@example.com", "bob@example.com", "chen@example.com"], start: "2026-12-03T15:00:00Z", end: "2026-12-03T16:00:00Z", send_invites: true, location: "Room 4" };
  same(t, ORDER, b, { ...b, attendees: ["chen@example.com", "ada@example.com", "bob@example.com"] });
  same(t, ORDER, b, { ...b, attendees: ["bob@example.com", "chen@example.com", "ada@example.com"] });
  same(t, ORDER, b, { ...b, attendees: ["ada@example.com", "bob@example.com", "chen@example.com", "bob@example.com"] });
  same(t, EMAIL, b, { ...b, attendees: ["Ada@Example.com", "bob@example.com", "Chen@example.com"] });
  same(t, EMAIL, b, { ...b, attendees: ["Bob@example.com", "ada@example.com ", "CHEN@EXAMPLE.COM"] });
  same(t, UNICODE, b, { ...b, title: "Cafe\u0301 design review" });
  same(t, SPACE, b, { ...b, title: "Café design  review" });
  same(t, SPACE, b, { ...b, title: "Café design review\n" });
  same(t, SPACE, b, { ...b, title: " Café\tdesign review" });
  same(t, UNICODE, b, { ...b, title: "Cafe\u0301  design review " });
  same(t, INSTANT, b, { ...b, start: "2026-12-03T16:00:00+01:00" });
  same(t, INSTANT, b, { ...b, start: "2026-12-03T07:00:00-08:00", attendees: ["chen@example.com", "bob@example.com", "ada@example.com"] });
  same(t, BOOL, b, { ...b, send_invites: "true" });
  same(t, OUTSIDE, b, { ...b, location: "Room 4 (2nd floor)" });
  same(t, OTHER, b, { ...b, title: "Café Design Review" });
  distinct(t, D_SET, b, { ...b, attendees: [...b.attendees, "dee@example.com"] });
  distinct(t, D_SET, b, { ...b, attendees: ["ada@example.com", "bob@example.com"] });
  distinct(t, D_SET, b, { ...b, attendees: ["ada@example.com", "bob@example.com", "chen@example.org"] });
  distinct(t, D_VALUE, b, { ...b, title: "Café design reviews" });
  distinct(t, D_VALUE, b, { ...b, title: "Café design review 2" });
  distinct(t, D_INSTANT, b, { ...b, start: "2026-12-03T16:00:00Z" });
}

// --- send_email ---------------------------------------------------------------------------------
{
  const t = "send_email";
  const body = "Hi Ada,\n\nThe Q3 report is attached. Let me know if anything is unclear.\n\nBest,\nBob";
  const b = { to: ["ada@example.com", "finance@example.com"], cc: ["ceo@example.com"], subject: "Q3 report", body, importance: "normal" };
  same(t, ORDER, b, { ...b, to: ["finance@example.com", "ada@example.com"] });
  same(t, EMAIL, b, { ...b, to: ["Ada@Example.com", "Finance@example.com"] });
  same(t, ORDER, b, { ...b, to: ["ada@example.com", "finance@example.com", "ada@example.com"] });
  same(t, SPACE, b, { ...b, subject: "Q3 report\n" });
  same(t, SPACE, b, { ...b, subject: "Q3  report" });
  same(t, SPACE, b, { ...b, body: body.replace(/\n/g, "\r\n") });
  same(t, SPACE, b, { ...b, body: `${body}\n` });
  same(t, SPACE, b, { ...b, body: body.replace("attached. Let", "attached.  Let") });
  same(t, SPACE, b, { ...b, body: body.replace("\n\nThe", " The") });
  same(t, SPACE, b, { ...b, body: `  ${body}\n\n` });
  same(t, UNICODE, { ...b, subject: "Résumé of the offsite" }, { ...b, subject: "Re\u0301sume\u0301 of the offsite" });
  same(t, UNICODE, { ...b, body: "Hi Zoë, see you in Zürich." }, { ...b, body: "Hi Zoe\u0308, see you in Zu\u0308rich." });
  same(t, ENUM, b, { ...b, importance: "Normal" });
  same(t, OUTSIDE, b, { ...b, cc: ["ceo@example.com", "cfo@example.com"] });
  same(t, ORDER, b, { ...b, to: ["finance@example.com", "ada@example.com"], subject: " Q3 report" });
  same(t, OTHER, b, { ...b, body: body.replace("Let me know", "Tell me") });
  distinct(t, D_SET, b, { ...b, to: ["ada@example.com"] });
  distinct(t, D_SET, b, { ...b, to: ["ada@example.com", "finance@example.com", "legal@example.com"] });
  distinct(t, D_SET, b, { ...b, to: ["ada@example.com", "finance@example.org"] });
  distinct(t, D_VALUE, b, { ...b, subject: "Q4 report" });
  distinct(t, D_VALUE, b, { ...b, subject: "Re: Q3 report" });
  distinct(t, D_VALUE, b, { ...b, body: body.replace("Q3", "Q4") });
  distinct(t, D_VALUE, { ...b, body: "We can attend on Friday." }, { ...b, body: "We cannot attend on Friday." });
  distinct(t, D_VALUE, { ...b, body: "Your order 1041 has shipped." }, { ...b, body: "Your order 1042 has shipped." });
}

// --- charge_card (USD) --------------------------------------------------------------------------
{
  const t = "charge_card";
  const b = { order_id: "ord_1042", customer_id: "cus_77", amount_usd: 12.5, capture: true, description: "Order 1042" };
  same(t, JSON_SPELLING, b, { description: "Order 1042", capture: true, amount_usd: 12.50, customer_id: "cus_77", order_id: "ord_1042" });
  same(t, MONEY, b, { ...b, amount_usd: "12.50" });
  same(t, MONEY, b, { ...b, amount_usd: "12.5" });
  same(t, MONEY, b, { ...b, amount_usd: "$12.50" });
  same(t, MONEY, b, { ...b, amount_usd: "12.50 USD" });
  same(t, MONEY, b, { ...b, amount_usd: "USD 12.50" });
  same(t, MONEY, { ...b, amount_usd: 1299 }, { ...b, amount_usd: "1,299.00" });
  same(t, MONEY, { ...b, amount_usd: 1299 }, { ...b, amount_usd: "$1,299" });
  same(t, MONEY, { ...b, amount_usd: 19.99 }, { ...b, amount_usd: "19.99" });
  same(t, BOOL, b, { ...b, capture: "true" });
  same(t, OUTSIDE, b, { ...b, description: "Order #1042 (2 items)" });
  distinct(t, D_VALUE, b, { ...b, amount_usd: 12.05 });
  distinct(t, D_VALUE, b, { ...b, amount_usd: 125 });
  distinct(t, D_VALUE, { ...b, amount_usd: 1299 }, { ...b, amount_usd: 1299.01 });
  distinct(t, D_VALUE, { ...b, amount_usd: 40 }, { ...b, amount_usd: 4000 });
  distinct(t, D_VALUE, b, { ...b, order_id: "ord_1043" });
  distinct(t, D_VALUE, { ...b, amount_usd: "$12.50" }, { ...b, amount_usd: "$12.51" });
}

// --- transfer_funds -----------------------------------------------------------------------------
{
  const t = "transfer_funds";
  const b = { from_account: "DE89370400440532013000", to_account: "GB29NWBK60161331926819", amount: 250, currency: "EUR", reference: "Invoice 2231" };
  same(t, JSON_SPELLING, b, { reference: "Invoice 2231", currency: "EUR", amount: 250, to_account: b.to_account, from_account: b.from_account });
  same(t, NUM, b, { ...b, amount: "250" });
  same(t, NUM, b, { ...b, amount: "250.00" });
  same(t, NUM, { ...b, amount: 1000 }, { ...b, amount: "1,000" });
  same(t, ENUM, b, { ...b, currency: "eur" });
  same(t, ENUM, b, { ...b, currency: "Eur" });
  same(t, SPACE, b, { ...b, reference: "Invoice  2231" });
  same(t, SPACE, b, { ...b, reference: "Invoice 2231 " });
  same(t, ENUM, b, { ...b, currency: "eur", amount: "250.00" });
  same(t, OTHER, b, { ...b, from_account: "DE89 3704 0044 0532 0130 00" });
  distinct(t, D_VALUE, b, { ...b, amount: 25 });
  distinct(t, D_VALUE, b, { ...b, amount: 250.5 });
  distinct(t, D_VALUE, b, { ...b, currency: "GBP" });
  distinct(t, D_VALUE, b, { ...b, from_account: b.to_account, to_account: b.from_account });
  distinct(t, D_VALUE, b, { ...b, reference: "Invoice 2232" });
  distinct(t, D_VALUE, b, { ...b, to_account: "GB29NWBK60161331926818" });
}

// --- send_sms -----------------------------------------------------------------------------------
{
  const t = "send_sms";
  const b = { to: "+14155550132", body: "Your table for 4 is confirmed for 7:30 pm." };
  same(t, PHONE, b, { ...b, to: "(415) 555-0132" });
  same(t, PHONE, b, { ...b, to: "415-555-0132" });
  same(t, PHONE, b, { ...b, to: "415.555.0132" });
  same(t, PHONE, b, { ...b, to: "+1 415 555 0132" });
  same(t, PHONE, b, { ...b, to: "+1 (415) 555-0132" });
  same(t, PHONE, b, { ...b, to: "1-415-555-0132" });
  same(t, PHONE, { ...b, to: "+442079460958" }, { ...b, to: "+44 20 7946 0958" });
  same(t, PHONE, { ...b, to: "+442079460958" }, { ...b, to: "+44 (0)20 7946 0958" });
  same(t, SPACE, b, { ...b, body: `${b.body}\n` });
  same(t, SPACE, b, { ...b, body: "Your table for 4 is confirmed  for 7:30 pm." });
  same(t, PHONE, b, { ...b, to: "(415) 555-0132", body: ` ${b.body}` });
  distinct(t, D_VALUE, b, { ...b, to: "+14155550133" });
  distinct(t, D_VALUE, { ...b, to: "+442079460958" }, { ...b, to: "+12079460958" });
  distinct(t, D_VALUE, { ...b, to: "+1 415 555 0132 ext. 12" }, { ...b, to: "+1 415 555 0132 ext. 13" });
  distinct(t, D_VALUE, b, { ...b, to: "+1 415 555 0132 ext. 12" });
  distinct(t, D_VALUE, b, { ...b, body: "Your table for 2 is confirmed for 7:30 pm." });
  distinct(t, D_VALUE, b, { ...b, body: "Your table for 4 is confirmed for 8:30 pm." });
}

// --- create_ticket ------------------------------------------------------------------------------
{
  const t = "create_ticket";
  const b = { project: "WEB", title: "Checkout fails for José on step 2", priority: "high", labels: ["bug", "checkout"], assignee_email: "ada@example.com", description: "500 on POST /checkout" };
  same(t, ENUM, b, { ...b, project: "web" });
  same(t, ENUM, b, { ...b, project: "Web" });
  same(t, UNICODE, b, { ...b, title: "Checkout fails for Jose\u0301 on step 2" });
  same(t, SPACE, b, { ...b, title: "Checkout fails for José on step 2\n" });
  same(t, SPACE, b, { ...b, title: "Checkout fails for José  on step 2" });
  same(t, ENUM, b, { ...b, priority: "High" });
  same(t, ORDER, b, { ...b, labels: ["checkout", "bug"] });
  same(t, OUTSIDE, b, { ...b, description: "POST /checkout returns 500 for José's account" });
  same(t, EMAIL, b, { ...b, assignee_email: "Ada@Example.com" });
  same(t, ENUM, b, { ...b, project: "web", title: "Checkout fails for Jose\u0301 on step 2 " });
  distinct(t, D_VALUE, b, { ...b, project: "API" });
  distinct(t, D_VALUE, b, { ...b, project: "OPS" });
  distinct(t, D_VALUE, b, { ...b, title: "Checkout fails for José on step 3" });
  distinct(t, D_VALUE, b, { ...b, title: "Checkout fails for Josée on step 2" });
}

// --- add_labels ---------------------------------------------------------------------------------
{
  const t = "add_labels";
  const b = { issue_number: 42, labels: ["bug", "ui", "good first issue"] };
  same(t, ORDER, b, { ...b, labels: ["ui", "good first issue", "bug"] });
  same(t, ORDER, b, { ...b, labels: ["bug", "ui", "bug", "good first issue"] });
  same(t, ORDER, b, { ...b, labels: ["Bug", "UI", "Good First Issue"] });
  same(t, ORDER, b, { ...b, labels: ["bug ", "ui", "good first issue"] });
  same(t, NUM, b, { ...b, issue_number: "42" });
  same(t, NUM, b, { issue_number: "42", labels: ["good first issue", "UI", "bug"] });
  same(t, JSON_SPELLING, b, { labels: b.labels, issue_number: 42.0 });
  distinct(t, D_SET, b, { ...b, labels: [...b.labels, "help wanted"] });
  distinct(t, D_SET, b, { ...b, labels: ["bug", "ui"] });
  distinct(t, D_SET, b, { ...b, labels: ["bugs", "ui", "good first issue"] });
  distinct(t, D_VALUE, b, { ...b, issue_number: 43 });
  distinct(t, D_VALUE, b, { ...b, issue_number: 420 });
}

// --- place_order --------------------------------------------------------------------------------
{
  const t = "place_order";
  const items = [{ sku: "MUG-RED", quantity: 2 }, { sku: "TEE-M", quantity: 1 }, { sku: "CAP-01", quantity: 1 }];
  const b = { customer_id: "cus_77", items, gift_wrap: false, shipping: "standard" };
  same(t, ORDER, b, { ...b, items: [items[2], items[0], items[1]] });
  same(t, ORDER, b, { ...b, items: [items[1], items[2], items[0]] });
  same(t, NUM, b, { ...b, items: [{ sku: "MUG-RED", quantity: "2" }, items[1], items[2]] });
  same(t, ORDER, b, { ...b, items: [{ sku: "CAP-01", quantity: "1" }, { sku: "MUG-RED", quantity: "2" }, { sku: "TEE-M", quantity: 1 }] });
  same(t, BOOL, b, { ...b, gift_wrap: "false" });
  same(t, BOOL, b, { ...b, gift_wrap: "no" });
  same(t, ENUM, b, { ...b, shipping: "Standard" });
  same(t, JSON_SPELLING, b, { shipping: "standard", gift_wrap: false, items: items.map((i) => ({ quantity: i.quantity, sku: i.sku })), customer_id: "cus_77" });
  same(t, BOOL, b, { ...b, gift_wrap: "False", items: [items[1], items[0], items[2]] });
  distinct(t, D_COUNT, b, { ...b, items: [{ sku: "MUG-RED", quantity: 3 }, items[1], items[2]] });
  distinct(t, D_COUNT, { ...b, items: [{ sku: "MUG-RED", quantity: 1 }] }, { ...b, items: [{ sku: "MUG-RED", quantity: 1 }, { sku: "MUG-RED", quantity: 1 }] });
  distinct(t, D_SET, b, { ...b, items: [...items, { sku: "PEN-BLK", quantity: 1 }] });
  distinct(t, D_SET, b, { ...b, items: [items[0], items[1], { sku: "CAP-02", quantity: 1 }] });
  distinct(t, D_VALUE, b, { ...b, shipping: "express" });
  distinct(t, D_VALUE, b, { ...b, gift_wrap: true });
  distinct(t, D_VALUE, b, { ...b, customer_id: "cus_78" });
}

// --- post_message -------------------------------------------------------------------------------
{
  const t = "post_message";
  const b = { channel: "C024BE91L", text: "Déploiement terminé ✅ v2.3.1 is live in eu-west-1.", unfurl_links: false };
  same(t, SPACE, b, { ...b, text: `${b.text}\n` });
  same(t, SPACE, b, { ...b, text: "Déploiement terminé ✅  v2.3.1 is live in eu-west-1." });
  same(t, SPACE, b, { ...b, text: "Déploiement terminé ✅\nv2.3.1 is live in eu-west-1." });
  same(t, UNICODE, b, { ...b, text: "De\u0301ploiement termine\u0301 ✅ v2.3.1 is live in eu-west-1." });
  same(t, BOOL, b, { ...b, unfurl_links: "false" });
  same(t, OTHER, { ...b, channel: "#deploys" }, { ...b, channel: "deploys" });
  distinct(t, D_VALUE, b, { ...b, channel: "C024BE91M" });
  distinct(t, D_VALUE, b, { ...b, text: "Déploiement terminé ✅ v2.3.2 is live in eu-west-1." });
  distinct(t, D_VALUE, b, { ...b, text: "Déploiement terminé ✅ v2.3.1 is live in eu-west-2." });
}

// --- write_file: layout is content; the corpus's guard against normalizing too much ------------
{
  const t = "write_file";
  const b = { path: "src/app.py", content: "def handler(event):\n    return ok(event)\n", overwrite: true };
  same(t, BOOL, b, { ...b, overwrite: "true" });
  same(t, JSON_SPELLING, b, { overwrite: true, content: b.content, path: b.path });
  distinct(t, D_CASE, b, { ...b, content: "def handler(event):\n  return ok(event)\n" });
  distinct(t, D_CASE, b, { ...b, content: "def handler(event):\n    return ok(event)" });
  distinct(t, D_CASE, b, { ...b, path: "src/App.py" });
  distinct(t, D_CASE, { ...b, path: "docs/café.md" }, { ...b, path: "docs/cafe\u0301.md" });
  distinct(t, D_VALUE, b, { ...b, path: "src/app2.py" });
}
