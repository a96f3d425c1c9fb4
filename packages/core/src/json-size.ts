/**
 * The size of a result, bounded without printing it: the record codec stores a plain-JSON result
 * as it is, and needs only to know that it is under `maxRecordBytes`.
 */
import type { WellFormed } from "./canonical-order.js";
import { FAST_MAX_DEPTH } from "./canonical-order.js";

/**
 * For plain JSON data (what the strict walk would copy unchanged, up to null prototypes, `-0` and
 * dropped `undefined` members): an upper bound of the UTF-8 bytes of its `JSON.stringify` text,
 * without building the text; -1 for anything else. A string counts 6 bytes per UTF-16 unit (the
 * longest escape, `\u001f`) plus its quotes, a number 32. @internal
 */
export function plainJsonBytesBound(v: unknown, depth = 0): number {
  switch (typeof v) {
    case "string":
      return (v as WellFormed).isWellFormed() ? 6 * v.length + 2 : -1;
    case "number":
      return Number.isFinite(v) ? 32 : -1;
    case "boolean":
      return 5;
    case "object":
      break;
    default:
      return -1;
  }
  if (v === null) return 4;
  if (depth > FAST_MAX_DEPTH || (v as { toJSON?: unknown }).toJSON !== undefined) return -1;
  let bytes = 2;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      if (item === undefined) return -1;
      const n = plainJsonBytesBound(item, depth + 1);
      if (n < 0) return -1;
      bytes += n + 1;
    }
    return bytes;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return -1;
  // for-in reads the keys from V8's enum cache where Object.keys allocates an array; an inherited
  // enumerable member (a polluted Object.prototype) only makes the bound larger and the check stricter.
  for (const key in v) {
    if (!(key as WellFormed).isWellFormed()) return -1;
    const item = (v as Record<string, unknown>)[key];
    if (item === undefined) continue;
    const n = plainJsonBytesBound(item, depth + 1);
    if (n < 0) return -1;
    bytes += 6 * key.length + 4 + n;
  }
  return bytes;
}
