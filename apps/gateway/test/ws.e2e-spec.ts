// The WebSocket endpoint over a real connection: admission at the upgrade (credential, ticket,
// Origin), subscriptions to partitions and as a group member, credit, commit, produce with
// acks, limits (frame size, a slow consumer closed at its buffer cap with memory bounded).
import { waitUntil } from '@tributary/common';
import { WebSocket } from 'ws';
import { WsGateway } from '../src/ws/ws.gateway';
import { type TestNode, startTestNode } from './harness';

interface Frame {
  op: string;
  [field: string]: any;
}

/** A client that queues the frames it receives and lets a test wait for the next match. */
class Client {
  readonly frames: Frame[] = [];
  private waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const frame = JSON.parse((data as Buffer).toString('utf8')) as Frame;
      const waiter = this.waiters.find((w) => w.match(frame));
      if (waiter !== undefined) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(frame);
      } else {
        this.frames.push(frame);
      }
    });
    this.closed = new Promise((resolve) =>
      socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
    );
  }

  send(frame: object): void {
    this.socket.send(JSON.stringify(frame));
  }

  next(match: (f: Frame) => boolean): Promise<Frame> {
    const queued = this.frames.findIndex(match);
    if (queued >= 0) return Promise.resolve(this.frames.splice(queued, 1)[0]!);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  op(op: string, subscription?: string): Promise<Frame> {
    return this.next(
      (f) => f.op === op && (subscription === undefined || f.subscription === subscription),
    );
  }

  /** The next `count` frames that match, in order of arrival. */
  async take(count: number, match: (f: Frame) => boolean): Promise<Frame[]> {
    const out: Frame[] = [];
    while (out.length < count) out.push(await this.next(match));
    return out;
  }

  /** Records pushed on a subscription until `count` have arrived. */
  async records(subscription: string, count: number): Promise<any[]> {
    const out: any[] = [];
    while (out.length < count) out.push(...(await this.op('records', subscription)).records);
    return out;
  }

  close(): void {
    this.socket.close();
  }
}

