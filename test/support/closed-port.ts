/** A loopback port with nothing listening on it: for tests of a store whose server is down. */
import { createServer } from "node:net";

/** Binds a free port, closes it again and answers its number (nothing listens there afterwards). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
