/**
 * A TCP proxy in front of the shared Redis: stopping it is a Redis outage for whoever connects
 * through it, and nobody else, so outage and recovery tests never restart the real server.
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

export interface TcpProxy {
  readonly port: number;
  readonly url: string;
  /** Listens again on the same port (the server is "back"). */
  start(): Promise<void>;
  /** Stops listening and cuts every open connection (the server is "down"). */
  stop(): Promise<void>;
  /** Holds every byte in both directions, connections open (the server "hangs"). */
  freeze(): void;
  /** Delivers what was held, in order, and forwards again. */
  thaw(): void;
}

export async function startProxy(targetUrl: string): Promise<TcpProxy> {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  let frozen = false;
  const held: Array<() => void> = [];
  const forward = (from: Socket, to: Socket) =>
    from.on("data", (chunk) => {
      const deliver = () => to.destroyed || to.write(chunk);
      if (frozen) held.push(deliver);
      else deliver();
    });
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = connect(Number(target.port || 6379), target.hostname);
        for (const sock of [client, upstream]) {
          sockets.add(sock);
          sock.on("error", () => undefined).on("close", () => sockets.delete(sock));
        }
        client.on("close", () => upstream.destroy());
        upstream.on("close", () => client.destroy());
        forward(client, upstream);
        forward(upstream, client);
      });
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => {
        port = (s.address() as AddressInfo).port;
        server = s;
        resolve();
      });
    });
  await listen();
  return {
    get port() {
      return port;
    },
    get url() {
      return `redis://127.0.0.1:${port}`;
    },
    start: listen,
    freeze: () => {
      frozen = true;
    },
    thaw: () => {
      frozen = false;
      for (const deliver of held.splice(0)) deliver();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const sock of sockets) sock.destroy();
        sockets.clear();
        if (!server) return resolve();
        server.close(() => resolve());
        server = undefined;
      }),
  };
}

/** A port nothing listens on (the one every store's "server is down" tests use). */
export { closedPort } from "../../../../test/support/closed-port.js";
