// The chaos run's RPC proxy: it forwards a caller's bytes after its hello, and cuts the calls
// of one node (dropped, or held silent) while other nodes' go through, and every caller when
// the node behind it is cut off.
import * as net from 'node:net';
import { waitUntil } from '@tributary/common';
import { encodeFrame, FrameType } from '@tributary/protocol';
import { PeerProxy } from '../../chaos/peer-proxy';

/** An echo server standing in for a node's RPC listener. */
async function echoServer(): Promise<net.Server> {
  const server = net.createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return server;
}

interface Caller {
  socket: net.Socket;
  received: () => string;
  closed: () => boolean;
}

/** A connection from node `nodeId`: its hello first, as every node's RPC client sends. */
async function call(port: number, nodeId: number): Promise<Caller> {
  const socket = net.connect({ host: '127.0.0.1', port });
  let received = '';
  let closed = false;
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  for (const part of encodeFrame({
    requestId: 0,
    type: FrameType.Request,
    method: 0,
    header: { nodeId, clusterId: 'c', secret: 's' },
    body: Buffer.alloc(0),
  })) {
    socket.write(part);
  }
  return { socket, received: () => received, closed: () => closed };
}

const echoed = async (caller: Caller, text: string) => {
  caller.socket.write(text);
  await waitUntil(() => caller.received().endsWith(text), `"${text}" echoed`, 5_000);
};

describe('PeerProxy', () => {
  let server: net.Server;
  let proxy: PeerProxy;
  const callers: Caller[] = [];

  beforeEach(async () => {
    server = await echoServer();
    proxy = await PeerProxy.start({
      host: '127.0.0.1',
      port: (server.address() as net.AddressInfo).port,
    });
  });
  afterEach(async () => {
    for (const caller of callers.splice(0)) caller.socket.destroy();
    await proxy.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const open = async (nodeId: number) => {
    const caller = await call(proxy.port, nodeId);
    callers.push(caller);
    return caller;
  };

  it("drops one node's calls, old and new, while another's go on; then lets it back", async () => {
    const two = await open(2);
    const three = await open(3);
    await echoed(two, 'a');
    await echoed(three, 'b');
    proxy.block(2, 'refuse');
    await waitUntil(() => two.closed(), "node 2's connection dropped", 5_000);
    const again = await open(2);
    await waitUntil(() => again.closed(), "node 2's new connection dropped at its hello", 5_000);
    await echoed(three, 'c');
    proxy.unblock(2);
    await echoed(await open(2), 'd');
  });

  it('holds a blackholed node silent, and drops its connections when it is let back', async () => {
    const two = await open(2);
    await echoed(two, 'a');
    proxy.block(2, 'blackhole');
    two.socket.write('lost');
    const three = await open(3);
    await echoed(three, 'b'); // the proxy is working meanwhile
    expect(two.received().endsWith('lost')).toBe(false);
    expect(two.closed()).toBe(false);
    proxy.unblock(2);
    await waitUntil(() => two.closed(), 'the silenced connection dropped', 5_000);
  });

  it('cuts every caller when the node behind it is cut off', async () => {
    const two = await open(2);
    proxy.cut('refuse');
    await waitUntil(() => two.closed(), 'the connection dropped', 5_000);
    const three = await open(3);
    await waitUntil(() => three.closed(), 'a new connection dropped', 5_000);
    proxy.restore();
    await echoed(await open(3), 'x');
  });
});
