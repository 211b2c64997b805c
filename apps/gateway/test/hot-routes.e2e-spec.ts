// Produce and fetch are served by the hot routes ahead of Express; what they pass on (a
// compressed body, a HEAD) takes the general pipeline and RecordsController. Both must answer
// alike: every case below is sent both ways and the answers compared.
import * as http from 'node:http';
import { gzipSync } from 'node:zlib';
import { HotRoutes } from '../src/records/hot-routes';
import { type Reply, type TestNode, startTestNode } from './harness';

interface Case {
  name: string;
  who: 'tenant' | 'operator' | 'nobody';
  path: string;
  body?: string;
  contentType?: string;
}

const good = JSON.stringify({ records: [{ key: 'k', value: { n: 1 } }] });
/** A produce body whose one value is `levels` arrays deep (as text: JSON.stringify would fail). */
const deep = (levels: number) =>
  `{"records":[{"value":${'['.repeat(levels)}1${']'.repeat(levels)}}]}`;

const PRODUCE: Case[] = [
  { name: 'a record', who: 'tenant', path: '/v1/topics/t/records', body: good },
  {
    name: 'NDJSON',
    who: 'tenant',
    path: '/v1/topics/t/records?acks=1',
    body: '{"value":1}\n{"value":2}\n',
    contentType: 'application/x-ndjson',
  },
  { name: 'acks=0', who: 'tenant', path: '/v1/topics/t/records?acks=0', body: good },
  { name: 'bad JSON', who: 'tenant', path: '/v1/topics/t/records', body: '{"records":[' },
  { name: 'no records', who: 'tenant', path: '/v1/topics/t/records', body: '{"records":[]}' },
  { name: 'bad acks', who: 'tenant', path: '/v1/topics/t/records?acks=2', body: good },
  { name: 'acks twice', who: 'tenant', path: '/v1/topics/t/records?acks=1&acks=0', body: good },
  { name: 'unknown topic', who: 'tenant', path: '/v1/topics/nope/records', body: good },
  {
    name: 'text/plain',
    who: 'tenant',
    path: '/v1/topics/t/records',
    body: good,
    contentType: 'text/plain',
  },
  { name: 'no credential', who: 'nobody', path: '/v1/topics/t/records', body: good },
  { name: 'operator token', who: 'operator', path: '/v1/topics/t/records', body: good },
  { name: 'a value nested 64 levels', who: 'tenant', path: '/v1/topics/t/records', body: deep(64) },
  { name: 'a value nested 65 levels', who: 'tenant', path: '/v1/topics/t/records', body: deep(65) },
  {
    name: 'a value nested 5000 levels',
    who: 'tenant',
    path: '/v1/topics/t/records',
    body: deep(5000),
  },
  {
    name: 'a record with a partition past the last',
    who: 'tenant',
    path: '/v1/topics/t/records',
    body: '{"records":[{"value":1,"partition":9}]}',
  },
];

const FETCH: Case[] = [
  { name: 'from 0', who: 'tenant', path: '/v1/topics/t/partitions/0/records?offset=0' },
  { name: 'no offset', who: 'tenant', path: '/v1/topics/t/partitions/0/records' },
  {
    name: 'past the end',
    who: 'tenant',
    path: '/v1/topics/t/partitions/0/records?offset=999999',
  },
  {
    name: 'maxRecords 0',
    who: 'tenant',
    path: '/v1/topics/t/partitions/0/records?offset=0&maxRecords=0',
  },
  { name: 'unknown partition', who: 'tenant', path: '/v1/topics/t/partitions/7/records?offset=0' },
  { name: 'partition -1', who: 'tenant', path: '/v1/topics/t/partitions/-1/records?offset=0' },
  { name: 'no credential', who: 'nobody', path: '/v1/topics/t/partitions/0/records?offset=0' },
];

