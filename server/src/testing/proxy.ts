/**
 * A TCP proxy for tests that need a real network drop between a client and the server:
 * `cut()` destroys every open connection, `setDown(true)` refuses new ones until `setDown(false)`.
 */
import net from 'node:net';

export class TcpProxy {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private targetPort = 0;
  private down = false;
  port = 0;

  constructor() {
    this.server = net.createServer((client) => {
      if (this.down || !this.targetPort) return client.destroy();
      const upstream = net.connect(this.targetPort, '127.0.0.1');
      this.sockets.add(client).add(upstream);
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
      client.pipe(upstream).pipe(client);
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  setTarget(port: number): void {
    this.targetPort = port;
  }

  setDown(down: boolean): void {
    this.down = down;
  }

  cut(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
