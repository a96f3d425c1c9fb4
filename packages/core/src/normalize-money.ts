/**
 * Amounts of money as an integer count of the currency's minor units (cents for USD, yen for JPY,
 * fils for KWD), so that `12.5`, `"12.50"`, `"$12.50"`, `"USD 12.50"` and `"1,012.50"` and
 * `"1012.5"` each land on one number. The arithmetic is decimal, on the digits as written: `19.99`
 * is 1999, never 1998.9999999999998.
 *
 * What it refuses, because a guess could merge two different amounts: more decimals than the
 * currency has (`"12.345"` for USD), a comma used as a decimal point (`"12,50"`), another
 * currency's code or symbol (`"€12"` for USD), and anything that is not a number.
 */
import { IdempotencyPolicyError } from "./errors.js";
import type { Normalizer } from "./normalize.js";
import { named, refuseValue, unreadable } from "./normalize.js";

const DECIMAL = /^([+-])?(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i;
const GROUPED = /^\d{1,3}(,\d{3})+(\.\d+)?$/;

interface Currency {
  code: string;
  digits: number;
  /** How the currency may be written next to the number: its code and its English symbols. */
  marks: string[];
}

function currencyOf(code: string): Currency {
  if (typeof code !== "string" || !/^[A-Za-z]{3}$/.test(code) || !Intl.supportedValuesOf("currency").includes(code.toUpperCase())) {
    throw new IdempotencyPolicyError(`minorUnits(${JSON.stringify(code)}): not an ISO 4217 currency code this Node.js knows; write e.g. minorUnits("USD")`);
  }
  const upper = code.toUpperCase();
  const marks = new Set([upper]);
  let digits = 2;
  for (const currencyDisplay of ["symbol", "narrowSymbol"] as const) {
    const format = new Intl.NumberFormat("en", { style: "currency", currency: upper, currencyDisplay });
    digits = format.resolvedOptions().maximumFractionDigits ?? digits;
    const mark = format.formatToParts(1).find((p) => p.type === "currency")?.value;
    if (mark) marks.add(mark.toUpperCase());
  }
  // Longest first, so "CA$" is stripped before "$".
  return { code: upper, digits, marks: [...marks].sort((a, b) => b.length - a.length) };
}

/** `"12.50"` → 1250 for 2 digits, by moving the decimal point; undefined when digits would be lost. */
function toMinor(text: string, digits: number): number | undefined | "too-precise" {
  const m = DECIMAL.exec(text);
  if (!m) return undefined;
  const [, sign, int, frac = "", exp = "0"] = m;
  const shift = digits - (frac.length - Number(exp));
  let all = `${int}${frac}`;
  if (shift >= 0) all += "0".repeat(shift);
  else {
    const dropped = all.slice(all.length + shift);
    if (/[^0]/.test(dropped)) return "too-precise";
    all = all.slice(0, all.length + shift) || "0";
  }
  const n = Number(all);
  if (!Number.isSafeInteger(n)) return undefined;
  return sign === "-" && n !== 0 ? -n : n;
}

/** The number part of `text` without the currency's marks, or why it cannot be read. */
function stripMarks(text: string, currency: Currency): string | { otherCurrency: string } {
  let s = text.trim();
  let negative = false;
  if (s.startsWith("-")) {
    negative = true;
    s = s.slice(1).trim();
  }
  const upper = s.toUpperCase();
  for (const mark of currency.marks) {
    if (upper.startsWith(mark)) {
      s = s.slice(mark.length).trim();
      break;
    }
    if (upper.endsWith(mark)) {
      s = s.slice(0, s.length - mark.length).trim();
      break;
    }
  }
  const code = /^([A-Z]{3})\s*[-+\d.]|[\d.]\s*([A-Z]{3})$/i.exec(s);
  if (code) return { otherCurrency: (code[1] ?? code[2])!.toUpperCase() };
  if (GROUPED.test(s)) s = s.replace(/,/g, "");
  return negative ? `-${s}` : s;
}

/**
 * A normalizer that turns an amount in major units of `currency` (a number, or a string with an
 * optional code or symbol of that currency and optional thousands commas) into an integer number
 * of minor units.
 *
 * @example
 * ```ts
 * const usd = minorUnits("USD");
 * usd(12.5, "amount");        // 1250
 * usd("$1,012.50", "amount"); // 101250
 * usd("12.50 USD", "amount"); // 1250
 * minorUnits("JPY")("¥1,200", "amount"); // 1200
 * usd("12.345", "amount");    // throws IdempotencyKeyError: USD has 2 decimals
 * ```
 */
export function minorUnits(currency: string): Normalizer {
  const c = currencyOf(currency);
  const name = `minorUnits(${c.code})`;
  return named(name, (value, field = "value") => {
    let text: string;
    if (typeof value === "number") {
      if (!Number.isFinite(value)) return refuseValue("a finite amount", name, value, field);
      text = String(value);
    } else if (typeof value === "string") {
      const stripped = stripMarks(value, c);
      if (typeof stripped !== "string") {
        return unreadable(field, name, value, `it is in ${stripped.otherCurrency}, and this field is in ${c.code}`);
      }
      text = stripped;
    } else return refuseValue(`an amount in ${c.code}`, name, value, field);
    const minor = toMinor(text, c.digits);
    if (minor === "too-precise") {
      return unreadable(field, name, String(value), `${c.code} has ${c.digits} decimal${c.digits === 1 ? "" : "s"}, and rounding could merge two different amounts`);
    }
    if (minor === undefined) {
      return unreadable(field, name, String(value), `send an amount in ${c.code} like ${(1234.5).toFixed(c.digits)} (a dot for decimals, commas only between thousands)`);
    }
    return minor;
  });
}