describe('WebSocket /v1/ws', () => {
  let t: TestNode;
  let key: string;
  let wsUrl: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    t = await startTestNode(
      'postgres',
      {
        wsLimits: {
          wsBufferedBytesHigh: 64 * 1024,
          wsBufferedBytesCap: 512 * 1024,
          wsStallTimeoutMs: 500,
          wsPushBytesMax: 64 * 1024,
        },
      },
      { allowedOrigins: ['https://app.example.com'] },
    );
    key = await t.tenant('acme');
    wsUrl = t.node.url.replace('http', 'ws') + '/v1/ws';
    for (const [name, partitions] of [
      ['live', 2],
      ['shared', 4],
      ['big', 1],
    ] as const) {
      expect(
        (await t.api.post('/v1/topics', { token: key, body: { name, partitions } })).status,
      ).toBe(201);
    }
  }, 60_000);
  afterAll(async () => {
    for (const client of clients) client.socket.terminate();
    await t.cleanup();
  });

  function connect(
    options: { token?: string; query?: string; origin?: string } = { token: key },
  ): Promise<Client> {
    const headers: Record<string, string> = {};
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    const socket = new WebSocket(wsUrl + (options.query ?? ''), {
      headers,
      ...(options.origin === undefined ? {} : { origin: options.origin }),
    });
    const client = new Client(socket);
    clients.push(client);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(client));
      socket.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () =>
          reject(
            Object.assign(new Error('refused'), { status: res.statusCode, body: JSON.parse(body) }),
          ),
        );
      });
      socket.once('error', reject);
    });
  }

  async function refusal(options: Parameters<typeof connect>[0]): Promise<[number, string]> {
    try {
      await connect(options);
    } catch (error) {
      const { status, body } = error as { status: number; body: { code: string } };
      return [status, body.code];
    }
    throw new Error('the upgrade was admitted');
  }

  test('the upgrade needs a credential, a tenant key, and an allowed Origin', async () => {
    expect(await refusal({})).toEqual([401, 'UNAUTHENTICATED']);
    expect(await refusal({ token: 'trb_nope' })).toEqual([401, 'UNAUTHENTICATED']);
    expect(await refusal({ token: t.admin })).toEqual([403, 'FORBIDDEN']);
    expect(await refusal({ token: key, origin: 'https://evil.example.com' })).toEqual([
      403,
      'FORBIDDEN',
    ]);
    const allowed = await connect({ token: key, origin: 'https://app.example.com' });
    allowed.close();
  });

  test('a ticket opens one connection, once', async () => {
    const issued = await t.api.post('/v1/ws/tickets', { token: key });
    expect(issued.status).toBe(201);
    const query = `?ticket=${encodeURIComponent(issued.body.ticket)}`;
    const client = await connect({ query });
    client.close();
    expect(await refusal({ query })).toEqual([401, 'UNAUTHENTICATED']);
    expect(await refusal({ query: '?ticket=forged' })).toEqual([401, 'UNAUTHENTICATED']);
  });

  test('subscribe from earliest, records pushed as they are produced, produce with acks', async () => {
    const client = await connect();
    client.send({ op: 'produce', id: 'p1', topic: 'live', records: [{ value: 1, partition: 0 }] });
    const ack = await client.op('ack');
    expect(ack).toEqual({
      op: 'ack',
      id: 'p1',
      offsets: [{ partition: 0, offset: 0, timestamp: expect.any(Number) }],
    });
    client.send({ op: 'subscribe', id: 'sub', topic: 'live', from: 'earliest' });
    const subscribed = await client.op('subscribed');
    expect(subscribed.id).toBe('sub');
    const first = await client.records(subscribed.subscription, 1);
    expect(first).toEqual([expect.objectContaining({ partition: 0, offset: 0, value: 1 })]);
    client.send({
      op: 'produce',
      id: 'p2',
      topic: 'live',
      acks: 1,
      records: [{ key: 'k', value: { n: 2 }, partition: 1 }],
    });
    expect((await client.op('ack')).id).toBe('p2');
    const live = await client.records(subscribed.subscription, 1);
    expect(live).toEqual([
      expect.objectContaining({ partition: 1, offset: 0, key: 'k', value: { n: 2 } }),
    ]);
    client.send({ op: 'unsubscribe', id: 'u', subscription: subscribed.subscription });
    expect((await client.op('unsubscribed')).id).toBe('u');
    client.close();
  });

  test('credit bounds what is pushed', async () => {
    const client = await connect();
    const records = Array.from({ length: 10 }, (_, i) => ({ value: i, partition: 0 }));
    await t.api.post('/v1/topics/big/records', { token: key, body: { records } });
    client.send({ op: 'subscribe', topic: 'big', from: 'earliest', credit: 3 });
    const { subscription } = await client.op('subscribed');
    expect((await client.records(subscription, 3)).map((r) => r.value)).toEqual([0, 1, 2]);
    // A round trip through the server: a push past the credit would have come before its answer.
    client.send({ op: 'produce', id: 'barrier', topic: 'live', records: [{ value: 0 }] });
    await client.op('ack');
    expect(client.frames.filter((f) => f.op === 'records')).toEqual([]);
    client.send({ op: 'credit', subscription, records: 4 });
    expect((await client.records(subscription, 4)).map((r) => r.value)).toEqual([3, 4, 5, 6]);
    client.close();
  });

  test('group subscriptions share partitions, are told what they are assigned, and commit', async () => {
    const a = await connect();
    a.send({ op: 'subscribe', id: 'a', topic: 'shared', group: 'ws-group', from: 'earliest' });
    const subA = (await a.op('subscribed')).subscription;
    expect((await a.op('assigned', subA)).partitions).toEqual([0, 1, 2, 3]);
    const b = await connect();
    b.send({ op: 'subscribe', id: 'b', topic: 'shared', group: 'ws-group', from: 'earliest' });
    const subB = (await b.op('subscribed')).subscription;
    const revoked = (await a.op('revoked', subA)).partitions;
    expect(revoked).toHaveLength(2);
    expect((await b.op('assigned', subB)).partitions.sort()).toEqual([...revoked].sort());
    const records = [0, 1, 2, 3].map((p) => ({ value: p, partition: p }));
    await t.api.post('/v1/topics/shared/records', { token: key, body: { records } });
    const gotB = await b.records(subB, 2);
    expect(gotB.map((r) => r.partition).sort()).toEqual([...revoked].sort());
    const gotA = await a.records(subA, 2);
    expect([...gotA, ...gotB].map((r) => r.partition).sort()).toEqual([0, 1, 2, 3]);
    b.send({ op: 'commit', id: 'c', subscription: subB });
    const committed = await b.op('committed');
    expect(committed.offsets).toHaveLength(2);
    b.send({
      op: 'commit',
      id: 'c1',
      subscription: subB,
      offsets: [{ partition: revoked[0], offset: 1 }],
    });
    expect((await b.op('committed')).offsets).toEqual([
      { topic: 'shared', partition: revoked[0], offset: 1 },
    ]);
    b.send({ op: 'commit', id: 'c2', subscription: subB, offsets: [{ partition: 'x' }] });
    expect((await b.op('error')).problem.code).toBe('INVALID_REQUEST');
    const described = await t.api.get('/v1/groups/ws-group', { token: key });
    expect(described.body.members).toHaveLength(2);
    const ofB = described.body.offsets.filter((o: any) => revoked.includes(o.partition));
    expect(ofB.map((o: any) => o.committedOffset)).toEqual([1, 1]);
    b.close();
    // b left: a gets everything back.
    expect((await a.op('assigned', subA)).partitions.sort()).toEqual([...revoked].sort());
    a.close();
  });

  test('with autoCommit, what a group subscription pushed is committed on an interval, with no commit frame', async () => {
    expect(
      (await t.api.post('/v1/topics', { token: key, body: { name: 'auto', partitions: 1 } }))
        .status,
    ).toBe(201);
    const committed = async () => {
      const described = await t.api.get('/v1/groups/ws-auto', { token: key });
      return described.body.offsets?.[0]?.committedOffset as number | undefined;
    };
    const produce = async (count: number) => {
      const records = Array.from({ length: count }, (_, i) => ({ value: i }));
      expect(
        (await t.api.post('/v1/topics/auto/records', { token: key, body: { records } })).status,
      ).toBe(200);
    };
    const client = await connect();
    client.send({ op: 'subscribe', id: 's', topic: 'auto', group: 'ws-auto', from: 'earliest' });
    const sub = (await client.op('subscribed')).subscription;
    await produce(3);
    expect(await client.records(sub, 3)).toHaveLength(3);
    // Nothing more arrives, yet the positions are committed: the parked poll wakes to commit.
    await waitUntil(async () => (await committed()) === 3, 'the first three committed', 5_000);
    await produce(2);
    expect(await client.records(sub, 2)).toHaveLength(2);
    await waitUntil(async () => (await committed()) === 5, 'all five committed', 5_000);
    client.close();
  });

  test('bad frames get errors that repeat the id; an oversized frame closes with 1009', async () => {
    const client = await connect();
    client.socket.send('not json');
    expect((await client.op('error')).problem.code).toBe('INVALID_REQUEST');
    client.send({ op: 'dance', id: 7 });
    const unknown = await client.op('error');
    expect([unknown.id, unknown.problem.code]).toEqual([7, 'INVALID_REQUEST']);
    client.send({ op: 'subscribe', id: 8, topic: 'nope' });
    const missing = await client.op('error');
    expect([missing.id, missing.problem.code]).toEqual([8, 'UNKNOWN_TOPIC_OR_PARTITION']);
    client.send({ op: 'credit', id: 9, subscription: 'none', records: 1 });
    expect((await client.op('error')).id).toBe(9);
    for (const [id, group] of [
      [10, '\u0000'],
      [11, 'tab\there'],
      [12, 'g'.repeat(256)],
      [13, ''],
    ] as const) {
      client.send({ op: 'subscribe', id, topic: 'live', group });
      const badGroup = await client.op('error');
      expect([badGroup.id, badGroup.problem.code]).toEqual([id, 'INVALID_REQUEST']);
      expect(badGroup.problem.detail).toMatch(/^group id must be 1-255 characters/);
    }
    const groups = await t.api.get('/v1/groups', { token: key });
    expect(JSON.stringify(groups.body)).not.toContain('tab\\there');
    client.socket.send('x'.repeat(2 * 1024 * 1024));
    expect((await client.closed).code).toBe(1009);
  });

  test('JSON nested past the limit gets an error frame, and the connection goes on', async () => {
    const client = await connect();
    const deep = '['.repeat(5000) + '1' + ']'.repeat(5000);
    client.socket.send(`{"op":"produce","id":"d1","topic":"live","records":[{"value":${deep}}]}`);
    const record = await client.op('error');
    expect([record.id, record.problem.code]).toEqual(['d1', 'INVALID_RECORD']);
    expect(record.problem.detail).toContain('records[0]: value');
    // The id is echoed in answers, so a deep one is refused before anything echoes it.
    client.socket.send(`{"op":"produce","id":${deep},"topic":"live","records":[{"value":1}]}`);
    const frame = await client.op('error');
    expect([frame.id, frame.problem.code]).toEqual([undefined, 'INVALID_REQUEST']);
    client.socket.send(`{"op":"subscribe","id":"d2","topic":"live","from":${deep}}`);
    expect((await client.op('error')).problem.code).toBe('INVALID_REQUEST');
    client.send({ op: 'produce', id: 'after', topic: 'live', records: [{ value: [[1]] }] });
    expect((await client.op('ack')).id).toBe('after');
    client.close();
  });

  /** The server's side of the connection opened last. */
  const newestSession = () => [...t.node.gateway.app.get(WsGateway).sessions].at(-1)!;
  const answerTo = (ops: string[]) => (f: Frame) => ops.includes(f.op) && f.id !== undefined;

  test('1,000 subscribe frames back to back open no more than 64 subscriptions; the rest get errors', async () => {
    const client = await connect();
    const session = newestSession();
    const subscribe = (id: number) => client.send({ op: 'subscribe', id, topic: 'live' });
    // 63 open first, so that every subscribe of the burst could pass a check made before its
    // first await: only one more may open.
    for (let id = 0; id < 63; id++) subscribe(id);
    const first = await client.take(63, answerTo(['subscribed', 'error']));
    expect(first.filter((a) => a.op === 'subscribed')).toHaveLength(63);
    for (let id = 63; id < 1_063; id++) subscribe(id);
    const burst = await client.take(1_000, answerTo(['subscribed', 'error']));
    expect(new Set(burst.map((a) => a.id)).size).toBe(1_000);
    expect(burst.filter((a) => a.op === 'subscribed')).toHaveLength(1);
    expect(session.subscriptions.size).toBe(64);
    const refused = burst.filter((a) => a.op === 'error').map((a) => a.problem.code);
    expect(refused).toHaveLength(999);
    // Past the cap, or past the operations in flight (BACKPRESSURE, retriable).
    expect(refused).toContain('INVALID_REQUEST');
    expect(refused.filter((code) => code !== 'INVALID_REQUEST' && code !== 'BACKPRESSURE')).toEqual(
      [],
    );
    client.send({ op: 'unsubscribe', id: 'u', subscription: 's1' });
    await client.op('unsubscribed');
    subscribe(2_000);
    expect((await client.next(answerTo(['subscribed', 'error']))).op).toBe('subscribed');
    client.close();
  });

  test('1,000 produce frames back to back: at most 64 in flight, each acked or refused, nothing lost', async () => {
    expect((await t.api.post('/v1/topics', { token: key, body: { name: 'burst' } })).status).toBe(
      201,
    );
    const client = await connect();
    const session = newestSession();
    for (let id = 0; id < 1_000; id++) {
      client.send({ op: 'produce', id, topic: 'burst', records: [{ value: id }] });
    }
    const answers = await client.take(1_000, answerTo(['ack', 'error']));
    expect(session.operationsInFlightPeak).toBeLessThanOrEqual(64);
    const acked = answers.filter((a) => a.op === 'ack').map((a) => a.id as number);
    const refused = answers.filter((a) => a.op === 'error');
    expect(acked.length + refused.length).toBe(1_000);
    expect(new Set(refused.map((a) => a.problem.code))).toEqual(
      new Set(refused.length === 0 ? [] : ['BACKPRESSURE']),
    );
    const fetched = await t.api.get(
      '/v1/topics/burst/partitions/0/records?offset=0&maxRecords=2000',
      {
        token: key,
      },
    );
    expect(
      fetched.body.records
        .map((r: { value: number }) => r.value)
        .sort((a: number, b: number) => a - b),
    ).toEqual([...acked].sort((a, b) => a - b));
    client.close();
  });

  test('a consumer that does not read is paused, then closed with 1013; the server buffer stays bounded', async () => {
    const value = 'v'.repeat(10 * 1024);
    for (let i = 0; i < 20; i++) {
      const records = Array.from({ length: 100 }, () => ({ value, partition: 0 }));
      const produced = await t.api.post('/v1/topics/big/records', {
        token: key,
        body: { valueFormat: 'string', records },
      });
      expect(produced.status).toBe(200);
    }
    const client = await connect();
    client.send({ op: 'subscribe', topic: 'big', from: 'earliest', valueFormat: 'string' });
    await client.op('subscribed');
    // Stop reading: the kernel's buffers fill, then the server's.
    const raw = (client.socket as unknown as { _socket: import('node:net').Socket })._socket;
    raw.pause();
    const gateway = t.node.gateway.app.get(WsGateway);
    const session = [...gateway.sessions].at(-1)!;
    await session.ended;
    expect(session.peakBuffered).toBeLessThanOrEqual(512 * 1024 + 80 * 1024);
    raw.resume();
    expect((await client.closed).code).toBe(1013);
  });
});

