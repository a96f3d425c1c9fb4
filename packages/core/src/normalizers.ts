/**
 * Every built-in normalizer in one object, for `normalize: { email: normalizers.lowercase }` and
 * for the CLI's `--policy`, which names them. Phone numbers are in the separate
 * `@agent-idempotency/core/phone` entry, so core does not carry libphonenumber's metadata.
 */
import { asSet, each, sortedBy, unordered } from "./normalize-arrays.js";
import { minorUnits } from "./normalize-money.js";
import { boolean, collapseWhitespace, compose, isoInstant, lowercase, nfc, number, trim } from "./normalize.js";

/**
 * The built-in normalizers. Strings: `trim`, `lowercase`, `nfc`, `collapseWhitespace`; values:
 * `isoInstant`, `number`, `boolean`; arrays: `asSet`, `unordered`, `sortedBy(path)`, `each(fn)`;
 * money: `minorUnits(currency)`; and `compose(...fns)`. Each throws `IdempotencyKeyError` naming
 * the field when it cannot read a value.
 */
export const normalizers = {
  trim,
  lowercase,
  nfc,
  collapseWhitespace,
  isoInstant,
  number,
  boolean,
  asSet,
  unordered,
  sortedBy,
  each,
  minorUnits,
  compose,
} as const;
