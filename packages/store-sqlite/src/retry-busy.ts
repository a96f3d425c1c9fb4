/**
 * Two processes setting up one fresh file can get SQLITE_BUSY at once, without the busy handler:
 * switching to WAL, or upgrading a read lock to a write lock inside a migration, is a deadlock
 * SQLite breaks by failing one side immediately. Setup steps are idempotent, so they try again.
 */
export async function retryOnBusy<T>(fn: () => Promise<T>, attempts = 20): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if ((error as { code?: string }).code !== "SQLITE_BUSY" || attempt >= attempts) throw error;
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * attempt));
    }
  }
}
