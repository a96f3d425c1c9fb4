/**
 * A TCP proxy in front of a shared server: cutting its sockets is a network cut (mid-query when
 * the store is busy), and stopping it is the server going away and coming back, for the store
 * behind it and for nobody else. The real Postgres and Redis are never restarted.
 */
import { connect, createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

export class TcpProxy {
  readonly #host: string;
  readonly #port: number;
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #listenPort = 0;
  /** Connections cut so far. */
  cuts = 0;

  constructor(target: { host: string; port: number }) {
    this.#host = target.host;
    this.#port = target.port;
  }

  get port(): number {
    return this.#listenPort;
  }

  /** Listens (again, on the same port after the first time). */
  async start(): Promise<this> {
    const server = createServer((client) => {
      const upstream = connect(this.#port, this.#host);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on("error", () => undefined).on("close", () => this.#sockets.delete(s));
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.#listenPort, "127.0.0.1", () => resolve());
    });
    this.#listenPort = (server.address() as AddressInfo).port;
    this.#server = server;
    return this;
  }

  /** Cuts every open connection, whatever is in flight on it; keeps listening. */
  cut(): number {
    const n = this.#sockets.size;
    for (const s of this.#sockets) s.resetAndDestroy();
    this.#sockets.clear();
    this.cuts += n;
    return n;
  }

  /** Stops listening and cuts everything: the server is down. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.cut();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
