/**
 * Member order, the one thing `JSON.stringify` gets wrong about RFC 8785.
 *
 * RFC 8785 prints strings and numbers exactly as ECMAScript's `JSON.stringify` does, and sorts
 * object members by their names' UTF-16 code units, where `JSON.stringify` keeps insertion order.
 * {@link sortedForJson} walks plain JSON data once, checking everything the strict walk would
 * (well-formed strings, finite numbers, plain objects, no `toJSON`, no holes), and copies only the
 * objects whose members are out of order (with their ancestors), members inserted sorted; every
 * subtree already in order is shared. One native `JSON.stringify` of the result is then the
 * canonical text (canonical.ts). Objects whose member order an insertion cannot set (array-index
 * keys, which JavaScript always puts first, and `__proto__`, which an assignment would take for the
 * prototype) are left to canonical.ts's JavaScript printer.
 */

// Past this depth the fast path hands over to the strict walk, which finds cycles (and names them).
export const FAST_MAX_DEPTH = 128;

/**
 * `keys.sort()` (UTF-16 code unit order, as RFC 8785 wants), in place: an insertion sort for the
 * few keys a tool's arguments have, which allocates nothing where `sort()` copies the array.
 */
export function sortKeys(keys: string[]): string[] {
  if (keys.length > 24) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > k) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = k;
  }
  return keys;
}

/** A string, with the ES2024 method Node 20 has and TypeScript's ES2022 library lacks. */
export type WellFormed = string & { isWellFormed(): boolean };

/** What {@link sortedForJson} returns for a value that `JSON.stringify` already prints canonically. */
const IN_ORDER: unknown = Symbol("in order");

/**
 * What one `JSON.stringify` prints as the RFC 8785 text of `v`: `v` itself when its members are
 * in order, else its reordered copy ({@link sortedForJson}); undefined for anything but plain JSON
 * data, which the caller hands to canonical.ts's stricter paths.
 */
export function orderedForJson(v: unknown): unknown {
  prepareOrderWalk();
  const sorted = sortedForJson(v, 0);
  return sorted === IN_ORDER ? v : sorted;
}

/** True when `JSON.stringify` may not print an object's members in insertion order (array-index keys come first). */
function mayHaveIndexKeys(firstKey: string | undefined): boolean {
  const c = firstKey === undefined ? 0 : firstKey.charCodeAt(0);
  return c >= 48 && c <= 57;
}

/**
 * For plain JSON data (what {@link fastCanonical} accepts): {@link IN_ORDER} when every object's
 * keys are already in RFC 8785 order, so `JSON.stringify(v)` is the canonical text; otherwise a
 * copy whose `JSON.stringify` is, in which only the out-of-order objects and their ancestors are
 * new (members inserted in sorted order; every subtree in order is shared, not copied). Undefined
 * for anything else, and for the objects whose member order an insertion cannot set
 * (array-index keys, `__proto__`): the caller then takes {@link fastCanonical}.
 */
