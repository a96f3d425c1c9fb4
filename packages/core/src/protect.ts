/**
 * What happens to a result between the tool and the store, and back: redaction, a size limit,
 * and encryption at rest.
 *
 * - `redact(value, ctx)` drops fields before recording (a replay returns the redacted form).
 * - `maxRecordBytes` (default 1 MiB): arguments larger than that are refused before the tool
 *   runs; a result larger than that is not stored (the record keeps only its size), and a replay
 *   says so with {@link IdempotencyRecordTooLargeError} instead of running the tool again.
 * - `protect` encrypts recorded results and errors with AES-256-GCM (`node:crypto`). The
 *   idempotency key is the additional authenticated data, so a ciphertext moved to another record
 *   does not decrypt. Rotation: add a key id, make it `currentKeyId`, keep the old one until the
 *   records it wrote have expired (`ttlMs`).
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { plainJsonBytesBound } from "./json-size.js";
import type { RecordedError } from "./errors.js";
import { IdempotencyPolicyError, IdempotencyRecordTooLargeError, IdempotencyStoreError } from "./errors.js";
import { recordable } from "./recordable.js";

/** Encryption at rest: keys by id (32 bytes each: bytes or base64), and which one encrypts. */
export interface ProtectOptions {
  /** Key id → 32-byte key. Keep an old id until the records it encrypted have expired, so they still decrypt. */
  keys: Record<string, Uint8Array | string>;
  /** The id in `keys` that encrypts new records; must be one of them. */
  currentKeyId: string;
}

/** Context handed to `redact`. */
export interface RedactContext {
  /** The action (tool name) whose result is being recorded. */
  action: string;
  /** The call's idempotency key. */
  key: string;
}

/** The engine options {@link createRecordCodec} reads. */
export interface RecordCodecOptions {
  /** The engine's `protect`: encrypt results and errors at rest; absent, they are stored as they are. */
  protect?: ProtectOptions | undefined;
  /** The engine's `redact`, applied to a result before it is recorded. */
  redact?: ((value: unknown, ctx: RedactContext) => unknown) | undefined;
  /** The engine's `maxRecordBytes`, in bytes; default {@link DEFAULT_MAX_RECORD_BYTES} (1 MiB). */
  maxRecordBytes?: number | undefined;
}

interface Envelope {
  $protected: 1;
  kid: string;
  iv: string;
  tag: string;
  data: string;
}

interface Omitted {
  $omitted: { bytes: number };
}

const PROTECTED_ERROR = "ProtectedError";
/** The `maxRecordBytes` default: arguments and results up to 1 MiB of JSON. */
export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;

function keyBytes(id: string, k: Uint8Array | string): Buffer {
  const b = typeof k === "string" ? Buffer.from(k, "base64") : Buffer.from(k);
  if (b.length !== 32) throw new IdempotencyPolicyError(`protect.keys["${id}"] must be 32 bytes (AES-256), got ${b.length}`);
  return b;
}

const isEnvelope = (v: unknown): v is Envelope => typeof v === "object" && v !== null && (v as Envelope).$protected === 1;
const isOmitted = (v: unknown): v is Omitted => typeof v === "object" && v !== null && typeof (v as Omitted).$omitted?.bytes === "number";

