/**
 * A progress line on stderr for long scans. Drawn only when stderr is a terminal or `--progress`
 * asks for it, so a cron job's mail and a CI log stay clean; stdout is never touched, so
 * `--json | jq` keeps working while a person watches the count go up.
 */
import type { TextOut } from "./context.js";
import { formatCount } from "./format.js";

/** Counts scanned entries and redraws at most a few times a second. */
export interface Progress {
  /** Wraps a stream so each item it yields is counted (with its time, when it has one). */
  track<T extends { ts?: number }>(items: AsyncIterable<T>): AsyncIterable<T>;
  /** Erases the line (terminal) or prints the final count (`--progress` into a file). */
  done(): void;
}

const CHECK_EVERY = 1024; // read the clock once per this many items, not per item
const TTY_INTERVAL_MS = 200;
const LINE_INTERVAL_MS = 2_000;

/** A progress indicator for `label` ("scanning jsonl:audit.jsonl"); a no-op when disabled. */
export function createProgress(stderr: TextOut, label: string, forced: boolean): Progress {
  const tty = stderr.isTTY === true;
  if (!tty && !forced) return { track: (items) => items, done: () => undefined };
  const started = Date.now();
  let count = 0;
  let lastTs: number | undefined;
  let drawnAt = 0;
  let drawn = false;

  const line = () => {
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    const upTo = lastTs === undefined ? "" : `, up to ${new Date(lastTs).toISOString().slice(0, 16)}Z`;
    return `${label}: ${formatCount(count)} entries${upTo} (${secs}s)`;
  };
  const draw = (now: number) => {
    drawnAt = now;
    drawn = true;
    // \r + erase-line redraws in place on a terminal; a forced non-terminal gets whole lines.
    stderr.write(tty ? `\r\x1b[K${line()}` : `${line()}\n`);
  };

  return {
    async *track(items) {
      for await (const item of items) {
        count++;
        if (typeof item.ts === "number") lastTs = item.ts;
        if (count % CHECK_EVERY === 0) {
          const now = Date.now();
          if (now - drawnAt >= (tty ? TTY_INTERVAL_MS : LINE_INTERVAL_MS)) draw(now);
        }
        yield item;
      }
    },
    done() {
      if (tty) {
        if (drawn) stderr.write("\r\x1b[K");
      } else {
        stderr.write(`${line()}, done\n`);
      }
    },
  };
}
