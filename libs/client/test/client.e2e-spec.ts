// The client's REST calls and its producer against a real node: topics from create to delete,
// a produce/fetch round trip, errors as TributaryErrors with the problem's fields, and the
// producer's batches, its Idempotency-Key retries (through a proxy that loses an answer and
// then answers 503 with Retry-After) and its bounded buffer.
import { type RecordMetadata, TributaryClient, TributaryError, Producer } from '@tributary/client';
import { HttpFaultProxy } from '../../../test/support/http-fault-proxy';
import { startTenantNode, type TenantNode } from '../../../test/support/tenant-node';
import { freePort } from '../../../test/support/ports';

let node: TenantNode;
let client: TributaryClient;

beforeAll(async () => {
  node = await startTenantNode();
  client = new TributaryClient({ url: node.url, apiKey: node.key });
}, 90_000);
afterAll(() => node?.stop());

async function caught(promise: Promise<unknown>): Promise<TributaryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TributaryError);
  return error as TributaryError;
}

describe('REST calls', () => {
  it('creates, lists, describes, alters and deletes topics', async () => {
    const created = await client.createTopic({
      name: 'sdk-topics',
      partitions: 2,
      configs: { 'retention.ms': 3_600_000 },
    });
    expect(created.partitions).toHaveLength(2);
    expect(created.configs['retention.ms']).toBe('3600000');
    expect(await client.listTopics()).toContainEqual({
      name: 'sdk-topics',
      partitions: 2,
      replicationFactor: 1,
    });
    const altered = await client.alterTopic('sdk-topics', { partitions: 3 });
    expect(altered.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
    expect((await client.describeTopic('sdk-topics')).partitions).toHaveLength(3);
    await client.deleteTopic('sdk-topics');
    expect((await client.listTopics()).map((t) => t.name)).not.toContain('sdk-topics');
  });

  it('produces and fetches records, with keys, headers and formats', async () => {
    await client.createTopic({ name: 'sdk-round-trip' });
    const produced = await client.produce('sdk-round-trip', [
      { key: 'alice', value: { hello: 'world' }, headers: { trace: 'abc' } },
      { key: 'bob', value: null },
    ]);
    expect(produced.offsets.map((o) => o.offset)).toEqual([0, 1]);
    const text = await client.produce('sdk-round-trip', [{ value: 'plain text' }], {
      valueFormat: 'string',
    });
    expect(text.offsets[0]!.offset).toBe(2);

    const fetched = await client.fetchRecords('sdk-round-trip', 0, {
      offset: 0,
      valueFormat: 'string',
    });
    expect(fetched.records.map((r) => [r.offset, r.key, r.value])).toEqual([
      [0, 'alice', '{"hello":"world"}'],
      [1, 'bob', null],
      [2, null, 'plain text'],
    ]);
    expect(fetched.records[0]!.headers).toEqual([{ key: 'trace', value: 'abc' }]);
    expect(fetched).toMatchObject({ nextOffset: 3, highWatermark: 3, logStartOffset: 0 });
    expect(await client.listOffset('sdk-round-trip', 0, 'earliest')).toEqual({
      partition: 0,
      offset: 0,
    });
  });

  it('long-polls a fetch until a record arrives', async () => {
    await client.createTopic({ name: 'sdk-long-poll' });
    const waiting = client.fetchRecords('sdk-long-poll', 0, { offset: 0, maxWaitMs: 20_000 });
    await client.produce('sdk-long-poll', [{ value: 1 }]);
    expect((await waiting).records.map((r) => r.value)).toEqual([1]);
  });

  it('fails with the problem as a TributaryError', async () => {
    const missing = await caught(client.describeTopic('no-such-topic'));
    expect(missing).toMatchObject({
      code: 'UNKNOWN_TOPIC_OR_PARTITION',
      status: 404,
      retriable: false,
    });
    expect(missing.requestId).toEqual(expect.any(String));

    const range = await caught(client.fetchRecords('sdk-round-trip', 0, { offset: 99 }));
    expect(range.code).toBe('OFFSET_OUT_OF_RANGE');
    expect(range.problem).toMatchObject({ highWatermark: 3, logStartOffset: 0 });

    const bad = await caught(
      client.produce('sdk-round-trip', [{ value: 42 }], { valueFormat: 'string' }),
    );
    expect(bad).toMatchObject({ code: 'INVALID_RECORD', status: 400, retriable: false });

    const stranger = new TributaryClient({ url: node.url, apiKey: 'not-a-key' });
    expect(await caught(stranger.listTopics())).toMatchObject({
      code: 'UNAUTHENTICATED',
      status: 401,
    });
  });

  it('fails with a retriable NETWORK_ERROR when nothing listens', async () => {
    const port = await freePort();
    const nowhere = new TributaryClient({ url: `http://127.0.0.1:${port}`, apiKey: node.key });
    expect(await caught(nowhere.listTopics())).toMatchObject({
      code: 'NETWORK_ERROR',
      status: 0,
      retriable: true,
    });
  });

  it('describes the cluster and issues tickets', async () => {
    const cluster = await client.describeCluster();
    expect(cluster.nodes).toEqual([expect.objectContaining({ id: 1, status: 'alive' })]);
    expect(await client.createWsTicket()).toEqual({
      ticket: expect.any(String),
      expiresAt: expect.any(String),
    });
  });
});

describe('Producer', () => {
  it('batches records and resolves each with its partition and offset, in order', async () => {
    await client.createTopic({ name: 'sdk-batches' });
    const producer = new Producer(client, { lingerMs: 20, batchRecordsMax: 50 });
    const sent = Array.from({ length: 200 }, (_, i) => producer.send('sdk-batches', { value: i }));
    const results = await Promise.all(sent);
    expect(results.map((r) => r.offset)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(results[0]).toMatchObject({ topic: 'sdk-batches', partition: 0 });
    // One request in flight per topic: the first 50 go at once, the rest as each answer comes.
    expect(producer.stats).toMatchObject({ batches: 4, acknowledged: 200, retries: 0 });
    await producer.close();
    await expect(producer.send('sdk-batches', { value: 0 })).rejects.toMatchObject({
      code: 'CLOSED',
    });
  });

  it('retries a batch with its Idempotency-Key: a lost answer, then a 503 with Retry-After', async () => {
    await client.createTopic({ name: 'sdk-retries', partitions: 3 });
    const proxy = await HttpFaultProxy.start(node.url, (req, index) => {
      if (req.method !== 'POST') return 'forward';
      if (index === 0) return 'lose-answer';
      if (index === 1) {
        const body = { code: 'UNAVAILABLE', status: 503, retriable: true, detail: 'busy' };
        return { status: 503, body, headers: { 'retry-after': '1' } };
      }
      return 'forward';
    });
    try {
      const viaProxy = new TributaryClient({ url: proxy.url, apiKey: node.key });
      const retries: { code: string; waitMs: number }[] = [];
      const producer = new Producer(viaProxy, {
        lingerMs: 10,
        onRetry: (error, _attempt, waitMs) => retries.push({ code: error.code, waitMs }),
      });
      const records = ['a', 'b', 'c', 'd', 'e', 'f'].map((key, i) => ({ key, value: i }));
      const results = await Promise.all(records.map((r) => producer.send('sdk-retries', r)));
      await producer.close();

      expect(retries.map((r) => r.code)).toEqual(['NETWORK_ERROR', 'UNAVAILABLE']);
      expect(retries[1]!.waitMs).toBeGreaterThanOrEqual(1000);
      const keys = proxy.seen.map((s) => s.headers['idempotency-key']);
      expect(keys).toHaveLength(3);
      expect(new Set(keys).size).toBe(1);
      // The first attempt was written; the third is answered from it, writing nothing.
      expect(proxy.seen[0]!.status).toBe(200);
      expect(proxy.seen[2]!.answerHeaders?.get('idempotent-replayed')).toBe('true');
      const stored = await readAll('sdk-retries', 3);
      expect(stored.map((r) => r.value).sort()).toEqual([0, 1, 2, 3, 4, 5]);
      for (const [i, result] of results.entries()) {
        expect(stored).toContainEqual(
          expect.objectContaining({ partition: result.partition, offset: result.offset, value: i }),
        );
      }
    } finally {
      await proxy.close();
    }
  });

  it('fails a batch at once on an error that is not retriable', async () => {
    const producer = new Producer(client);
    const error = await caught(producer.send('sdk-no-such-topic', { value: 1 }));
    expect(error).toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: false });
    expect(producer.stats).toMatchObject({ retries: 0, failed: 1 });
    await producer.close();
  });

  it('bounds its buffer: a send into a full one waits, then fails with BUFFER_FULL', async () => {
    await client.createTopic({ name: 'sdk-backpressure' });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const proxy = await HttpFaultProxy.start(node.url, () => ({ hold: held }));
    try {
      const producer = new Producer(new TributaryClient({ url: proxy.url, apiKey: node.key }), {
        bufferRecordsMax: 2,
        maxBlockMs: 100,
        lingerMs: 0,
      });
      const first = [
        producer.send('sdk-backpressure', { value: 1 }),
        producer.send('sdk-backpressure', { value: 2 }),
      ];
      const writable = producer.whenWritable();
      let isWritable = false;
      void writable.then(() => (isWritable = true));
      const refused = await caught(producer.send('sdk-backpressure', { value: 3 }));
      expect(refused).toMatchObject({ code: 'BUFFER_FULL', retriable: true });
      expect(isWritable).toBe(false);
      release();
      const done: RecordMetadata[] = await Promise.all(first);
      expect(done.map((r) => r.offset)).toEqual([0, 1]);
      await writable;
      await producer.close();
    } finally {
      release();
      await proxy.close();
    }
  });
});

async function readAll(topic: string, partitions: number) {
  const all = [];
  for (let partition = 0; partition < partitions; partition++) {
    all.push(...(await client.fetchRecords(topic, partition, { offset: 0 })).records);
  }
  return all;
}
