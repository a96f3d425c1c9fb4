import { isIdempotencyError } from "@agent-idempotency/core";
import { RedisStore } from "@agent-idempotency/store-redis";
import { validatePrefix } from "../src/prefix.js";
import { describe, expect, it } from "vitest";

const url = "redis://127.0.0.1:1"; // never contacted: the constructor does no I/O

function rejection(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    expect(isIdempotencyError(error, "STORE_FAILED")).toBe(true);
    return error as Error;
  }
  throw new Error("expected the call to throw");
}

describe("RedisStore options", () => {
  it.each([
    ["a quote", `bad"prefix`],
    ["a single quote", "bad'prefix"],
    ["a space", "bad prefix"],
    ["a semicolon", "bad;prefix"],
    ["a star", "bad*"],
    ["a question mark", "bad?"],
    ["brackets", "bad[ab]"],
    ["a backslash", "bad\\x"],
    ["a double colon", "app::idem"],
    ["a leading colon", ":idem"],
    ["a trailing colon", "idem:"],
    ["an empty string", ""],
    ["a newline", "idem\nFLUSHALL"],
  ])("constructor: refuses a prefix with %s, naming the option and what is allowed", (_what, prefix) => {
    const error = rejection(() => new RedisStore({ url, prefix }));
    expect(error.message).toMatch(/^\[agent-idempotency\] \[store-redis\] invalid option prefix/);
    expect(error.message).toContain("letters, digits");
    expect(error.message).toContain("SCAN MATCH");
  });

  it("constructor: validates namespace like prefix, under its own name", () => {
    expect(rejection(() => new RedisStore({ url, namespace: "a b" })).message).toContain("invalid option namespace");
  });

  it("constructor: refuses a prefix longer than 128 characters", () => {
    expect(rejection(() => new RedisStore({ url, prefix: "a".repeat(129) })).message).toContain("invalid option prefix");
    expect(new RedisStore({ url, prefix: "a".repeat(128) }).prefix).toHaveLength(128);
  });

  it("constructor: accepts letters, digits, _ - . and single colons", () => {
    for (const ok of ["idempotency", "app:idem.v1", "A_b-9", "tenant-42:billing:tools"]) {
      expect(new RedisStore({ url, prefix: ok }).prefix).toBe(ok);
      expect(validatePrefix("prefix", ok)).toBe(ok);
    }
  });

  it("constructor: prefix defaults to idempotency; namespace is the same option under Keyv's name", () => {
    expect(new RedisStore({ url }).prefix).toBe("idempotency");
    expect(new RedisStore({ url, namespace: "n1" }).prefix).toBe("n1");
    expect(new RedisStore({ url, namespace: "n1", prefix: "n1" }).prefix).toBe("n1");
    expect(rejection(() => new RedisStore({ url, namespace: "n1", prefix: "n2" })).message).toContain("prefix and namespace");
  });

  it("redisKey(): is the adapter's layout <prefix>::<prefix>:<key>", () => {
    const store = new RedisStore({ url, prefix: "app:idem" });
    expect(store.redisKey("v1:abc")).toBe("app:idem::app:idem:v1:abc");
    expect(store.keyv.namespace).toBe("app:idem");
  });

  it("constructor: requires url or client, not both, and a redis URL", () => {
    expect(rejection(() => new RedisStore({})).message).toContain("invalid option url");
    expect(rejection(() => new RedisStore({ url: "postgres://x" })).message).toContain("redis: or rediss:");
    expect(rejection(() => new RedisStore({ url: "not a url" })).message).toContain("not a URL");
    expect(rejection(() => new RedisStore({ url, client: {} as never })).message).toContain("one of url, rootNodes and client");
    expect(rejection(() => new RedisStore({ url, rootNodes: [url] })).message).toContain("one of url, rootNodes and client");
    expect(rejection(() => new RedisStore({ client: {} as never })).message).toContain("invalid option client");
  });

  it("constructor: never echoes the URL, which may hold a password", () => {
    const error = rejection(() => new RedisStore({ url: "http://user:s3cret@host" }));
    expect(error.message).not.toContain("s3cret");
  });

  it("constructor: refuses non-positive timeouts and odd client names", () => {
    expect(rejection(() => new RedisStore({ url, connectTimeoutMs: 0 })).message).toContain("connectTimeoutMs");
    expect(rejection(() => new RedisStore({ url, commandTimeoutMs: Number.NaN })).message).toContain("commandTimeoutMs");
    expect(rejection(() => new RedisStore({ url, clientName: "has space" })).message).toContain("clientName");
  });

  it("constructor: rootNodes must be a non-empty list of redis URLs, each checked", () => {
    expect(rejection(() => new RedisStore({ rootNodes: [] })).message).toContain("invalid option rootNodes");
    expect(rejection(() => new RedisStore({ rootNodes: [url, "http://x:1"] })).message).toContain("invalid option rootNodes[1]");
    const store = new RedisStore({ rootNodes: [url, "redis://127.0.0.1:2"], prefix: "c" });
    expect(store.cluster).toBe(true);
    expect(JSON.parse(JSON.stringify(store))).toEqual({ store: "store-redis", prefix: "c", ownsClient: true, cluster: true });
  });

  it.each([
    ["zero replicas (WAIT 0 would wait forever)", { replicas: 0, timeoutMs: 100 }],
    ["a zero timeout", { replicas: 1, timeoutMs: 0 }],
    ["a fraction", { replicas: 1.5, timeoutMs: 100 }],
    ["not an object", 1],
  ])("constructor: refuses waitForReplicas with %s", (_what, value) => {
    expect(rejection(() => new RedisStore({ url, waitForReplicas: value as never })).message).toContain("invalid option waitForReplicas");
  });

  it("toJSON(): keeps the client out of JSON.stringify", () => {
    expect(JSON.parse(JSON.stringify(new RedisStore({ url, prefix: "p" })))).toEqual({ store: "store-redis", prefix: "p", ownsClient: true });
  });
});
