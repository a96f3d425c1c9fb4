/**
 * The upstream's id for a call's effect, logged as `response_id` for the audit's first flag (one
 * key, several response ids). A policy's `responseId` receives the tool's own result, as the tool
 * returned it (the LangGraph and LangChain integrations unwrap their ToolMessages first).
 *
 * A policy without `responseId` gets {@link defaultResponseId}, which only answers where the result
 * plainly carries one id. It is conservative on purpose: a wrong id (one that changes on every
 * response although the effect happened once, such as a request id) would make the first flag fire
 * on correct behaviour, while a missing one only puts the action under the report's blind spots.
 */
import type { ResolvedPolicy } from "./policy.js";

/**
 * Id fields that name something other than the effect: the request, the trace, the caller, the
 * conversation. They change per response or echo the input, so they are never taken for the
 * effect's id (nor counted as a second candidate).
 */
const NOT_THE_EFFECT =
  /^(request|req|trace|span|parent|correlation|causation|idempotency|idempotency_key|session|thread|run|tool_call|call|conversation|user|customer|account|tenant|org|organization|workspace|project|client|app|caller)$/;

/** `booking_id` → `booking`, `bookingId` → `booking`, `id` → `""`; undefined when the name is not an id field. */
function idStem(name: string): string | undefined {
  if (name === "id") return "";
  let m = /^([a-z][a-z0-9]*(?:_[a-z0-9]+)*)_id$/.exec(name);
  if (m) return m[1]!;
  m = /^([a-z][a-zA-Z0-9]*)Id$/.exec(name);
  if (m) return m[1]!.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return undefined;
}

/** Field name → whether it can name the effect's id; results repeat their field names, regexes per call showed. */
const idFieldNames = new Map<string, boolean>();
const MAX_CACHED_NAMES = 4096;

function namesTheEffect(name: string): boolean {
  let yes = idFieldNames.get(name);
  if (yes === undefined) {
    const stem = idStem(name);
    yes = stem !== undefined && !NOT_THE_EFFECT.test(stem);
    if (idFieldNames.size < MAX_CACHED_NAMES) idFieldNames.set(name, yes);
  }
  return yes;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * The default `responseId`: the id of the effect when the result plainly carries exactly one.
 *
 * Recognized: a plain object (a ToolMessage's JSON content parsed, under the integrations) with
 * exactly ONE top-level field that is `id`, `<name>_id` or `<name>Id`, whose value is a non-empty
 * string of at most 200 characters or a safe integer; fields naming the request, trace, caller or
 * conversation (`request_id`, `traceId`, `user_id`, `customer_id`, `session_id`, `thread_id`, …) do
 * not count. So `{ booking_id: "b_1", status: "confirmed" }` and Stripe's
 * `{ id: "ch_1", object: "charge", customer: "cus_1" }` give their id; `{ booking_id, calendar_id }`
 * (two candidates), `{ data: { id } }` (nested), a string, an array or `{ request_id }` give none.
 *
 * @example
 * ```ts
 * defaultResponseId({ booking_id: "b_42", status: "confirmed" }); // "b_42"
 * defaultResponseId({ booking_id: "b_42", calendar_id: "cal_1" }); // undefined: which one?
 * ```
 */
export function defaultResponseId(result: unknown): string | undefined {
  if (!isPlainObject(result)) return undefined;
  let found: string | undefined;
  for (const name of Object.keys(result)) {
    if (!namesTheEffect(name)) continue;
    const v = result[name];
    const id = typeof v === "string" && v !== "" && v.length <= 200 ? v : Number.isSafeInteger(v) ? String(v) : undefined;
    if (id === undefined) continue;
    if (found !== undefined) return undefined; // two candidates: not plain
    found = id;
  }
  return found;
}

/**
 * The response id of `result` under `policy`: its `responseId`, else {@link defaultResponseId};
 * none without a policy.
 * Throws what a policy's `responseId` throws; callers log that and carry on without an id.
 */
export function responseIdOf(policy: Pick<ResolvedPolicy, "responseId"> | undefined, result: unknown): string | undefined {
  if (policy === undefined) return undefined; // no policy, no key: an id would have nothing to compare with
  const fn = policy.responseId ?? defaultResponseId;
  const id = fn(result);
  return id === undefined || id === null ? undefined : String(id);
}

/**
 * {@link responseIdOf} of the tool's own result (`unwrap` takes it out of what `fn` returned), or
 * none with a warning when the policy's `responseId` throws: an id never changes a call's outcome.
 * @internal
 */
export function responseIdOrWarn(
  policy: Pick<ResolvedPolicy, "responseId">,
  value: unknown,
  action: string,
  warn: (message: string) => void,
  unwrap?: (value: unknown) => unknown,
): string | undefined {
  try {
    return responseIdOf(policy, unwrap ? unwrap(value) : value);
  } catch (e) {
    warn(`responseId of ${action} threw (${(e as Error)?.message}); the audit entry has no response_id`);
    return undefined;
  }
}
