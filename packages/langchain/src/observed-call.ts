/**
 * What the callback handler can know of a call it only observes: callbacks see the tool's input
 * as text and no graph state, so the key is derived at thread scope (the langgraph package's rule)
 * or with the handler's session, never at turn scope.
 */
import type { ResolvedPolicy } from "@agent-idempotency/core";
import { deriveKey, fingerprint as fingerprintOf } from "@agent-idempotency/core";
import { resolveScope } from "@agent-idempotency/langgraph";
import { ToolMessage } from "@langchain/core/messages";

/** A tool call as callbacks show it. @internal */
export interface ObservedCall {
  name: string;
  args: unknown;
  /** The thread id, or the handler's `sessionId`, or `""`. */
  sessionId: string;
  /** True when `sessionId` is a thread id. */
  fromThread: boolean;
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

/** The key the policy would give the call (absent without a policy or a session), and its fingerprint. @internal */
export function keyOf(call: ObservedCall, policy: ResolvedPolicy | undefined): { key: string | undefined; fingerprint: string } {
  if (policy !== undefined && call.sessionId !== "") {
    try {
      const scoped = call.fromThread ? resolveScope("thread", { configurable: { thread_id: call.sessionId } }, undefined, call.name) : { sessionId: call.sessionId };
      const d = deriveKey({ action: call.name, args: call.args, ...scoped }, policy);
      return { key: d.key, fingerprint: d.fingerprint };
    } catch {
      // a missing identity field: the call is still logged, without a key
    }
  }
  try {
    return { key: undefined, fingerprint: fingerprintOf(call.args) };
  } catch {
    return { key: undefined, fingerprint: "" };
  }
}

/**
 * The policy's `responseId` of what the engine would have recorded: a ToolMessage's recorded form
 * (`{ kind, content, artifact?, status }`, as under the node and the middleware), else the raw
 * result. A `responseId` that throws gives no id; it never fails the observed run. @internal
 */
export function responseIdOf(policy: ResolvedPolicy | undefined, output: unknown): string | undefined {
  if (!policy?.responseId) return undefined;
  const value = ToolMessage.isInstance(output)
    ? { kind: "tool_message", content: output.content, ...(output.artifact !== undefined ? { artifact: output.artifact } : {}), status: output.status ?? "success" }
    : output;
  try {
    const id = policy.responseId(value);
    return id === undefined || id === null ? undefined : String(id);
  } catch {
    return undefined;
  }
}
