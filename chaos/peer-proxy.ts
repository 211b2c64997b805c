// The proxy in front of a node's RPC listener, which knows who is calling: the first frame on
// every connection is the caller's hello, which names its node, so connections from one node
// can be cut while the others go on. Cutting node N from its peers cuts N's own proxy (no peer
// reaches it) and blocks N at every other node's proxy (it reaches no peer): a whole partition
// of N from the others, both ways, while Postgres and Redis still answer it.
//   - refuse: connections are dropped (at once, and at the hello for new ones);
//   - blackhole: connections stay open and silent, so only the caller's timeouts end its calls.
import * as net from 'node:net';
import { FrameDecoder } from '@tributary/protocol';
import { type CutMode } from '../test/support/fault-proxy';

/** A hello is small; a first frame larger than this is not one. */
const HELLO_BYTES_MAX = 64 * 1024;
/** Who called: node id, or -1 before the hello has arrived (or when it names none). */
const UNKNOWN = -1;
/** The key of `blocked` that stands for every caller. */
const ALL = 0;

interface Pair {
  client: net.Socket;
  upstream: net.Socket | undefined;
  node: number;
  /** Blackholed: open, but nothing goes through. */
  silenced: boolean;
}

export class PeerProxy {
  private readonly pairs = new Set<Pair>();
  /** Node ids cut off here, and how; the key ALL is every caller (this node cut off). */
  private readonly blocked = new Map<number, CutMode>();

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }): Promise<PeerProxy> {
    const holder: { proxy?: PeerProxy } = {};
    const server = net.createServer((socket) => holder.proxy?.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    holder.proxy = new PeerProxy(server, (server.address() as net.AddressInfo).port, target);
    return holder.proxy;
  }

  /** Cuts every caller off (this node is unreachable). */
  cut(mode: CutMode): void {
    this.block(ALL, mode);
  }

  restore(): void {
    this.unblock(ALL);
  }

  /** Cuts the calls of node `node` off; those open now are dropped or silenced. */
  block(node: number, mode: CutMode): void {
    this.blocked.set(node, mode);
    for (const pair of [...this.pairs]) {
      if (!pair.silenced && this.cutMode(pair.node) !== undefined) this.apply(pair);
    }
  }

  /** Lets node `node` through again; its silenced connections are dropped (bytes were lost). */
  unblock(node: number): void {
    this.blocked.delete(node);
    for (const pair of [...this.pairs]) {
      if (pair.silenced && this.cutMode(pair.node) === undefined) this.drop(pair);
    }
  }

  private cutMode(node: number): CutMode | undefined {
    return this.blocked.get(ALL) ?? (node === UNKNOWN ? undefined : this.blocked.get(node));
  }

  private apply(pair: Pair): void {
    if (this.cutMode(pair.node) === 'refuse') {
      this.drop(pair);
      return;
    }
    // Blackhole: nothing more goes either way; the sockets stay open.
    pair.client.unpipe();
    pair.upstream?.unpipe();
    pair.client.pause();
    pair.upstream?.pause();
    pair.silenced = true;
  }

  private drop(pair: Pair): void {
    this.pairs.delete(pair);
    pair.client.destroy();
    pair.upstream?.destroy();
  }

  private accept(client: net.Socket): void {
    const pair: Pair = { client, upstream: undefined, node: UNKNOWN, silenced: false };
    this.pairs.add(pair);
    client.on('error', () => this.drop(pair));
    client.on('close', () => this.drop(pair));
    if (this.blocked.get(ALL) !== undefined) {
      this.apply(pair);
      return;
    }
    const decoder = new FrameDecoder(HELLO_BYTES_MAX);
    const held: Buffer[] = [];
    const onData = (chunk: Buffer) => {
      held.push(chunk);
      let frames;
      try {
        frames = decoder.push(chunk);
      } catch {
        this.drop(pair);
        return;
      }
      if (frames.length === 0) return;
      client.off('data', onData);
      client.pause();
      const hello = frames[0]!.header as { nodeId?: unknown } | null;
      pair.node = typeof hello?.nodeId === 'number' ? hello.nodeId : UNKNOWN;
      if (this.cutMode(pair.node) !== undefined) {
        this.apply(pair);
        return;
      }
      const upstream = net.connect(this.target);
      pair.upstream = upstream;
      upstream.on('error', () => this.drop(pair));
      upstream.on('close', () => this.drop(pair));
      upstream.on('connect', () => {
        if (!this.pairs.has(pair) || this.cutMode(pair.node) !== undefined) return;
        upstream.write(Buffer.concat(held));
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    client.on('data', onData);
  }

  async close(): Promise<void> {
    for (const pair of [...this.pairs]) this.drop(pair);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
