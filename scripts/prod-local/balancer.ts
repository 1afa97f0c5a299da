import net from 'node:net';

export interface Backend {
  name: string;
  port: number;
  /** Connections open through the balancer right now (requests in flight, or kept alive). */
  active: number;
  /** Bytes sent to it on connections still open and not yet answered: a request in flight. */
  awaiting: number;
}

/**
 * A round-robin TCP balancer in front of the ingress processes, as a load balancer fronts them in production:
 * one public URL (the one Twilio signs and platforms call), any number of ingresses behind it. A backend that
 * refuses the connection is skipped; a connection cut by a dying ingress is cut for the client too, which then
 * retries as voice platforms do.
 */
export class Balancer {
  private readonly server = net.createServer((client) => this.route(client));
  private next = 0;
  readonly backends: Backend[];

  constructor(backends: { name: string; port: number }[]) {
    this.backends = backends.map((b) => ({ ...b, active: 0, awaiting: 0 }));
  }

  listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private route(client: net.Socket, tried = 0): void {
    if (tried >= this.backends.length) {
      client.destroy();
      return;
    }
    const backend = this.backends[this.next++ % this.backends.length];
    const upstream = net.connect(backend.port, '127.0.0.1');
    client.pause();
    let connected = false;
    let waiting = false;
    const answered = () => {
      if (waiting) backend.awaiting--;
      waiting = false;
    };
    upstream.once('connect', () => {
      connected = true;
      backend.active++;
      client.on('data', () => {
        if (!waiting) backend.awaiting++;
        waiting = true;
      });
      upstream.on('data', answered);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.once('error', () => {
      if (!connected) this.route(client, tried + 1);
      else client.destroy();
    });
    client.once('error', () => upstream.destroy());
    upstream.once('close', () => {
      if (!connected) return;
      answered();
      backend.active--;
      client.destroy();
    });
    client.once('close', () => upstream.destroy());
  }
}
