/**
 * `@agent-idempotency/core/phone`: phone numbers to E.164, on `libphonenumber-js` (an optional
 * peer dependency: install it to use this entry; the rest of core never loads it).
 *
 * @example
 * ```ts
 * import { e164 } from "@agent-idempotency/core/phone";
 * const policy = { identity: ["to", "body"], normalize: { to: e164({ defaultCountry: "US" }) } };
 * // "(415) 555-0132", "415.555.0132", "+1 415 555 0132" and "+14155550132" share a key
 * ```
 */
import { parsePhoneNumberWithError } from "libphonenumber-js";
import type { CountryCode } from "libphonenumber-js";
import { IdempotencyKeyError, IdempotencyPolicyError } from "./errors.js";
import type { Normalizer } from "./normalize.js";
import { named, refuseValue } from "./normalize.js";

export type { Normalizer } from "./normalize.js";

/** Options of {@link e164}. */
export interface E164Options {
  /**
   * The country of numbers written without an international prefix (`"(415) 555-0132"`), as an
   * ISO 3166 code (`"US"`). Without it such numbers are refused: the country would be a guess.
   */
  defaultCountry?: CountryCode | undefined;
}

/**
 * A normalizer that writes a phone number in E.164 (`+14155550132`), whatever spaces, dashes,
 * dots, parentheses or `00`/`+` prefix the model used. An extension is kept after `;ext=`
 * (`+14155550132;ext=12`), so two extensions of one line never share a key. Refused with
 * `IdempotencyKeyError`: text that is not a phone number (the whole string must be one), a number
 * of impossible length for its country, and a national number without `defaultCountry`.
 */
export function e164(options: E164Options = {}): Normalizer {
  const country = options.defaultCountry;
  if (country !== undefined && (typeof country !== "string" || !/^[A-Z]{2}$/.test(country))) {
    throw new IdempotencyPolicyError(`e164({ defaultCountry: ${JSON.stringify(country)} }): write a two-letter ISO 3166 country code in capitals, e.g. "US"`);
  }
  const name = country === undefined ? "e164" : `e164(${country})`;
  return named(name, (value, field = "value") => {
    if (typeof value !== "string" && typeof value !== "number") return refuseValue("a phone number", name, value, field);
    const text = String(value).trim();
    let parsed;
    try {
      parsed = parsePhoneNumberWithError(text, { defaultCountry: country, extract: false });
    } catch (cause) {
      const why = (cause as Error).message;
      const hint =
        why === "INVALID_COUNTRY"
          ? country === undefined
            ? "it has no country code; send it as +CC…, or set e164({ defaultCountry })"
            : "its country code is unknown"
          : why === "TOO_SHORT" || why === "TOO_LONG"
            ? `it is ${why === "TOO_SHORT" ? "too short" : "too long"} for a phone number`
            : "it is not a phone number";
      throw new IdempotencyKeyError(`${field}: the ${name} normalizer cannot read ${JSON.stringify(text.slice(0, 40))}: ${hint}`, { field, cause });
    }
    if (!parsed.isPossible()) {
      throw new IdempotencyKeyError(`${field}: ${JSON.stringify(text.slice(0, 40))} has an impossible length for a phone number of ${parsed.country ?? `+${parsed.countryCallingCode}`}`, { field });
    }
    return parsed.ext ? `${parsed.number};ext=${parsed.ext}` : parsed.number;
  });
}
