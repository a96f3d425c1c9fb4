/**
 * The "payment provider" the chaos workers call: a local HTTP server that counts every side
 * effect it applies. Depending on its mode it honours the forwarded `Idempotency-Key` (a second
 * request with a known key gets the first effect back, as Stripe does) or ignores it (every
 * request is a new effect, as a naive API does). `GET /lookup?key=` answers whether an effect
 * with that key exists, for the `reconcile` hook.
 *
 * An effect is applied as soon as the whole request has arrived, and answered a little later:
 * a worker killed in that gap is "the 504 that lied" (the effect happened, the caller never
 * heard). Before applying, the server can ask the harness whether the caller holds a claim on
 * the key right now (`checkClaim`), which is how "no effect without a claim" is measured.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type UpstreamMode = "honour" | "ignore";

/** One applied side effect. */
export interface Effect {
  key: string;
  trial: string;
  attempt: number;
  effectId: string;
  at: number;
}

export interface UpstreamOptions {
  mode: UpstreamMode;
  /** Asked before an effect is applied; false counts a claim violation (the effect still happens). */
  checkClaim?: (key: string, attempt: number) => Promise<boolean>;
  /** Called right after an effect is applied, before the response goes out. */
  onApplied?: (effect: Effect) => void;
  /** The response is delayed by up to this much after applying. Default 10. */
  maxDelayMs?: number;
}

export class Upstream {
  readonly effects: Effect[] = [];
  readonly byKey = new Map<string, Effect[]>();
  requests = 0;
  deduped = 0;
  violations = 0;
  readonly #options: UpstreamOptions;
  #server: Server | undefined;
  #url = "";

  constructor(options: UpstreamOptions) {
    this.#options = options;
  }

  get url(): string {
    return this.#url;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => void this.#handle(req, res).catch(() => res.destroy()));
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.#server = server;
    this.#url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  /** Effects applied under `key`. */
  effectsOf(key: string): Effect[] {
    return this.byKey.get(key) ?? [];
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    if (req.method === "GET" && url.pathname === "/lookup") {
      const found = this.effectsOf(url.searchParams.get("key") ?? "")[0];
      res.writeHead(found ? 200 : 404, { "content-type": "application/json" });
      res.end(JSON.stringify(found ? { effect_id: found.effectId } : null));
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    this.requests++;
    const key = String(req.headers["idempotency-key"] ?? "");
    const attempt = Number(req.headers["x-attempt"] ?? 0);
    const trial = String(req.headers["x-trial"] ?? "");
    if (this.#options.checkClaim && !(await this.#options.checkClaim(key, attempt))) this.violations++;
    let effect = this.#options.mode === "honour" ? this.effectsOf(key)[0] : undefined;
    if (effect) {
      this.deduped++;
    } else {
      const list = this.byKey.get(key) ?? [];
      effect = { key, trial, attempt, effectId: `fx_${trial}_${list.length + 1}`, at: Date.now() };
      list.push(effect);
      this.byKey.set(key, list);
      this.effects.push(effect);
      this.#options.onApplied?.(effect);
    }
    const delay = Math.floor(Math.random() * ((this.#options.maxDelayMs ?? 10) + 1));
    await new Promise((r) => setTimeout(r, delay));
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ effect_id: effect.effectId }));
  }
}