describe('hot routes and the general pipeline', () => {
  let t: TestNode;
  let key: string;
  let spy: jest.SpyInstance;

  beforeAll(async () => {
    t = await startTestNode('postgres');
    key = await t.tenant('hot');
    expect(
      (await t.api.post('/v1/topics', { token: key, body: { name: 't', partitions: 2 } })).status,
    ).toBe(201);
    // Calls through; records whether each request was served here or passed on.
    spy = jest.spyOn(HotRoutes.prototype, 'handle');
  }, 60_000);
  afterAll(async () => {
    spy.mockRestore();
    await t.cleanup();
  });
  beforeEach(() => spy.mockClear());
  const handled = () => spy.mock.results.map((r) => r.value as boolean);

  const token = (c: Case) =>
    c.who === 'tenant' ? key : c.who === 'operator' ? t.admin : undefined;

  const produce = (c: Case, gzip: boolean): Promise<Reply> =>
    t.api.call('POST', c.path, {
      token: token(c),
      raw: gzip ? gzipSync(c.body ?? '') : (c.body ?? ''),
      contentType: c.contentType ?? 'application/json',
      headers: gzip ? { 'content-encoding': 'gzip' } : {},
    });

  /** What must agree: status, error code, and for written records their count and partitions. */
  const gist = (reply: Reply) => ({
    status: reply.status,
    code: reply.body?.code,
    type: reply.headers.get('content-type'),
    partitions: reply.body?.offsets?.map((o: { partition: number }) => o.partition),
    requestId: reply.headers.get('x-request-id') !== null,
  });

  test.each(PRODUCE)('produce: $name', async (c) => {
    const hot = await produce(c, false);
    const general = await produce(c, true);
    // The first went through the hot route; the compressed one was passed on to Express.
    expect(handled()).toEqual([true, false]);
    expect(gist(hot)).toEqual(gist(general));
  });

  test.each(FETCH)('fetch: $name', async (c) => {
    const hot = await t.api.call('GET', c.path, { token: token(c) });
    const general = await t.api.call('HEAD', c.path, { token: token(c) });
    expect(handled()).toEqual([true, false]);
    expect(hot.status).toBe(general.status);
    expect(hot.headers.get('content-type')).toBe(general.headers.get('content-type'));
  });

  test('both write to the same log: records produced either way are fetched in order', async () => {
    const before = (await t.api.get('/v1/topics/t', { token: key })).body.partitions[1]
      .highWatermark as number;
    const body = (value: string) => JSON.stringify({ records: [{ value, partition: 1 }] });
    await produce(
      { name: 'a', who: 'tenant', path: '/v1/topics/t/records', body: body('a') },
      false,
    );
    await produce(
      { name: 'b', who: 'tenant', path: '/v1/topics/t/records', body: body('b') },
      true,
    );
    const fetched = await t.api.get(`/v1/topics/t/partitions/1/records?offset=${before}`, {
      token: key,
    });
    expect(fetched.body.records.map((r: { value: string }) => r.value)).toEqual(['a', 'b']);
    expect(fetched.body.nextOffset).toBe(before + 2);
  });

  test('a streamed body past the limit is refused while it streams, and the connection closed', async () => {
    const url = new URL(t.node.url);
    const reply = await new Promise<{ status: number; body: string; connection?: string }>(
      (resolve, reject) => {
        const request = http.request({
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: '/v1/topics/t/records',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        });
        request.on('response', (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => {
            resolve({
              status: response.statusCode ?? 0,
              body: text,
              connection: response.headers.connection,
            });
            request.destroy();
          });
        });
        request.on('error', reject);
        // No Content-Length: chunked, 1 MiB at a time, until the server answers.
        const chunk = Buffer.alloc(1024 * 1024, 0x20);
        const pump = () => {
          while (!request.destroyed && request.write(chunk));
          if (!request.destroyed) request.once('drain', pump);
        };
        request.once('response', () => request.off('drain', pump));
        pump();
      },
    );
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body).code).toBe('RECORD_LIST_TOO_LARGE');
    expect(reply.connection).toBe('close');
  });

  test('a long-poll answers when a record arrives, and a client that leaves frees it', async () => {
    const hw = (await t.api.get('/v1/topics/t', { token: key })).body.partitions[0]
      .highWatermark as number;
    const parked = t.api.get(`/v1/topics/t/partitions/0/records?offset=${hw}&maxWaitMs=30000`, {
      token: key,
    });
    await t.api.post('/v1/topics/t/records', {
      token: key,
      body: { records: [{ value: 'woke', partition: 0 }] },
    });
    const woke = await parked;
    expect(woke.body.records.map((r: { value: string }) => r.value)).toEqual(['woke']);

    const leaving = new AbortController();
    const gone = fetch(
      `${t.node.url}/v1/topics/t/partitions/0/records?offset=${hw + 1}&maxWaitMs=30000`,
      { headers: { authorization: `Bearer ${key}` }, signal: leaving.signal },
    ).catch(() => 'aborted');
    await waitFor(async () => (await longPolls()) === 1);
    leaving.abort();
    expect(await gone).toBe('aborted');
    await waitFor(async () => (await longPolls()) === 0);
  });

  async function longPolls(): Promise<number> {
    const text = (await t.api.get('/metrics')).text;
    return Number(/^tributary_fetch_long_polls (\d+)/m.exec(text)?.[1]);
  }
});

/** Polls a condition over the metrics endpoint (an observable, not a sleep standing in for it). */
async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setImmediate(resolve));
  }
}
