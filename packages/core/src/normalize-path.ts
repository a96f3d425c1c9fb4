/**
 * The field paths of `normalize` entries: those of `identity` (`"slot.start"`, `"items[0].id"`),
 * plus `[*]` for every element of an array (`"attendees[*]"`, `"items[*].quantity"`), which is also
 * how normalizers derived from a schema address the elements of arrays.
 */
import { IdempotencyKeyError } from "./errors.js";

/** `[*]`: every element of the array at that point. */
export const EACH = Symbol("each");
export type NormalizeSegment = string | number | typeof EACH;

/** Splits a normalize path into segments; throws {@link IdempotencyKeyError} when it is not one. */
export function parseNormalizePath(path: string): NormalizeSegment[] {
  const segments: NormalizeSegment[] = [];
  for (const part of path.split(".")) {
    const m = /^([^[\]]*)((?:\[(?:\d+|\*)\])*)$/.exec(part);
    if (!m || (m[1] === "" && !m[2])) {
      throw new IdempotencyKeyError(`"${path}" is not a field path; write it like "email", "slot.start", "items[0].id" or "items[*].sku"`, { field: path });
    }
    if (m[1] !== "") segments.push(m[1]!);
    for (const idx of m[2]!.matchAll(/\[(\d+|\*)\]/g)) segments.push(idx[1] === "*" ? EACH : Number(idx[1]));
  }
  return segments;
}

/** True when `a` and `b` name the same place, or one lies under the other (`[*]` matches any index). */
export function pathsOverlap(a: readonly NormalizeSegment[], b: readonly NormalizeSegment[]): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i] && !(a[i] === EACH && typeof b[i] === "number") && !(b[i] === EACH && typeof a[i] === "number")) return false;
  }
  return true;
}

const own = (obj: object, key: string | number) => Object.prototype.hasOwnProperty.call(obj, key);

function label(base: string, seg: string | number): string {
  return typeof seg === "number" ? `${base}[${seg}]` : base === "" ? seg : `${base}.${seg}`;
}

/**
 * Every value at `segs` (with `[*]` expanded) and its concrete path. Missing fields, `undefined`,
 * and `null` in place of an array under `[*]` yield nothing; a value that is not an array under
 * `[*]` is refused (the path says it is a list).
 */
export function readAll(value: unknown, segs: readonly NormalizeSegment[], base = ""): { path: string; value: unknown }[] {
  const out: { path: string; value: unknown }[] = [];
  const go = (cur: unknown, i: number, at: string) => {
    if (cur === undefined) return;
    if (i === segs.length) {
      out.push({ path: at, value: cur });
      return;
    }
    const seg = segs[i]!;
    if (seg === EACH) {
      if (cur === null) return;
      if (!Array.isArray(cur)) throw new IdempotencyKeyError(`${at}: expected an array (the normalize path has [*] here)`, { field: at });
      cur.forEach((item, j) => go(item, i + 1, label(at, j)));
      return;
    }
    if (cur === null || typeof cur !== "object" || !own(cur, seg)) return;
    go((cur as Record<string | number, unknown>)[seg], i + 1, label(at, seg));
  };
  go(value, 0, base);
  return out;
}

/**
 * A copy of `value` with `fn(v, concretePath)` applied at every place `segs` reaches; objects and
 * arrays on the way are copied, never changed in place (the tool runs with the original).
 */
export function updateAll(value: unknown, segs: readonly NormalizeSegment[], fn: (v: unknown, path: string) => unknown): unknown {
  const go = (cur: unknown, i: number, at: string): unknown => {
    if (cur === undefined) return cur;
    if (i === segs.length) return fn(cur, at);
    const seg = segs[i]!;
    if (seg === EACH) {
      if (cur === null) return cur;
      if (!Array.isArray(cur)) throw new IdempotencyKeyError(`${at}: expected an array (the normalize path has [*] here)`, { field: at });
      return cur.map((item, j) => go(item, i + 1, label(at, j)));
    }
    if (cur === null || typeof cur !== "object" || !own(cur, seg)) return cur;
    const copy = (Array.isArray(cur) ? [...cur] : { ...(cur as object) }) as Record<string | number, unknown>;
    copy[seg] = go((cur as Record<string | number, unknown>)[seg], i + 1, label(at, seg));
    return copy;
  };
  return go(value, 0, "");
}
