// Another process that takes SQLite's write lock on the store's file (BEGIN EXCLUSIVE) and holds
// it for `holdMs`, as a backup job or a second application would. Sends "locked" once it holds
// the lock; the harness may also SIGKILL it while it does (the OS then drops the lock).
import { createRequire } from "node:module";

const [sqlite3Path, file, holdMs] = process.argv.slice(2);
const sqlite3 = createRequire(import.meta.url)(sqlite3Path);
const db = new sqlite3.Database(file);
const run = (sql) => new Promise((resolve, reject) => db.run(sql, (e) => (e ? reject(e) : resolve())));
try {
  await run("PRAGMA busy_timeout = 10000");
  await run("BEGIN EXCLUSIVE");
  process.send?.("locked");
  await new Promise((r) => setTimeout(r, Number(holdMs)));
  await run("COMMIT");
} finally {
  db.close(() => process.exit(0));
}