/** Encodes values for the store and decodes them on replay. */
export function createRecordCodec(options: RecordCodecOptions) {
  const max = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  if (!(max > 0)) throw new IdempotencyPolicyError(`maxRecordBytes must be a positive number of bytes, got ${String(options.maxRecordBytes)}`);
  const keys = new Map<string, Buffer>();
  const protect = options.protect;
  if (protect) {
    for (const [id, k] of Object.entries(protect.keys)) keys.set(id, keyBytes(id, k));
    if (!keys.has(protect.currentKeyId)) throw new IdempotencyPolicyError(`protect.currentKeyId "${protect.currentKeyId}" is not one of protect.keys`);
  }

  const seal = (json: string, key: string): Envelope => {
    const kid = protect!.currentKeyId;
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", keys.get(kid)!, iv);
    cipher.setAAD(Buffer.from(key, "utf8"));
    const data = Buffer.concat([cipher.update(json, "utf8"), cipher.final()]);
    return { $protected: 1, kid, iv: iv.toString("base64"), tag: cipher.getAuthTag().toString("base64"), data: data.toString("base64") };
  };

  const open = (env: Envelope, key: string): unknown => {
    const k = keys.get(env.kid);
    if (!k) throw new IdempotencyStoreError(`key ${key} was encrypted with key id "${env.kid}", which protect.keys does not hold; add it back until those records expire`);
    try {
      const decipher = createDecipheriv("aes-256-gcm", k, Buffer.from(env.iv, "base64"));
      decipher.setAAD(Buffer.from(key, "utf8"));
      decipher.setAuthTag(Buffer.from(env.tag, "base64"));
      const json = Buffer.concat([decipher.update(Buffer.from(env.data, "base64")), decipher.final()]).toString("utf8");
      return json === "" ? undefined : JSON.parse(json);
    } catch (cause) {
      throw new IdempotencyStoreError(`the recorded value of key ${key} does not decrypt with key id "${env.kid}" (tampered, or moved from another key)`, { cause });
    }
  };

  return {
    maxRecordBytes: max,

    /** Refuses arguments too large to key and record, before anything runs. */
    checkArgs(canonicalBytes: number, key: string): void {
      if (canonicalBytes > max) throw new IdempotencyRecordTooLargeError(key, canonicalBytes, max);
    },

    /**
     * The stored form of a (JSON-safe) result, and the form a replay returns (redacted, not
     * encrypted): single-flight waiters in this process get that one without a store round trip.
     */
    encodeValue(value: unknown, ctx: RedactContext): { stored: unknown; replay: unknown } {
      const replay = options.redact ? options.redact(value, ctx) : value;
      if (replay === undefined) return { stored: protect ? seal("", ctx.key) : undefined, replay };
      if (!protect && max === Number.POSITIVE_INFINITY) return { stored: replay, replay };
      const json = JSON.stringify(replay);
      const bytes = Buffer.byteLength(json, "utf8");
      if (bytes > max) return { stored: { $omitted: { bytes } } satisfies Omitted, replay };
      return { stored: protect ? seal(json, ctx.key) : replay, replay };
    },

    /**
     * {@link encodeValue} of a tool's result, after `recordable` (a value JSON cannot carry
     * faithfully is recorded in its lossy JSON form, with a warning). Without `redact` and
     * `protect`, plain JSON data is stored as it is, not copied, and its size is bounded without
     * printing it: then `replay` is the result itself, and a single-flight waiter needs a copy.
     */
    encodeResult(value: unknown, action: string, key: string, warn: (message: string) => void): { stored: unknown; replay: unknown } {
      if (!options.redact && !protect) {
        const bound = value === undefined ? 0 : plainJsonBytesBound(value);
        if (bound >= 0) {
          if (bound <= max) return { stored: value, replay: value };
          const bytes = Buffer.byteLength(JSON.stringify(value), "utf8");
          return { stored: bytes > max ? ({ $omitted: { bytes } } satisfies Omitted) : value, replay: value };
        }
      }
      return this.encodeValue(recordable(value, action, warn), { action, key });
    },

    /** The replayed form of a stored result. */
    decodeValue(stored: unknown, key: string): unknown {
      if (isOmitted(stored)) throw new IdempotencyRecordTooLargeError(key, stored.$omitted.bytes, max, "replay");
      return isEnvelope(stored) ? open(stored, key) : stored;
    },

    encodeError(error: RecordedError, ctx: RedactContext): RecordedError {
      if (!protect) return error;
      return { name: PROTECTED_ERROR, message: "(encrypted)", data: seal(JSON.stringify(error), ctx.key) };
    },

    decodeError(error: RecordedError, key: string): RecordedError {
      return error.name === PROTECTED_ERROR && isEnvelope(error.data) ? (open(error.data, key) as RecordedError) : error;
    },
  };
}
/** What {@link createRecordCodec} returns: the engine encodes and decodes recorded values with it. */
export type RecordCodec = ReturnType<typeof createRecordCodec>;
