/**
 * What the callback handler can know of a call it only observes: callbacks see the tool's input
 * as the model wrote it and no graph state, so the key is derived at thread scope (the langgraph
 * package's rule) or with the handler's session, never at turn scope; and from the input as the
 * tool's schema parses it, with the schema's normalizers, only when the handler was given the tool.
 */
import type { JsonSchema, ResolvedPolicy } from "@agent-idempotency/core";
import { deriveKey, fingerprint as fingerprintOf, responseIdOf as responseIdFor } from "@agent-idempotency/core/internal";
import { resolveScope, toolResultOf } from "@agent-idempotency/langgraph/internal";

/** A tool call as callbacks show it. @internal */
export interface ObservedCall {
  name: string;
  args: unknown;
  /** The thread id, or the handler's `sessionId`, or `""`. */
  sessionId: string;
  /** True when `sessionId` is a thread id. */
  fromThread: boolean;
  /** The tool's input schema as JSON schema (`toolOutputSchema`), when the handler has the tool. */
  schema?: JsonSchema | undefined;
}

/** Tool input as callbacks receive it: JSON text of the arguments, or a plain string. @internal */
export function parseInput(input: unknown): unknown {
  if (typeof input !== "string") return input;
  try {
    return JSON.parse(input);
  } catch {
    return input;
  }
}

/**
 * The key the policy would give the call (absent without a policy or a session), the scope it is
 * derived in (the thread, or the handler's session), and the call's fingerprint. The key is only
 * derived for the log: nothing sends it to the tool. @internal
 */
export function keyOf(call: ObservedCall, policy: ResolvedPolicy | undefined): { key: string | undefined; fingerprint: string; scope: string | undefined } {
  if (policy !== undefined && call.sessionId !== "") {
    try {
      const scoped = call.fromThread ? resolveScope("thread", { configurable: { thread_id: call.sessionId } }, undefined, call.name) : { sessionId: call.sessionId };
      const d = deriveKey({ action: call.name, args: call.args, schema: call.schema, ...scoped }, policy);
      return { key: d.key, fingerprint: d.fingerprint, scope: d.scope };
    } catch {
      // a missing identity field: the call is still logged, without a key
    }
  }
  try {
    return { key: undefined, fingerprint: fingerprintOf(call.args), scope: undefined };
  } catch {
    return { key: undefined, fingerprint: "", scope: undefined };
  }
}

/**
 * The policy's `responseId` (or core's default) of the tool's own result, taken out of the output
 * callbacks see exactly as the node and the middleware take it (`toolResultOf`: a ToolMessage's
 * artifact or parsed content). A `responseId` that throws gives no id; it never fails the observed
 * run. @internal
 */
export function responseIdOf(policy: ResolvedPolicy | undefined, output: unknown): string | undefined {
  try {
    return responseIdFor(policy, toolResultOf(output));
  } catch {
    return undefined;
  }
}