describe('WebSocket keepalive', () => {
  let t: TestNode;
  let key: string;

  beforeAll(async () => {
    t = await startTestNode('pglite', {
      wsLimits: { wsPingIntervalMs: 100, wsIdleTimeoutMs: 300 },
    });
    key = await t.tenant('acme');
    await t.api.post('/v1/topics', { token: key, body: { name: 'quiet' } });
  }, 60_000);
  afterAll(() => t.cleanup());

  function open(): Promise<WebSocket> {
    const socket = new WebSocket(t.node.url.replace('http', 'ws') + '/v1/ws', {
      headers: { authorization: `Bearer ${key}` },
    });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(socket));
      socket.once('error', reject);
    });
  }

  test('a connection with nothing to do is closed when idle; pings keep a live one answered', async () => {
    const socket = await open();
    let pings = 0;
    socket.on('ping', () => (pings += 1));
    const [code, reason] = await new Promise<[number, string]>((resolve) =>
      socket.once('close', (c, r) => resolve([c, r.toString()])),
    );
    expect([code, reason]).toEqual([1000, 'idle']);
    expect(pings).toBeGreaterThan(0);
  });

  test('a peer that stops answering pings is dropped', async () => {
    const socket = await open();
    // A subscription keeps it from being idle: only the missing pongs can end it.
    socket.send(JSON.stringify({ op: 'subscribe', topic: 'quiet' }));
    await new Promise((resolve) => socket.once('message', resolve));
    // Stop reading: no pong goes back, so the server gives up on the connection.
    (socket as unknown as { _socket: import('node:net').Socket })._socket.pause();
    const gateway = t.node.gateway.app.get(WsGateway);
    const session = [...gateway.sessions].at(-1)!;
    await session.ended;
    expect(gateway.sessions.has(session)).toBe(false);
    socket.terminate();
  });
});
