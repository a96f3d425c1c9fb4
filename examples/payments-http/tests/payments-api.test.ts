/**
 * The stand-in payments API against the IETF Idempotency-Key draft, over real HTTP: what the tool
 * of this example relies on. Counts the payments it made, not what it answered.
 */
import { afterEach, describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs example without type declarations
import { startPaymentsApi } from "../src/payments-api.mjs";

type Api = { url: string; close(): Promise<void>; payments: unknown[]; requests: { status: number; replayed?: boolean }[] };
let api: Api | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

async function pay(key: string | undefined, body: unknown) {
  const res = await fetch(`${api!.url}/payments`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key === undefined ? {} : { "Idempotency-Key": key }) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, type: res.headers.get("content-type"), replayed: res.headers.get("idempotent-replayed"), retryAfter: res.headers.get("retry-after"), body: (await res.json()) as Record<string, unknown> };
}
const invoice = { invoice_id: "inv_1", amount_cents: 500 };

describe("payments API (IETF Idempotency-Key draft)", () => {
  it("POST /payments: a missing key is a 400 problem and pays nothing", async () => {
    api = await startPaymentsApi();
    const res = await pay(undefined, invoice);
    expect(res).toMatchObject({ status: 400, type: "application/problem+json", body: { status: 400 } });
    expect(api!.payments).toHaveLength(0);
  });

  it("POST /payments: a repeated key with the same payload replays the stored response and pays once", async () => {
    api = await startPaymentsApi();
    const first = await pay("k-1", invoice);
    const again = await pay("k-1", invoice);
    expect(first).toMatchObject({ status: 201, replayed: null, body: { id: "pay_1", ...invoice } });
    expect(again).toMatchObject({ status: 201, replayed: "true" });
    expect(again.body).toEqual(first.body);
    expect(api!.payments).toHaveLength(1);
    // A different key is a different payment.
    expect((await pay("k-2", invoice)).body.id).toBe("pay_2");
    expect(api!.payments).toHaveLength(2);
  });

  it("POST /payments: the same key with a different payload is a 422 and pays nothing more", async () => {
    api = await startPaymentsApi();
    await pay("k-1", invoice);
    const res = await pay("k-1", { ...invoice, amount_cents: 501 });
    expect(res).toMatchObject({ status: 422, type: "application/problem+json" });
    expect(api!.payments).toHaveLength(1);
  });

  it("POST /payments: the same key while the first is processing is a 409 with Retry-After; then the stored response", async () => {
    api = await startPaymentsApi({ holdFirst: true, retryAfterSeconds: 2 });
    const held = pay("k-1", invoice); // made, but its answer is withheld
    await expect.poll(() => api!.payments.length).toBe(1);
    const conflict = await pay("k-1", invoice);
    expect(conflict).toMatchObject({ status: 409, retryAfter: "2", type: "application/problem+json" });
    expect(await held).toMatchObject({ status: 201, body: { id: "pay_1" } }); // released by the 409
    expect(await pay("k-1", invoice)).toMatchObject({ status: 201, replayed: "true", body: { id: "pay_1" } });
    expect(api!.payments).toHaveLength(1);
    expect(api!.requests.map((r) => r.status)).toEqual([201, 409, 201]);
  });

  it("POST /payments: malformed JSON is a 400 that leaves the key free", async () => {
    api = await startPaymentsApi();
    expect((await pay("k-1", "{nope")).status).toBe(400);
    expect((await pay("k-1", invoice)).status).toBe(201);
    expect(api!.payments).toHaveLength(1);
  });
});
