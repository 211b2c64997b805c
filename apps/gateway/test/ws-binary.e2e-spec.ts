// Binary records frames over a real connection. Records produced over HTTP (keys, JSON and
// binary values, headers, several batches) and as Kafka producers may write them (compressed
// batches with each codec, a LogAppendTime batch, a transaction marker) are read by a
// `"format":"binary"` subscription, decoded with the decoder docs/API.md shows (read from the
// page itself), and compared field by field with what a JSON subscription delivers from the
// same offsets; then mid-batch starts, credit, a group member that commits, bad frames and a
// slow consumer.
import { MetadataCache } from '@tributary/metadata';
import { type BrokerClient } from '@tributary/partitions';
import {
  CompressionType,
  encodeRecordBatch,
  encodeRecordBatchAsync,
  OFFSET_ATTRIBUTES,
  type RecordInput,
  TimestampType,
  updateBatchCrc,
} from '@tributary/protocol';
import { WebSocket } from 'ws';
import { BROKER_CLIENT } from '../src/node-services';
import { WsGateway } from '../src/ws/ws.gateway';
import { type TestNode, startTestNode } from './harness';
import { asJson, Client, utf8 } from './ws-binary-client';

describe('WebSocket binary records frames', () => {
  let t: TestNode;
  let key: string;
  let client: Client;
  const sockets: WebSocket[] = [];
  /** Records on each partition of `mixed`. */
  const ends: number[] = [];

  async function connect(): Promise<Client> {
    const socket = new WebSocket(t.node.url.replace('http', 'ws') + '/v1/ws', {
      headers: { authorization: `Bearer ${key}` },
    });
    sockets.push(socket);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    return new Client(socket);
  }

  async function produce(topic: string, body: object): Promise<void> {
    const answer = await t.api.post(`/v1/topics/${topic}/records`, { token: key, body });
    expect(answer.status).toBe(200);
  }

  /** A batch written as a Kafka producer may write it, straight to the partition's leader. */
  async function produceBatch(topic: string, partition: number, batch: Buffer): Promise<void> {
    const cache = t.node.gateway.app.get(MetadataCache);
    const broker = t.node.gateway.app.get<BrokerClient>(BROKER_CLIENT);
    const tenant = cache.tenantByName('acme')!;
    const found = cache.topicByName(tenant.id, topic)!;
    const tp = { tenantId: tenant.id, topicId: found.id, partition };
    const [outcome] = await broker.produce([{ ...tp, batch, acks: -1, timeoutMs: 10_000 }]);
    expect(outcome?.ok).toBe(true);
  }

  beforeAll(async () => {
    t = await startTestNode('postgres', {
      wsLimits: {
        wsBufferedBytesHigh: 64 * 1024,
        wsBufferedBytesCap: 512 * 1024,
        wsStallTimeoutMs: 500,
        wsPushBytesMax: 64 * 1024,
      },
    });
    key = await t.tenant('acme');
    for (const [name, partitions] of [
      ['mixed', 2],
      ['big', 1],
      ['other', 1],
    ] as const) {
      const created = await t.api.post('/v1/topics', { token: key, body: { name, partitions } });
      expect(created.status).toBe(201);
    }
    await produceMixed();
    client = await connect();
  }, 60_000);
  afterAll(async () => {
    for (const socket of sockets) socket.terminate();
    await t.cleanup();
  });

  /**
   * Partition 0 of `mixed`: 0-5 JSON values with headers (over HTTP), 6-9 binary keys and values
   * (HTTP), 10-24 three records in each codec (none, gzip, snappy, lz4, zstd), 25-26 a
   * LogAppendTime batch, 27 a transaction marker, 28-30 (HTTP). Partition 1: 0-1, then 2.
   */
  const MARKER = 27;

  async function produceMixed(): Promise<void> {
    await produce('mixed', {
      records: [
        { key: 'k0', value: { n: 0, s: 'é' }, headers: { trace: 'abc', empty: '' } },
        { key: null, value: [1, 2, 3] },
        { key: 'tombstone', value: null },
        {
          value: 'text',
          headers: [
            { key: 'dup', value: '1' },
            { key: 'dup', value: '2' },
          ],
        },
        {
          key: 'k4',
          value: 42,
          timestamp: 1_600_000_000_000,
          headers: [{ key: 'n', value: null }],
        },
        { key: '', value: {} },
      ].map((r) => ({ ...r, partition: 0 })),
    });
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 37) % 256));
    await produce('mixed', {
      keyFormat: 'binary',
      valueFormat: 'binary',
      records: [0, 1, 200, 3].map((n) => ({
        key: bytes(n).toString('base64'),
        value: bytes(n * 3 + 1).toString('base64'),
        partition: 0,
      })),
    });
    const kafkaRecords = (tag: string, n: number): RecordInput[] =>
      Array.from({ length: n }, (_, i) => ({
        key: Buffer.from(`${tag}-${i}`),
        value: Buffer.from(JSON.stringify({ tag, i })),
        headers: [{ key: 'codec', value: Buffer.from(tag) }],
        timestamp: 1_700_000_000_000 + i,
      }));
    for (const [tag, compression] of Object.entries(CompressionType)) {
      const options = { compression, defaultTimestampMs: Date.now() };
      await produceBatch('mixed', 0, await encodeRecordBatchAsync(kafkaRecords(tag, 3), options));
    }
    const appendTime = { logAppendTimeMs: 1_650_000_000_000, defaultTimestampMs: Date.now() };
    await produceBatch(
      'mixed',
      0,
      encodeRecordBatch(kafkaRecords('append-time', 2), {
        ...appendTime,
        compression: CompressionType.Lz4,
        timestampType: TimestampType.LogAppendTime,
      }),
    );
    // A transaction marker: a control batch, which no consumer is given.
    const marker = encodeRecordBatch([{ key: Buffer.from([0, 0, 0, 0]), value: null }], {
      defaultTimestampMs: Date.now(),
    });
    marker.writeInt16BE(marker.readInt16BE(OFFSET_ATTRIBUTES) | 0x20, OFFSET_ATTRIBUTES);
    updateBatchCrc(marker, 0, marker.length);
    await produceBatch('mixed', 0, marker);
    await produce('mixed', { records: [7, 8, 9].map((value) => ({ value, partition: 0 })) });
    await produce('mixed', { records: [10, 11].map((value) => ({ value, partition: 1 })) });
    await produce('mixed', { records: [12].map((value) => ({ value, partition: 1 })) });
    ends.push(MARKER + 4, 3);
  }

  /** What a JSON subscription delivers from `offset` of a partition of `mixed`, to the end. */
  async function jsonFrom(partition: number, offset: number, extra: object = {}): Promise<any[]> {
    const count = ends[partition]! - offset - (partition === 0 && offset <= MARKER ? 1 : 0);
    const subscription = await client.subscribe({
      topic: 'mixed',
      partitions: [partition],
      from: { offset },
      keyFormat: 'binary',
      valueFormat: 'binary',
      ...extra,
    });
    const records = await client.records(subscription, count);
    await client.unsubscribe(subscription);
    return records;
  }

  async function binaryFrom(partition: number, offset: number, count: number) {
    const subscription = await client.subscribe({
      topic: 'mixed',
      partitions: [partition],
      from: { offset },
      format: 'binary',
    });
    const frames = await client.frames(subscription, count);
    await client.unsubscribe(subscription);
    return { subscription, frames };
  }

  test('frames decode, with the documented decoder, to what JSON delivers, from any offset', async () => {
    // Batch starts, mid-batch in plain and compressed batches, the marker's offset, the last.
    for (const from of [0, 3, 10, 12, 15, 21, 25, MARKER, MARKER + 1, ends[0]! - 1]) {
      const json = await jsonFrom(0, from);
      const { subscription, frames } = await binaryFrom(0, from, json.length);
      expect(frames.flatMap(asJson)).toEqual(json);
      for (const frame of frames) {
        expect(frame).toMatchObject({ subscription, partition: 0, highWatermark: ends[0] });
        expect(frame.nextOffset).toBeGreaterThan(frame.records.at(-1)!.offset);
      }
      expect(frames.at(-1)!.nextOffset).toBe(ends[0]);
    }
    const json = await jsonFrom(1, 0);
    expect((await binaryFrom(1, 0, 3)).frames.flatMap(asJson)).toEqual(json);
  });

  test('values are the bytes produced: JSON as its text, binary as given', async () => {
    const asText = await jsonFrom(0, 0, { keyFormat: 'string', valueFormat: 'string' });
    const { frames } = await binaryFrom(0, 0, asText.length);
    const records = frames.flatMap((f) => f.records);
    expect(records.map((r) => utf8(r.value))).toEqual(asText.map((r) => r.value));
    expect(JSON.parse(utf8(records[0]!.value)!)).toEqual({ n: 0, s: 'é' });
    expect(records[2]!.value).toBeNull();
    expect(records[3]!.headers.map((h) => [h.key, utf8(h.value)])).toEqual([
      ['dup', '1'],
      ['dup', '2'],
    ]);
    expect(records[4]!.timestamp).toBe(1_600_000_000_000);
    expect(
      records.filter((r) => r.offset === 25 || r.offset === 26).map((r) => r.timestamp),
    ).toEqual([1_650_000_000_000, 1_650_000_000_000]);
  });

  test('credit counts records: a frame is cut to it, mid-batch', async () => {
    const json = await jsonFrom(0, 1);
    const subscription = await client.subscribe({
      topic: 'mixed',
      partitions: [0],
      from: { offset: 1 },
      format: 'binary',
      credit: 3,
    });
    const first = await client.frames(subscription, 3);
    expect(first.flatMap(asJson)).toEqual(json.slice(0, 3));
    expect(first.at(-1)!.nextOffset).toBe(4);
    await client.barrier();
    expect(client.binary).toEqual([]);
    // Across the end of the first batch and into the next one.
    client.send({ op: 'credit', subscription, records: 4 });
    const second = await client.frames(subscription, 4);
    expect(second.flatMap(asJson)).toEqual(json.slice(3, 7));
    await client.barrier();
    expect(client.binary).toEqual([]);
    client.send({ op: 'credit', subscription, records: 1_000 });
    expect((await client.frames(subscription, json.length - 7)).flatMap(asJson)).toEqual(
      json.slice(7),
    );
    // And live: a record produced now is pushed at once.
    await produce('mixed', { records: [{ key: 'live', value: 'now', partition: 0 }] });
    const [live] = await client.frames(subscription, 1);
    expect([live!.records[0]!.offset, utf8(live!.records[0]!.key)]).toEqual([ends[0], 'live']);
    expect([live!.highWatermark, live!.nextOffset]).toEqual([ends[0]! + 1, ends[0]! + 1]);
    ends[0]! += 1;
    await client.unsubscribe(subscription);
  });

  test('a group member in binary is assigned its partitions, gets every record, and commits', async () => {
    const json = [await jsonFrom(0, 0), await jsonFrom(1, 0)];
    const member = await connect();
    const subscription = await member.subscribe({
      topic: 'mixed',
      group: 'binary-group',
      from: 'earliest',
      format: 'binary',
    });
    expect((await member.op('assigned', { subscription })).partitions).toEqual([0, 1]);
    const frames = await member.frames(subscription, json[0]!.length + json[1]!.length);
    for (const partition of [0, 1]) {
      const mine = frames.filter((f) => f.partition === partition);
      expect(mine.flatMap(asJson)).toEqual(json[partition]);
      expect(mine.at(-1)!.nextOffset).toBe(ends[partition]);
    }
    member.send({ op: 'commit', id: 'c', subscription });
    const committed = await member.op('committed', { id: 'c' });
    expect(committed.offsets).toEqual(
      [0, 1].map((partition) => ({ topic: 'mixed', partition, offset: ends[partition] })),
    );
    const group = await t.api.get('/v1/groups/binary-group', { token: key });
    expect(group.body.offsets.map((o: any) => [o.committedOffset, o.lag])).toEqual([
      [ends[0], 0],
      [ends[1], 0],
    ]);
    member.socket.close();
  });

  test('a bad format, or record formats with binary frames, get an error frame', async () => {
    for (const [id, frame, field] of [
      ['f1', { format: 'avro' }, 'format'],
      ['f2', { format: 'binary', keyFormat: 'string' }, 'keyFormat'],
      ['f3', { format: 'binary', valueFormat: 'json' }, 'valueFormat'],
    ] as const) {
      client.send({ op: 'subscribe', id, topic: 'mixed', ...frame });
      const error = await client.op('error', { id });
      expect([error.problem.code, error.problem.detail]).toEqual([
        'INVALID_REQUEST',
        expect.stringContaining(field),
      ]);
    }
  });

  test('a binary consumer that does not read is closed with 1013; the server buffer stays bounded', async () => {
    // Batches of about 1 MiB, larger than a push: each goes out in frames of about 64 KiB.
    const value = 'v'.repeat(10 * 1024);
    for (let i = 0; i < 20; i++) {
      const records = Array.from({ length: 100 }, () => ({ value, partition: 0 }));
      await produce('big', { valueFormat: 'string', records });
    }
    const reader = await connect();
    const all = await reader.subscribe({ topic: 'big', from: 'earliest', format: 'binary' });
    const frames = await reader.frames(all, 2_000);
    expect(frames.flatMap((f) => f.records.map((r) => r.offset))).toEqual([...Array(2_000).keys()]);
    expect(Math.max(...frames.map((f) => f.records.length))).toBeLessThanOrEqual(8);
    reader.socket.close();

    const stalled = await connect();
    await stalled.subscribe({ topic: 'big', from: 'earliest', format: 'binary' });
    // Stop reading: the kernel's buffers fill, then the server's.
    (stalled.socket as unknown as { _socket: import('node:net').Socket })._socket.pause();
    const session = [...t.node.gateway.app.get(WsGateway).sessions].at(-1)!;
    await session.ended;
    expect(session.peakBuffered).toBeLessThanOrEqual(512 * 1024 + 80 * 1024);
    (stalled.socket as unknown as { _socket: import('node:net').Socket })._socket.resume();
    expect(await stalled.closed).toBe(1013);
  });
});
