// Produce and fetch over real HTTP, against Postgres and embedded PGlite.
import { waitUntil } from '@tributary/common';
import { TEST_DATABASE_KINDS } from '@tributary/metadata';
import { partitionForKey } from '@tributary/protocol';
import { createKafkajsPartitioner } from '../../../test/support/kafkajs';
import { STICKY_BYTES } from '../src/records/partitioner';
import { type TestNode, startTestNode } from './harness';

describe.each(TEST_DATABASE_KINDS)('records over HTTP (%s)', (kind) => {
  let t: TestNode;
  let key: string;

  beforeAll(async () => {
    t = await startTestNode(kind);
    key = await t.tenant('acme');
    for (const [name, partitions] of [
      ['orders', 6],
      ['single', 1],
    ] as const) {
      const created = await t.api.post('/v1/topics', { token: key, body: { name, partitions } });
      expect(created.status).toBe(201);
    }
  }, 60_000);
  afterAll(() => t.cleanup());

  const produce = (topic: string, body: unknown, query = '', headers?: Record<string, string>) =>
    t.api.post(`/v1/topics/${topic}/records${query}`, {
      token: key,
      body,
      ...(headers === undefined ? {} : { headers }),
    });
  const fetchRecords = (topic: string, partition: number, query: string) =>
    t.api.get(`/v1/topics/${topic}/partitions/${partition}/records?${query}`, { token: key });

  test('a produced record is fetched back with its key, value, headers and timestamp', async () => {
    const produced = await produce('single', {
      records: [
        {
          key: 'user-42',
          value: { amount: 42, items: ['a', 'b'] },
          headers: [
            { key: 'trace', value: 'abc' },
            { key: 'trace', value: 'def' },
          ],
          timestamp: 1763700000000,
        },
        { value: null },
      ],
    });
    expect(produced.status).toBe(200);
    const [first, second] = produced.body.offsets;
    expect(first).toEqual({ partition: 0, offset: expect.any(Number), timestamp: 1763700000000 });
    expect(second.offset).toBe(first.offset + 1);
    const fetched = await fetchRecords('single', 0, `offset=${first.offset}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body.records).toEqual([
      {
        partition: 0,
        offset: first.offset,
        timestamp: 1763700000000,
        key: 'user-42',
        value: { amount: 42, items: ['a', 'b'] },
        headers: [
          { key: 'trace', value: 'abc' },
          { key: 'trace', value: 'def' },
        ],
      },
      expect.objectContaining({ offset: first.offset + 1, key: null, value: null, headers: [] }),
    ]);
    expect(fetched.body.nextOffset).toBe(first.offset + 2);
    expect(fetched.body.highWatermark).toBe(first.offset + 2);
  });

  test('formats: json, string and binary keys and values round-trip', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    const produced = await produce('single', {
      keyFormat: 'binary',
      valueFormat: 'string',
      records: [{ key: bytes.toString('base64'), value: 'plain text ✓', headers: { h: 'v' } }],
    });
    expect(produced.status).toBe(200);
    const offset = produced.body.offsets[0].offset;
    const asString = await fetchRecords(
      'single',
      0,
      `offset=${offset}&keyFormat=binary&valueFormat=string`,
    );
    expect(asString.body.records[0]).toMatchObject({
      key: bytes.toString('base64'),
      value: 'plain text ✓',
      headers: [{ key: 'h', value: 'v' }],
    });
    // A value that is not JSON, asked for as json, comes back as base64 and says so.
    const asJson = await fetchRecords('single', 0, `offset=${offset}&maxRecords=1&keyFormat=json`);
    expect(asJson.body.records[0]).toMatchObject({
      key: bytes.toString('base64'),
      keyFormat: 'binary',
      value: Buffer.from('plain text ✓').toString('base64'),
      valueFormat: 'binary',
    });
  });

  test('NDJSON bodies produce one record per line', async () => {
    const lines = [1, 2, 3].map((n) =>
      JSON.stringify({ key: `k${n}`, value: { n }, partition: 2 }),
    );
    const produced = await t.api.post('/v1/topics/orders/records', {
      token: key,
      raw: lines.join('\n') + '\n',
      contentType: 'application/x-ndjson',
    });
    expect(produced.status).toBe(200);
    const offsets = produced.body.offsets;
    expect(offsets.map((o: { partition: number }) => o.partition)).toEqual([2, 2, 2]);
    const fetched = await fetchRecords('orders', 2, `offset=${offsets[0].offset}`);
    expect(fetched.body.records.map((r: { value: unknown }) => r.value)).toEqual([
      { n: 1 },
      { n: 2 },
      { n: 3 },
    ]);
  });

  test('keys land where a Kafka client would put them', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `customer-${i * 7919}`);
    const produced = await produce('orders', { records: keys.map((k) => ({ key: k, value: k })) });
    expect(produced.status).toBe(200);
    const kafkajs = createKafkajsPartitioner();
    const partitionMetadata = Array.from({ length: 6 }, (_, p) => ({ partitionId: p, leader: 1 }));
    keys.forEach((k, i) => {
      const expected = kafkajs({
        topic: 'orders',
        partitionMetadata,
        message: { key: Buffer.from(k) },
      });
      expect(produced.body.offsets[i].partition).toBe(expected);
      expect(partitionForKey(Buffer.from(k), 6)).toBe(expected);
    });
  });

  test('keyless records stick to one partition until 16 KiB went there, then move on, one request never split', async () => {
    // 3 values of 2,000 bytes (JSON strings, quotes included) per request: 12,000 bytes after
    // two requests, 18,000 after three, so the partition changes after every third request.
    expect(STICKY_BYTES).toBe(16_384);
    const value = 'v'.repeat(1_998);
    const perRequest: number[] = [];
    for (let i = 0; i < 18; i++) {
      const produced = await produce('orders', { records: [{ value }, { value }, { value }] });
      const partitions = new Set(
        produced.body.offsets.map((o: { partition: number }) => o.partition),
      );
      expect(partitions.size).toBe(1);
      perRequest.push(...(partitions as Set<number>));
    }
    const switches = perRequest.flatMap((p, i) => (i > 0 && p !== perRequest[i - 1] ? [i] : []));
    // Where the run started inside a 16 KiB stint is unknown; from the first switch on, every
    // stint is three requests, and the partitions go round.
    expect(switches.length).toBeGreaterThanOrEqual(5);
    switches.slice(1).forEach((at, i) => expect(at - (switches[i] as number)).toBe(3));
    expect(new Set(perRequest).size).toBe(6);
  });

  test('acks=1 and acks=0 write too; acks=0 answers 202 without offsets', async () => {
    const one = await produce('single', { records: [{ value: 'acks-1' }] }, '?acks=1');
    expect(one.status).toBe(200);
    const before = (await t.api.get('/v1/topics/single', { token: key })).body.partitions[0]
      .highWatermark;
    const zero = await produce('single', { records: [{ value: 'acks-0' }] }, '?acks=0');
    expect(zero.status).toBe(202);
    expect(zero.body.offsets).toEqual([
      { partition: 0, offset: -1, timestamp: expect.any(Number) },
    ]);
    // The write lands without an answer to wait for: a long-poll sees it.
    const fetched = await fetchRecords('single', 0, `offset=${before}&maxWaitMs=10000`);
    expect(fetched.body.records[0].value).toBe('acks-0');
  });

  test('a long-poll answers as soon as a record arrives', async () => {
    const hw = (await t.api.get('/v1/topics/single', { token: key })).body.partitions[0]
      .highWatermark;
    const parkedBefore = t.node.partitions.waits.parkedCount;
    const polling = fetchRecords('single', 0, `offset=${hw}&maxWaitMs=30000`);
    await t.node.partitions.waits.whenParked(parkedBefore + 1);
    const produced = await produce('single', { records: [{ value: 'wake' }] });
    expect(produced.body.offsets[0].offset).toBe(hw);
    const fetched = await polling;
    expect(fetched.body.records.map((r: { value: unknown }) => r.value)).toEqual(['wake']);
  });

  test('a long-poll with nothing arriving answers an empty list when its time is up', async () => {
    const hw = (await t.api.get('/v1/topics/single', { token: key })).body.partitions[0]
      .highWatermark;
    const fetched = await fetchRecords('single', 0, `offset=${hw}&maxWaitMs=50`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toMatchObject({ records: [], nextOffset: hw, highWatermark: hw });
  });

  test('maxRecords bounds the answer and nextOffset continues from it', async () => {
    const produced = await produce('single', {
      records: Array.from({ length: 10 }, (_, i) => ({ value: i })),
    });
    const base = produced.body.offsets[0].offset;
    const first = await fetchRecords('single', 0, `offset=${base}&maxRecords=4`);
    expect(first.body.records.map((r: { value: unknown }) => r.value)).toEqual([0, 1, 2, 3]);
    expect(first.body.nextOffset).toBe(base + 4);
    const second = await fetchRecords(
      'single',
      0,
      `offset=${first.body.nextOffset}&maxRecords=100`,
    );
    expect(second.body.records.map((r: { value: unknown }) => r.value)).toEqual([4, 5, 6, 7, 8, 9]);
  });

  test('an offset out of range answers 416 with the log start and high watermark', async () => {
    const hw = (await t.api.get('/v1/topics/single', { token: key })).body.partitions[0]
      .highWatermark;
    const fetched = await fetchRecords('single', 0, `offset=${hw + 5}`);
    expect(fetched.status).toBe(416);
    expect(fetched.headers.get('content-type')).toContain('application/problem+json');
    expect(fetched.body).toMatchObject({
      code: 'OFFSET_OUT_OF_RANGE',
      logStartOffset: 0,
      highWatermark: hw,
      requestId: expect.any(String),
    });
  });

  test('Idempotency-Key: a retry returns the first answer and writes nothing, also after a restart', async () => {
    const body = { records: [{ key: 'k', value: 'once' }] };
    const headers = { 'Idempotency-Key': 'order-7-attempt' };
    const first = await produce('single', body, '', headers);
    expect(first.status).toBe(200);
    const again = await produce('single', body, '', headers);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const reused = await produce('single', { records: [{ value: 'other' }] }, '', headers);
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');

    await t.restart();
    const afterRestart = await produce('single', body, '', headers);
    expect(afterRestart.body).toEqual(first.body);
    const hw = (await t.api.get('/v1/topics/single', { token: key })).body.partitions[0]
      .highWatermark;
    expect(hw).toBe(first.body.offsets[0].offset + 1);
  }, 60_000);

  test('Idempotency-Key over several partitions: keyless records go where the key says, and a retry repeats the answer, timestamps too', async () => {
    const highWatermarks = async () =>
      (await t.api.get('/v1/topics/orders', { token: key })).body.partitions.map(
        (p: { highWatermark: number }) => p.highWatermark,
      );
    const body = {
      records: [
        { key: 'a', value: 1 },
        { value: 2 },
        { key: 'b', value: 3 },
        { value: 4 },
        { key: 'c', value: 5, timestamp: 1763700000000 },
      ],
    };
    const headers = { 'Idempotency-Key': 'multi-partition-1' };
    const first = await produce('orders', body, '', headers);
    expect(first.status).toBe(200);
    const keyless = first.body.offsets.filter((_: unknown, i: number) => i === 1 || i === 3);
    expect(keyless[0].partition).toBe(keyless[1].partition);
    const before = await highWatermarks();
    // The timestamps of the first write come back even though the retry is made later.
    const firstMs = Math.max(...first.body.offsets.map((o: { timestamp: number }) => o.timestamp));
    await waitUntil(() => Date.now() > firstMs, 'the clock past the first write');
    const again = await produce('orders', body, '', headers);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await highWatermarks()).toEqual(before);
    // Another key: its keyless records may land elsewhere, and are written.
    const other = await produce('orders', body, '', { 'Idempotency-Key': 'multi-partition-2' });
    expect(other.status).toBe(200);
    expect(other.headers.get('idempotent-replayed')).toBeNull();
  });

  test('concurrent retries with one Idempotency-Key write once', async () => {
    const body = { records: [{ value: 'concurrent' }] };
    const headers = { 'Idempotency-Key': 'concurrent-1' };
    const answers = await Promise.all([1, 2, 3, 4].map(() => produce('single', body, '', headers)));
    const offsets = new Set(answers.map((a) => a.body.offsets[0].offset));
    expect(offsets.size).toBe(1);
    const hw = (await t.api.get('/v1/topics/single', { token: key })).body.partitions[0]
      .highWatermark;
    expect(hw).toBe([...offsets][0] + 1);
  });
});