function sortedForJson(v: unknown, depth: number): unknown {
  switch (typeof v) {
    case "string":
      return (v as WellFormed).isWellFormed() ? IN_ORDER : undefined;
    case "number":
      return Number.isFinite(v) ? IN_ORDER : undefined;
    case "boolean":
      return IN_ORDER;
    case "object":
      break;
    default:
      return undefined;
  }
  if (v === null) return IN_ORDER;
  if (depth > FAST_MAX_DEPTH) return undefined;
  if (Array.isArray(v)) {
    if ((v as { toJSON?: unknown }).toJSON !== undefined) return undefined;
    let copy: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      // A hole or an undefined element: the strict walk refuses either, with its path.
      if (item === undefined) return undefined;
      // Strings, the usual leaves, are judged here rather than by a call.
      const r = typeof item === "string" ? ((item as WellFormed).isWellFormed() ? IN_ORDER : undefined) : sortedForJson(item, depth + 1);
      if (r === undefined) return undefined;
      if (r === IN_ORDER) {
        if (copy) copy[i] = item;
        continue;
      }
      copy ??= v.slice(0, i);
      copy[i] = r;
    }
    return copy ?? IN_ORDER;
  }
  const proto = Object.getPrototypeOf(v);
  // An own or inherited `toJSON` of any kind changes how the serializer treats the object.
  if ((proto !== Object.prototype && proto !== null) || (v as { toJSON?: unknown }).toJSON != null) return undefined;
  if (inheritsNothing) {
    const inOrder = inOrderObject(v as Record<string, unknown>, depth);
    if (inOrder !== NOT_IN_ORDER) return inOrder;
  }
  const keys = Object.keys(v);
  let inOrder = true;
  for (let i = 1; i < keys.length; i++) {
    if (!(keys[i - 1]! < keys[i]!)) {
      inOrder = false;
      break;
    }
  }
  if (!inOrder) {
    if (mayHaveIndexKeys(keys[0])) return undefined;
    sortKeys(keys);
  }
  let copy: Record<string, unknown> | undefined = inOrder ? undefined : {};
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (!(key as WellFormed).isWellFormed()) return undefined;
    const item = (v as Record<string, unknown>)[key];
    if (item === undefined) continue;
    const r = typeof item === "string" ? ((item as WellFormed).isWellFormed() ? IN_ORDER : undefined) : sortedForJson(item, depth + 1);
    if (r === undefined) return undefined;
    if (!copy) {
      if (r === IN_ORDER) continue;
      // The first member that needs a copy: the members before it are copied as they are.
      if (mayHaveIndexKeys(keys[0])) return undefined;
      copy = {};
      for (let j = 0; j < i; j++) {
        const before = (v as Record<string, unknown>)[keys[j]!];
        if (keys[j] === "__proto__") return undefined;
        if (before !== undefined) copy[keys[j]!] = before;
      }
    }
    // Assigning `__proto__` would set the copy's prototype instead of adding a member.
    if (key === "__proto__") return undefined;
    copy[key] = r === IN_ORDER ? item : r;
  }
  return copy ?? IN_ORDER;
}

/** What {@link inOrderObject} returns for an object whose keys are out of order. */
const NOT_IN_ORDER: unknown = Symbol("not in order");

/**
 * True while `Object.prototype` has no enumerable member (it never should): then `for…in` over a
 * plain object visits exactly `Object.keys`, in the same order, without allocating the array.
 * Checked at the start of each walk ({@link prepareOrderWalk}).
 */
let inheritsNothing = false;

/** Checks `Object.prototype` for enumerable members; call before each {@link sortedForJson} walk. */
function prepareOrderWalk(): void {
  inheritsNothing = true;
  for (const _ in Object.prototype) {
    inheritsNothing = false;
    break;
  }
}

/**
 * {@link sortedForJson} of an object whose keys are in RFC 8785 order, read with `for…in` (no key
 * array: V8 keeps one per object shape); {@link NOT_IN_ORDER} when they are not, for the caller to
 * sort. Most objects of a model's arguments (an item list's entries) take this path.
 */
function inOrderObject(v: Record<string, unknown>, depth: number): unknown {
  let prev: string | undefined;
  for (const key in v) {
    if (prev !== undefined && !(prev < key)) return NOT_IN_ORDER;
    prev = key;
  }
  let copy: Record<string, unknown> | undefined;
  let i = 0;
  for (const key in v) {
    i++;
    if (!(key as WellFormed).isWellFormed()) return undefined;
    const item = v[key];
    if (item === undefined) continue;
    const r = typeof item === "string" ? ((item as WellFormed).isWellFormed() ? IN_ORDER : undefined) : sortedForJson(item, depth + 1);
    if (r === undefined) return undefined;
    if (!copy) {
      if (r === IN_ORDER) continue;
      // The first member that needs a copy: the members before it are copied as they are.
      if (mayHaveIndexKeys(firstKey(v))) return undefined;
      copy = {};
      let j = 1;
      for (const before in v) {
        if (j++ === i) break;
        if (before === "__proto__") return undefined;
        const b = v[before];
        if (b !== undefined) copy[before] = b;
      }
    }
    // Assigning `__proto__` would set the copy's prototype instead of adding a member.
    if (key === "__proto__") return undefined;
    copy[key] = r === IN_ORDER ? item : r;
  }
  return copy ?? IN_ORDER;
}

function firstKey(v: object): string | undefined {
  for (const key in v) return key;
  return undefined;
}
