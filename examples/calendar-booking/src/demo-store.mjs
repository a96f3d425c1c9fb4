// The demo's store: the URI given with --store, on a table (Postgres, MySQL) or key prefix (Redis)
// of this run's own when the URI names none, dropped after the run. A shared server then never
// gets the demo's records mixed into the default table, and keeps none of them afterwards.
import { randomUUID } from "node:crypto";
import { createStore } from "@agent-idempotency/core";

/** Our own query parameters: the drivers must not see them. */
const OURS = ["table", "schema", "namespace", "prefix", "audit_table"];

function withParam(uri, name, value) {
  const u = new URL(uri);
  u.searchParams.set(name, value);
  return u.toString();
}

function driverUri(uri) {
  const u = new URL(uri);
  for (const p of OURS) u.searchParams.delete(p);
  return u.toString();
}

/**
 * Opens the store `uri` names (`memory`, `sqlite:PATH`, `postgres://…`, `mysql://…`, `redis://…`).
 * Returns the store, the URI it was opened with, and `cleanUp()`, which drops what this run
 * created; call it after the store is closed.
 */
export async function openDemoStore(uri) {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1]?.toLowerCase();
  const run = `calendar_demo_${randomUUID().replace(/-/g, "").slice(0, 12)}`;
  // The demo's own import(), so the store package resolves from this example's dependencies.
  const open = (u) => createStore(u, { loader: (specifier) => import(specifier) });
  let used = uri === "memory" ? "memory:" : uri;
  let cleanUp = async () => {};
  const has = (name) => scheme !== undefined && scheme !== "sqlite" && scheme !== "memory" && new URL(uri).searchParams.has(name);
  if ((scheme === "postgres" || scheme === "postgresql") && !has("table")) {
    used = withParam(uri, "table", run);
    cleanUp = async () => {
      const { default: pg } = await import("pg");
      const client = new pg.Client({ connectionString: driverUri(uri) });
      await client.connect();
      try {
        const schema = new URL(uri).searchParams.get("schema") ?? "public";
        await client.query(`DROP TABLE IF EXISTS "${schema}"."${run}", "${schema}"."${run}_migrations"`);
      } finally {
        await client.end();
      }
    };
  } else if ((scheme === "mysql" || scheme === "mariadb") && !has("table")) {
    used = withParam(uri, "table", run);
    cleanUp = async () => {
      const mysql = await import("mysql2/promise");
      const conn = await mysql.createConnection({ uri: driverUri(uri).replace(/^mariadb:/i, "mysql:") });
      try {
        await conn.query(`DROP TABLE IF EXISTS \`${run}\`, \`${run}_migrations\``);
      } finally {
        await conn.end();
      }
    };
  } else if ((scheme === "redis" || scheme === "rediss") && !has("prefix")) {
    used = withParam(uri, "prefix", run.replace(/_/g, "-"));
    cleanUp = async () => {
      // The records are Keyv entries under the prefix: Keyv's clear() deletes exactly those.
      const store = await open(used);
      try {
        await store.keyv.clear();
      } finally {
        await store.close();
      }
    };
  }
  return { store: await open(used), uri: used, cleanUp };
}
