/**
 * createStore()/createAuditLog(): a query parameter or a scheme nobody reads fails with a "did you
 * mean" instead of being ignored (`?tabel=x` would write to the default table), and `create: false`
 * reaches the store. A fake loader stands in for the store packages, so nothing connects anywhere.
 */
import { describe, expect, it } from "vitest";
import type { IdempotencyPolicyError } from "@agent-idempotency/core";
import { createAuditLog, createStore, isIdempotencyError } from "@agent-idempotency/core";

/** A loader whose store classes record the options they were built with. */
function fakeLoader() {
  const built: { name: string; options: Record<string, unknown> }[] = [];
  const klass = (name: string) =>
    class {
      constructor(options: Record<string, unknown>) {
        built.push({ name, options });
      }
    };
  const loaded: string[] = [];
  const loader = async (pkg: string) => {
    loaded.push(pkg);
    return Object.fromEntries(["SqliteStore", "SqliteAuditLog", "PostgresStore", "PostgresAuditLog", "RedisStore", "MysqlStore", "MysqlAuditLog"].map((n) => [n, klass(n)]));
  };
  return { loader, built, loaded };
}

async function refusal(p: Promise<unknown>): Promise<IdempotencyPolicyError> {
  const e = await p.then(() => undefined, (error: unknown) => error);
  expect(isIdempotencyError(e, "POLICY_INVALID")).toBe(true);
  return e as IdempotencyPolicyError;
}

describe("createStore(): URI parameters and schemes", () => {
  it.each([
    ["postgres://u@h:5432/test?tabel=x", /"\?tabel=" in a postgres: URI is not a parameter we know \(did you mean "table"\?\)/],
    ["postgresql://u@h/test?table=t&namspace=n", /"\?namspace=" .*\(did you mean "namespace"\?\)/],
    ["redis://127.0.0.1:6379?prefx=p", /"\?prefx=" in a redis: URI .*\(did you mean "prefix"\?\)/],
    ["mysql://root@h:3306/test?audit_tabel=a", /"\?audit_tabel=" .*\(did you mean "audit_table"\?\)/],
    ["sqlite:./x.db?tabel=t", /"\?tabel=" in a sqlite: URI .*\(did you mean "table"\?\)/],
    ["memory:?namepsace=n", /"\?namepsace=" .*\(did you mean "namespace"\?\)/],
  ])("createStore(): %s fails, naming the parameter it probably meant, before any package is loaded", async (uri, message) => {
    const { loader, loaded } = fakeLoader();
    const e = await refusal(createStore(uri, { loader }));
    expect(e.message).toMatch(message);
    expect(loaded).toEqual([]);
  });

  it("createStore(): every unknown parameter is named in one error", async () => {
    const { loader } = fakeLoader();
    const e = await refusal(createStore("postgres://u@h/test?tabel=x&shema=s", { loader }));
    expect(e.problems).toHaveLength(2);
    expect(e.problems[1]).toMatch(/"\?shema=" .*\(did you mean "schema"\?\)/);
  });

  it("createStore(): the driver's own parameters pass through to it, ours become options", async () => {
    const { loader, built } = fakeLoader();
    await createStore("postgres://u@h:5432/test?table=t&sslmode=disable&application_name=cli&audit_table=a", { loader });
    await createStore("mysql://root@h:3306/test?table=t&connectTimeout=500", { loader });
    expect(built).toEqual([
      { name: "PostgresStore", options: { uri: "postgres://u@h:5432/test?sslmode=disable&application_name=cli", table: "t" } },
      { name: "MysqlStore", options: { uri: "mysql://root@h:3306/test?connectTimeout=500", table: "t" } },
    ]);
  });

  it.each([
    ["postgress://u@h/test", "postgres"],
    ["reddis://h:6379", "redis"],
    ["mysq://h/test", "mysql"],
    ["sqlit:./x.db", "sqlite"],
  ])("createStore(): the misspelt scheme of %s gets a did-you-mean", async (uri, meant) => {
    const e = await refusal(createStore(uri, fakeLoader()));
    expect(e.message).toContain(`(did you mean "${meant}"?)`);
  });

  it("createAuditLog(): the same checks, and a misspelt scheme gets a did-you-mean", async () => {
    const { loader } = fakeLoader();
    expect((await refusal(createAuditLog("postgres://u@h/test?audit_tabel=a", { loader }))).message).toMatch(/did you mean "audit_table"/);
    expect((await refusal(createAuditLog("jsnl:./audit.jsonl", { loader }))).message).toMatch(/did you mean "jsonl"/);
  });

  it("createStore()/createAuditLog(): create: false reaches the SQL stores and logs, and nothing else changes without it", async () => {
    const { loader, built } = fakeLoader();
    await createStore("sqlite:./x.db?table=t&audit_table=a", { loader, create: false });
    await createAuditLog("sqlite:./x.db?table=t&audit_table=a", { loader, create: false });
    await createAuditLog("mysql://root@h/test", { loader, create: false });
    await createStore("postgres://u@h/test", { loader });
    expect(built).toEqual([
      { name: "SqliteStore", options: { path: "./x.db", table: "t", create: false } },
      { name: "SqliteAuditLog", options: { path: "./x.db", table: "a", create: false } },
      { name: "MysqlAuditLog", options: { uri: "mysql://root@h/test", create: false } },
      { name: "PostgresStore", options: { uri: "postgres://u@h/test" } },
    ]);
  });
});
