import fc from "fast-check";
import Keyv from "keyv";
import { describe, expect, it } from "vitest";
import { deserializeJson, hasDefaultCodec, recordHead, serializeFinished, serializeInProgress, serializeJson } from "../src/keyv-codec.js";

const colonish = fc.oneof(fc.string(), fc.string().map((s) => `:${s}`), fc.constant(":base64:AAAA"), fc.constant("::x"), fc.constant('a":b'));
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, colonish, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 5 }),
  object: fc.dictionary(colonish, tie("value"), { maxKeys: 5 }),
})).value;

describe("keyv-codec", () => {
  const keyv = new Keyv();

  it("serializeJson(): byte-identical to Keyv's default serializer for strict JSON (property)", async () => {
    await fc.assert(
      fc.asyncProperty(json, fc.option(fc.integer()), async (value, expires) => {
        const data = { value, expires: expires ?? undefined };
        expect(serializeJson(data)).toBe(await keyv.serialize!(data));
      }),
    );
  });

  it("deserializeJson(): reads back what Keyv's default deserializer reads (property)", async () => {
    await fc.assert(
      fc.asyncProperty(json, async (value) => {
        const raw = serializeJson({ value });
        const ours = deserializeJson<{ value: unknown }>(raw);
        const theirs = (await keyv.deserialize!(raw)) as { value: unknown };
        // Keyv turns ":base64:" strings into Buffers; records never hold those, so compare as JSON.
        expect(JSON.stringify(ours)).toBe(JSON.stringify(theirs, (_k, v) => (v?.type === "Buffer" ? `:base64:${Buffer.from(v.data).toString("base64")}` : v)));
      }),
    );
  });

  // Strings the templates must quote as JSON.stringify and Keyv do: escapes, a leading ":", lone surrogates.
  const text = fc.oneof(colonish, fc.constantFrom('q"uote', "back\\slash", "new\nline", "\u0001", "\ud800", "\u2028", "é🎉", ":"));
  const n = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0, 1e21, 1.5e-7));
  // Head strings are mostly plain (the template path), sometimes not (the walk); values and ids are colon-heavy.
  const headText = fc.oneof({ weight: 9, arbitrary: fc.stringMatching(/^[a-zA-Z0-9_:.-]{1,12}$/) }, { weight: 1, arbitrary: text });
  const head = fc.record({ v: fc.constant(1), key: headText, scope: headText, action: headText, fingerprint: headText, token: headText, attempt: n, claimedAt: n });

  // What Keyv reads back from a text; records never hold ":base64:" Buffers, so compare as JSON data.
  const keyvReads = async (raw: string) => JSON.parse(JSON.stringify(await keyv.deserialize!(raw)));

  it("recordHead() + serializeInProgress(): Keyv reads back exactly the claim's record (property)", async () => {
    const inProgress = head.chain((h) => n.map((leaseUntil) => ({ v: h.v, key: h.key, status: "in_progress" as const, scope: h.scope, action: h.action, fingerprint: h.fingerprint, token: h.token, attempt: h.attempt, claimedAt: h.claimedAt, leaseUntil })));
    await fc.assert(
      fc.asyncProperty(inProgress, n, async (record, expires) => {
        const start = recordHead(record);
        const raw = start === undefined ? serializeJson({ value: record, expires }) : serializeInProgress(start, record, expires);
        expect(await keyvReads(raw)).toStrictEqual(await keyvReads(await keyv.serialize!({ value: record, expires })));
        // Only what needs escaping takes the walk.
        expect(start === undefined).toBe([record.key, record.scope, record.action, record.fingerprint, record.token].some((x) => JSON.stringify(x) !== `"${x}"` || x.startsWith(":")));
      }),
      { numRuns: 500 },
    );
  });

  it("recordHead() + serializeFinished(): Keyv reads back exactly a completed or failed record (property)", async () => {
    const finished = fc
      .tuple(head, fc.constantFrom("completed" as const, "failed" as const), fc.option(json, { nil: undefined }), fc.option(text, { nil: undefined }), n, n)
      .map(([h, status, value, responseId, completedAt, expiresAt]) =>
        status === "completed"
          ? { v: h.v, key: h.key, scope: h.scope, action: h.action, fingerprint: h.fingerprint, token: h.token, attempt: h.attempt, claimedAt: h.claimedAt, status, value, responseId, completedAt, expiresAt }
          : { v: h.v, key: h.key, scope: h.scope, action: h.action, fingerprint: h.fingerprint, token: h.token, attempt: h.attempt, claimedAt: h.claimedAt, status, error: { name: "E", message: responseId ?? "m", data: value }, completedAt, expiresAt },
      );
    await fc.assert(
      fc.asyncProperty(finished, n, async (record, expires) => {
        const start = recordHead(record);
        const raw = start === undefined ? serializeJson({ value: record, expires }) : serializeFinished(start, record, expires);
        expect(await keyvReads(raw)).toStrictEqual(await keyvReads(await keyv.serialize!({ value: record, expires })));
      }),
      { numRuns: 1000 },
    );
  });

  it("hasDefaultCodec(): only for Keyv's own serializer", () => {
    expect(hasDefaultCodec(new Keyv())).toBe(true);
    expect(hasDefaultCodec(new Keyv({ serialize: JSON.stringify, deserialize: JSON.parse }))).toBe(false);
  });
});
