/**
 * A TCP proxy in front of a real server that a test can freeze: while frozen it still accepts
 * connections and reads what clients send, but forwards nothing either way, as a stuck proxy, a
 * paused (SIGSTOP) server or a network cut looks to a client. Thawed, it delivers what it held, in
 * order, and forwards again. A connection that closes on one side is closed on the other.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface FreezingProxy {
  /** `redis://127.0.0.1:<port>` of the proxy. */
  readonly url: string;
  readonly port: number;
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

interface Direction {
  readonly to: Socket;
  held: Buffer[];
}

export async function startFreezingProxy(target: { readonly host: string; readonly port: number }): Promise<FreezingProxy> {
  let frozen = false;
  const directions = new Set<Direction>();
  const sockets = new Set<Socket>();

  const forward = (from: Socket, to: Socket): void => {
    const direction: Direction = { to, held: [] };
    directions.add(direction);
    from.on('data', (chunk: Buffer) => {
      if (frozen) direction.held.push(chunk);
      else to.write(chunk);
    });
    from.on('close', () => {
      directions.delete(direction);
      to.destroy();
    });
  };

  const server: Server = createServer((client) => {
    const upstream = connect({ host: target.host, port: target.port });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no port');

  return {
    url: `redis://127.0.0.1:${address.port}`,
    port: address.port,
    freeze() {
      frozen = true;
    },
    thaw() {
      frozen = false;
      for (const direction of directions) {
        for (const chunk of direction.held) direction.to.write(chunk);
        direction.held = [];
      }
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
