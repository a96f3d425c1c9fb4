/**
 * What a store records of a result. The tool already ran, so refusing to record would turn a
 * done effect into an unknown one; instead a value JSON cannot carry faithfully is recorded in
 * its lossy JSON form (BigInt as a string, a Map as {}), with a warning, and replays return that.
 */
import { toStrictJson } from "./canonical.js";

export function recordable(value: unknown, action: string, warn: (message: string) => void): unknown {
  if (value === undefined) return undefined;
  try {
    return toStrictJson(value);
  } catch (e) {
    warn(`${action}: the result cannot be recorded faithfully (${(e as Error).message}); replays will return its JSON form`);
    try {
      const json = JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
      return json === undefined ? null : JSON.parse(json);
    } catch {
      return null;
    }
  }
}
