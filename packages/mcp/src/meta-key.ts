/**
 * The `_meta` names the key travels under, and the check that a name is one MCP allows.
 *
 * MCP (revision 2025-11-25, "General fields: `_meta`") lets clients and servers put their own
 * entries in a request's `_meta`, named `prefix/name`. The prefix is optional, but a name without
 * one can collide with anyone else's; the spec asks for reverse DNS (`com.example/`) and reserves
 * every prefix whose second label is `modelcontextprotocol` or `mcp`. So the key goes under
 * `io.agent-idempotency/key`: reverse DNS, not reserved, and one name on both sides. SEP-3182
 * (a first-class `idempotencyKey` field of `tools/call`) was closed without being merged, so there
 * is no standard name to follow; servers can accept other names too (`metaKeys`).
 */
import { IdempotencyPolicyError } from "@agent-idempotency/core";

/** The `tools/call` `_meta` entry that carries the idempotency key from client to server. */
export const MCP_IDEMPOTENCY_KEY_META = "io.agent-idempotency/key";

/** The result `_meta` entry a server sets to `true` when it replayed a recorded result. */
export const MCP_IDEMPOTENCY_REPLAYED_META = "io.agent-idempotency/replayed";

const LABEL = "[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?";
const NAME = "(?:[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)?";
const META_NAME = new RegExp(`^(?:(${LABEL}(?:\\.${LABEL})*)/)?${NAME}$`);

/**
 * Throws {@link IdempotencyPolicyError} unless `name` is a valid `_meta` key that MCP does not
 * reserve for itself; `who` names the option in the message.
 * @internal
 */
export function checkMetaKeyName(name: unknown, who: string): string {
  const m = typeof name === "string" && name !== "" ? META_NAME.exec(name) : null;
  if (m === null) {
    throw new IdempotencyPolicyError(
      `[mcp] ${who}: ${JSON.stringify(name)} is not a valid MCP _meta key; use "prefix/name" with a reverse-DNS prefix, such as "${MCP_IDEMPOTENCY_KEY_META}"`,
    );
  }
  const second = m[1]?.split(".")[1];
  if (second === "modelcontextprotocol" || second === "mcp") {
    throw new IdempotencyPolicyError(`[mcp] ${who}: the prefix of ${JSON.stringify(name)} is reserved for MCP itself (second label "${second}"); use your own, such as "${MCP_IDEMPOTENCY_KEY_META}"`);
  }
  return name as string;
}
