import fc from "fast-check";
import Keyv from "keyv";
import { describe, expect, it } from "vitest";
import { deserializeJson, hasDefaultCodec, serializeJson } from "../src/keyv-codec.js";

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

  it("hasDefaultCodec(): only for Keyv's own serializer", () => {
    expect(hasDefaultCodec(new Keyv())).toBe(true);
    expect(hasDefaultCodec(new Keyv({ serialize: JSON.stringify, deserialize: JSON.parse }))).toBe(false);
  });
});
