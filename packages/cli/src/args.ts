/**
 * Command-line parsing on `node:util` `parseArgs`, plus the two value types every command
 * shares: durations (`60s`, `7d`) and instants (`7d` ago, `2026-11-01`, an ISO time, `all`).
 * Every mistake becomes a usage error (exit 2) whose message names the option.
 */
import { parseArgs } from "node:util";
import { usageError } from "./exit-codes.js";

/** An option as `parseArgs` takes it, plus a one-line description for `--help`. */
export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  /** Shown in `--help` after the option name, e.g. `URI`. */
  value?: string;
  description: string;
}

/** The options of one command, by long name. */
export type OptionSpecs = Record<string, OptionSpec>;

/** What {@link parseCommand} returns: option values by long name, and the positionals. */
export interface ParsedCommand {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Parses `argv` strictly: unknown options and missing values are usage errors. */
export function parseCommand(command: string, argv: readonly string[], specs: OptionSpecs, maxPositionals: number): ParsedCommand {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const [name, spec] of Object.entries(specs)) options[name] = spec.short ? { type: spec.type, short: spec.short } : { type: spec.type };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (e) {
    // parseArgs' messages are good ("Unknown option '--sinse'"); add where to look.
    const message = (e as Error).message.replace(/\. To specify a positional argument.*$/s, "");
    throw usageError(`${message.replace(/\.$/, "")}. See: agent-idempotency ${command} --help`);
  }
  if (parsed.positionals.length > maxPositionals) {
    throw usageError(`unexpected argument "${parsed.positionals[maxPositionals]}". See: agent-idempotency ${command} --help`);
  }
  return { values: parsed.values as ParsedCommand["values"], positionals: parsed.positionals };
}

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;

/** `"90s"`, `"15m"`, `"12h"`, `"7d"`, `"2w"`, `"250ms"` → milliseconds. A bare number is refused: its unit would be a guess. */
export function parseDuration(text: string, option: string): number {
  const m = DURATION.exec(text.trim());
  if (!m) throw usageError(`${option} "${text}" is not a duration; write a number and a unit: 250ms, 60s, 15m, 12h, 7d, 2w`);
  const ms = Math.round(Number(m[1]) * UNITS[m[2]!]!);
  if (!Number.isFinite(ms) || ms <= 0) throw usageError(`${option} "${text}" must be longer than 0`);
  return ms;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * An instant, epoch ms: a duration means that long before `now` (`7d`), a date means its UTC
 * midnight (`2026-11-01`), an ISO time must carry its zone (`2026-11-01T09:00:00+01:00`, `…Z`) so a
 * cron job on a machine in another zone reads the same range. `all` means no bound (undefined).
 */
export function parseInstant(text: string, option: string, now: number): number | undefined {
  const t = text.trim();
  if (t === "all") return undefined;
  if (t === "now") return now;
  if (DURATION.test(t)) return now - parseDuration(t, option);
  if (ISO_DATE.test(t) || ISO_TIME.test(t)) {
    const ms = Date.parse(ISO_DATE.test(t) ? `${t}T00:00:00Z` : t);
    if (Number.isFinite(ms)) return ms;
  }
  throw usageError(
    `${option} "${text}" is not a time; write a duration back from now (7d, 12h), a UTC date (2026-11-01), an ISO time with its zone (2026-11-01T09:00:00Z), "now" or "all"`,
  );
}

/** A string option's value (or undefined), refusing an empty string. */
export function stringOption(values: ParsedCommand["values"], name: string): string | undefined {
  const v = values[name];
  if (v === undefined || typeof v === "boolean") return undefined;
  if (v.trim() === "") throw usageError(`--${name} needs a value`);
  return v;
}

/** The option list for `--help`: names aligned, descriptions wrapped to fit 80 columns. */
export function formatOptions(specs: OptionSpecs, width = 80): string {
  const rows = Object.entries(specs).map(([name, s]) => [`${s.short ? `-${s.short}, ` : "    "}--${name}${s.value ? ` ${s.value}` : ""}`, s.description] as const);
  const left = Math.max(...rows.map(([l]) => l.length)) + 4;
  return rows
    .map(([l, description]) => {
      const lines: string[] = [];
      let current = "";
      for (const word of description.split(" ")) {
        if (current !== "" && left + current.length + 1 + word.length > width) {
          lines.push(current);
          current = word;
        } else current = current === "" ? word : `${current} ${word}`;
      }
      lines.push(current);
      return lines.map((d, i) => (i === 0 ? `  ${l}`.padEnd(left) : " ".repeat(left)) + d).join("\n");
    })
    .join("\n");
}
