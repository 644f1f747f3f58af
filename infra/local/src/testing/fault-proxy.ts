import { createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback that a test can cut (every open connection destroyed, new ones refused
 * by closing at once) and restore, to show what a client does when its broker link drops.
 */
export class FaultProxy {
  readonly listenPort: number;
  readonly targetPort: number;
  readonly host: string;
  #server: Server | undefined;
  #sockets = new Set<Socket>();
  #cut = false;
  /** How many times a connection was severed by cut(). */
  severed = 0;

  constructor(options: { listenPort: number; targetPort: number; host?: string }) {
    this.listenPort = options.listenPort;
    this.targetPort = options.targetPort;
    this.host = options.host ?? '127.0.0.1';
  }

  start(): Promise<void> {
    const server = createServer((client) => {
      if (this.#cut) {
        client.destroy();
        return;
      }
      const upstream = new (client.constructor as typeof Socket)();
      const pair = [client, upstream];
      for (const socket of pair) {
        this.#sockets.add(socket);
        socket.on('error', () => {});
        socket.once('close', () => {
          this.#sockets.delete(socket);
          for (const other of pair) other.destroy();
        });
      }
      upstream.connect(this.targetPort, this.host);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listenPort, this.host, () => resolve());
    });
  }

  /** Drops every connection and refuses new ones until restore(). */
  cut(): void {
    this.#cut = true;
    this.severed += this.#sockets.size;
    for (const socket of this.#sockets) socket.destroy();
  }

  restore(): void {
    this.#cut = false;
  }

  async stop(): Promise<void> {
    this.cut();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
