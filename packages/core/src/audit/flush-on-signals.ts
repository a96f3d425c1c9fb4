/**
 * Flushes open audit logs when the process is asked to stop (SIGINT, SIGTERM), without changing
 * whether it stops. Async sinks (SQLite, Postgres) cannot write from an `exit` hook; a signal
 * handler can, because the process is still running.
 *
 * - No other listener for the signal: the default action would have ended the process at once.
 *   We flush (for at most {@link SIGNAL_GRACE_MS}), remove our listeners and raise the signal
 *   again, so the process still ends by that signal, with its buffered entries written.
 * - The application listens too: it owns shutdown. We start a flush and leave the rest to it (its
 *   handler should `await audit.close()` before `process.exit()`).
 *
 * One shared listener per signal serves every open log, so two logs never wait for each other.
 */

/** What the registry needs from a log. */
export interface Flushable {
  /**
   * Writes out what is buffered. When no other listener handles the signal, it is raised again
   * once this settles, or after {@link SIGNAL_GRACE_MS} (5 s) at the latest.
   */
  flush(): Promise<void> | void;
}

/** Longest wait for the flush before the signal is raised again. */
export const SIGNAL_GRACE_MS = 5_000;

const SIGNALS = ["SIGINT", "SIGTERM"] as const;
const open = new Set<Flushable>();

function onSignal(signal: NodeJS.Signals): void {
  const flushed = Promise.all([...open].map(async (log) => log.flush())).catch(() => undefined);
  if (process.listenerCount(signal) > 1) return void flushed;
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, SIGNAL_GRACE_MS)));
  void Promise.race([flushed, grace]).then(() => {
    clearTimeout(timer);
    uninstall();
    process.kill(process.pid, signal);
  });
}

function install(): void {
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstall(): void {
  for (const s of SIGNALS) process.removeListener(s, onSignal);
}

/** Flushes `log` on SIGINT/SIGTERM until the returned function is called. */
export function flushOnSignals(log: Flushable): () => void {
  if (open.size === 0) install();
  open.add(log);
  return () => {
    if (open.delete(log) && open.size === 0) uninstall();
  };
}
