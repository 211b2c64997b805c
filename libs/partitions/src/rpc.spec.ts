// The internal RPC over real loopback TCP: multiplexing, bodies as bytes, errors as codes,
// deadlines and cancels that reach the serving node, the hello, bounds, dropped connections
// and reconnecting. And the frame decoder on streams cut at every possible place.
import { BrokerError, waitUntil } from '@tributary/common';
import { encodeFrame, FrameDecoder, FrameType } from '@tributary/protocol';
import { RpcClient } from './rpc-client';
import { type RpcCall, RpcServer } from './rpc-server';

const SECRET = 'cluster-secret';

describe('FrameDecoder', () => {
  it('decodes frames from a stream cut anywhere', () => {
    const frames = [
      {
        requestId: 1,
        type: FrameType.Request,
        method: 3,
        header: { a: 1 },
        body: Buffer.from('xyz'),
      },
      { requestId: 2, type: FrameType.Answer, method: 0, header: null, body: Buffer.alloc(0) },
      {
        requestId: 3,
        type: FrameType.Error,
        method: 0,
        header: { code: 'X' },
        body: Buffer.alloc(300, 7),
      },
    ];
    const bytes = Buffer.concat(frames.flatMap((f) => encodeFrame(f)));
    for (let cut = 0; cut <= bytes.length; cut++) {
      const decoder = new FrameDecoder(1 << 20);
      const got = [...decoder.push(bytes.subarray(0, cut)), ...decoder.push(bytes.subarray(cut))];
      expect(got).toEqual(frames);
    }
  });

  it('refuses a frame over its bound before buffering it', () => {
    const decoder = new FrameDecoder(64);
    const big = encodeFrame({
      requestId: 1,
      type: FrameType.Request,
      method: 1,
      header: {},
      body: Buffer.alloc(100),
    });
    expect(() => decoder.push(big[0]!.subarray(0, 4))).toThrow(/out of bounds/);
  });
});

describe('RpcServer and RpcClient', () => {
  let server: RpcServer;
  const calls: RpcCall[] = [];
  const clients: RpcClient[] = [];
  const cancelled: number[] = [];

  const handle = async (call: RpcCall) => {
    calls.push(call);
    const header = call.header as { echo?: string; waitMs?: number; fail?: string; id?: number };
    if (header.fail !== undefined)
      throw new BrokerError('NOT_LEADER_OR_FOLLOWER', header.fail, { extra: { leader: 2 } });
    if (header.waitMs !== undefined) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, header.waitMs);
        call.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          cancelled.push(header.id ?? -1);
          resolve();
        });
      });
    }
    return { header: { echo: header.echo, method: call.method }, body: call.body };
  };
  const start = (port = 0) =>
    RpcServer.listen({
      host: '127.0.0.1',
      port,
      hello: (header) => {
        if ((header as { secret?: string }).secret !== SECRET)
          throw new BrokerError('UNAUTHENTICATED', 'wrong cluster secret');
      },
      handle,
    });
  const client = (
    secret = SECRET,
    extra: Partial<ConstructorParameters<typeof RpcClient>[0]> = {},
  ) => {
    const c = new RpcClient({
      host: '127.0.0.1',
      port: server.port,
      hello: () => ({ nodeId: 9, secret }),
      reconnectBackoffMs: 0,
      ...extra,
    });
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    calls.length = 0;
    cancelled.length = 0;
    server = await start();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server.close();
  });

  it('multiplexes calls, carries bodies as bytes and answers out of order', async () => {
    const c = client();
    const slow = c.call(5, { echo: 'slow', waitMs: 50 }, Buffer.from('slow-body'));
    const fast = await Promise.all(
      Array.from({ length: 100 }, (_, i) => c.call(6, { echo: `e${i}` }, Buffer.from([i]))),
    );
    expect(fast.map((a) => (a.header as { echo: string }).echo)).toEqual(
      Array.from({ length: 100 }, (_, i) => `e${i}`),
    );
    expect(fast.every((a, i) => a.body!.equals(Buffer.from([i])))).toBe(true);
    const answer = await slow;
    expect(answer).toEqual({ header: { echo: 'slow', method: 5 }, body: Buffer.from('slow-body') });
    const big = Buffer.alloc(5 * 1024 * 1024, 0xab);
    expect((await c.call(1, {}, big)).body!.equals(big)).toBe(true);
  });

  it('brings coded errors across, with their extra fields', async () => {
    await expect(client().call(1, { fail: 'moved' })).rejects.toMatchObject({
      code: 'NOT_LEADER_OR_FOLLOWER',
      message: 'moved',
      retriable: true,
      extra: { leader: 2 },
    });
  });

  it('times calls out and tells the serving node to stop; a cancelled call stops it too', async () => {
    const c = client();
    await expect(
      c.call(1, { waitMs: 10_000, id: 1 }, undefined, { timeoutMs: 30 }),
    ).rejects.toMatchObject({
      code: 'REQUEST_TIMED_OUT',
    });
    const abort = new AbortController();
    const call = c.call(1, { waitMs: 10_000, id: 2 }, undefined, { signal: abort.signal });
    await waitUntil(() => calls.length === 2, 'the node received the call');
    abort.abort();
    await expect(call).rejects.toMatchObject({ extra: { aborted: true } });
    // The cancels reach the node (the next answer comes after them on the same connection).
    await c.call(1, { echo: 'after' });
    expect(cancelled.sort()).toEqual([1, 2]);
  });

  it('refuses a node without the secret, and serves nothing on its connection', async () => {
    await expect(client('wrong').call(1, { echo: 'x' })).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    expect(calls).toEqual([]);
  });

  it('bounds the bytes in flight to a node', async () => {
    const c = client(SECRET, { bytesInFlightMax: 4096 });
    const held = c.call(1, { waitMs: 10_000 }, Buffer.alloc(3000));
    await expect(c.call(1, {}, Buffer.alloc(3000))).rejects.toMatchObject({ code: 'BACKPRESSURE' });
    c.close();
    await expect(held).rejects.toMatchObject({ code: 'NETWORK_EXCEPTION' });
  });

  it('fails calls when the connection drops, and connects again for the next ones', async () => {
    const c = client();
    expect((await c.call(1, { echo: 'one' })).header).toMatchObject({ echo: 'one' });
    const port = server.port;
    const held = c.call(1, { waitMs: 10_000 });
    await waitUntil(() => calls.length === 2, 'the node received the call');
    await server.close();
    await expect(held).rejects.toMatchObject({ code: 'NETWORK_EXCEPTION', retriable: true });
    await expect(c.call(1, { echo: 'down' })).rejects.toMatchObject({ code: 'NETWORK_EXCEPTION' });
    server = await start(port);
    expect((await c.call(1, { echo: 'back' })).header).toMatchObject({ echo: 'back' });
  });
});
