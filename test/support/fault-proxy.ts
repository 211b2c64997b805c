// A TCP proxy on a loopback port that forwards to a real service (Postgres, Redis) and can
// fail it on demand, so a test can take the service away from one node without touching the
// server other work shares. cut('refuse') is a service that went down: every connection is
// dropped and new ones are refused (ECONNREFUSED). cut('blackhole') is a network that stopped
// delivering: connections stay open and silent, new ones are accepted and never answered, so
// only the client's own timeouts end its waits. restore() forwards again; connections from
// before or during the cut are dropped then, since bytes were lost on them.
import * as net from 'node:net';

export type CutMode = 'refuse' | 'blackhole';

interface Pair {
  client: net.Socket;
  upstream: net.Socket | undefined;
}

export class FaultProxy {
  private readonly pairs = new Set<Pair>();
  private server: net.Server;
  private mode: CutMode | undefined;
  /** The port clients connect to; the same across cuts and restores. */
  readonly port: number;

  private constructor(
    server: net.Server,
    port: number,
    private readonly target: { host: string; port: number },
  ) {
    this.server = server;
    this.port = port;
  }

  /** Listens on an ephemeral 127.0.0.1 port, forwarding to `target`. */
  static async start(target: { host: string; port: number }): Promise<FaultProxy> {
    const accepting: { proxy?: FaultProxy } = {};
    const server = net.createServer((socket) => accepting.proxy?.accept(socket));
    const port = await listen(server, 0);
    accepting.proxy = new FaultProxy(server, port, target);
    return accepting.proxy;
  }

  /** `url` (postgresql://, redis://) with its host and port replaced by the proxy's. */
  rewrite(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.port);
    return parsed.toString();
  }

  get isCut(): boolean {
    return this.mode !== undefined;
  }

  /** Connections currently open through the proxy. */
  get connectionCount(): number {
    return this.pairs.size;
  }

  /**
   * The local `host:port` of each connection the proxy opened to the service: what the service
   * sees as the client's address (Redis's CLIENT LIST addr), so a test can single them out.
   */
  upstreamAddresses(): string[] {
    const addresses: string[] = [];
    for (const { upstream } of this.pairs) {
      if (upstream?.localAddress !== undefined && upstream.localPort !== undefined) {
        addresses.push(`${upstream.localAddress}:${upstream.localPort}`);
      }
    }
    return addresses;
  }

  cut(mode: CutMode = 'refuse'): Promise<void> {
    if (this.mode !== undefined) throw new Error(`the proxy is already cut (${this.mode})`);
    this.mode = mode;
    if (mode === 'blackhole') {
      for (const pair of this.pairs) silence(pair);
      return Promise.resolve();
    }
    this.dropAll();
    const server = this.server;
    // Closing the listener frees the port, so connecting gets a real ECONNREFUSED.
    return new Promise((resolve) => server.close(() => resolve()));
  }

  async restore(): Promise<void> {
    const mode = this.mode;
    if (mode === undefined) throw new Error('the proxy is not cut');
    this.dropAll();
    if (mode === 'refuse') {
      const server = net.createServer((socket) => this.accept(socket));
      await listen(server, this.port);
      this.server = server;
    }
    this.mode = undefined;
  }

  /** Drops every connection at once (both sides see it closed), without cutting. */
  dropAll(): void {
    for (const pair of this.pairs) {
      pair.client.destroy();
      pair.upstream?.destroy();
    }
    this.pairs.clear();
  }

  async close(): Promise<void> {
    this.dropAll();
    if (this.mode === 'refuse') return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    const pair: Pair = { client, upstream: undefined };
    this.pairs.add(pair);
    const forget = () => {
      this.pairs.delete(pair);
      client.destroy();
      pair.upstream?.destroy();
    };
    client.on('error', forget);
    client.on('close', forget);
    if (this.mode === 'refuse') {
      forget(); // arrived while the listener was closing
      return;
    }
    if (this.mode === 'blackhole') {
      silence(pair);
      return;
    }
    const upstream = net.connect(this.target.port, this.target.host);
    pair.upstream = upstream;
    upstream.on('error', forget);
    upstream.on('close', forget);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}

/** Stops delivering in both directions; what arrives is read and dropped. */
function silence(pair: Pair): void {
  pair.client.unpipe();
  pair.upstream?.unpipe();
  pair.client.removeAllListeners('data');
  pair.upstream?.removeAllListeners('data');
  pair.client.on('data', () => undefined);
  pair.upstream?.on('data', () => undefined);
}

function listen(server: net.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}
