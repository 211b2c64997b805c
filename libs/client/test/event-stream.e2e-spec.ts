// The event-stream helper against a real node, through a TCP proxy that can drop every
// connection, with both ways of reading: a streaming fetch (Node's default; it sees the
// cursor blocks) and EventSource (here undici's, as a browser would use its own, with tickets
// and ?lastEventId=). Each must resume after a drop with no record twice and none skipped,
// keep a cursor another stream can resume from, and fail with the problem when it must.
import { waitUntil } from '@tributary/common';
import {
  CLIENT_DEFAULTS,
  EventStream,
  type EventStreamOptions,
  type FetchedRecord,
  TributaryClient,
  type TributaryError,
} from '@tributary/client';
import { EventSource } from 'undici';
import { FaultProxy } from '../../../test/support/fault-proxy';
import { startTenantNode, type TenantNode } from '../../../test/support/tenant-node';

let node: TenantNode;
let client: TributaryClient;
let proxy: FaultProxy;
let proxied: TributaryClient;

beforeAll(async () => {
  node = await startTenantNode();
  client = new TributaryClient({ url: node.url, apiKey: node.key });
  proxy = await FaultProxy.start({ host: '127.0.0.1', port: Number(new URL(node.url).port) });
  proxied = new TributaryClient({ url: `http://127.0.0.1:${proxy.port}`, apiKey: node.key });
}, 90_000);
afterAll(async () => {
  await proxy?.close();
  await node?.stop();
});

async function produce(topic: string, from: number, count: number): Promise<void> {
  const values = Array.from({ length: count }, (_, i) => from + i);
  await client.produce(
    topic,
    values.map((value) => ({ key: `k${value % 5}`, value })),
  );
}

/** Every partition's offsets in the order seen, each from 0 with no gap and no repeat. */
function expectDense(records: FetchedRecord[]): Map<number, number> {
  const offsets = new Map<number, number[]>();
  for (const r of records)
    offsets.set(r.partition, [...(offsets.get(r.partition) ?? []), r.offset]);
  const counts = new Map<number, number>();
  for (const [partition, list] of offsets) {
    expect(list).toEqual(list.map((_, i) => i));
    counts.set(partition, list.length);
  }
  return counts;
}

const transports: [string, Partial<EventStreamOptions>][] = [
  ['a streaming fetch', { transport: 'fetch' }],
  ['EventSource', { transport: 'eventsource', EventSource }],
];

describe.each(transports)('read with %s', (name, transport) => {
  const topic = `sse-${transport.transport}`;

  it('resumes after the connection drops, and leaves a cursor to resume from', async () => {
    await client.createTopic({ name: topic, partitions: 2 });
    await produce(topic, 0, 10);
    const seen: FetchedRecord[] = [];
    const disconnects: TributaryError[] = [];
    let dropped = false;
    const stream = new EventStream(proxied, {
      topic,
      from: 'earliest',
      ...transport,
      onDisconnect: (error) => disconnects.push(error),
    });
    const running = stream.run((record, id) => {
      expect(id).toBe(`${record.partition}:${record.offset}`);
      seen.push(record);
      if (seen.length >= 4 && !dropped) {
        dropped = true;
        proxy.dropAll();
      }
    });
    try {
      await waitUntil(() => disconnects.length > 0, `${name}: the drop seen`);
      await produce(topic, 10, 10);
      await waitUntil(() => seen.length >= 20, `${name}: 20 records`, 20_000);
    } finally {
      await stream.close();
    }
    await running;
    expect(disconnects[0]!.retriable).toBe(true);
    expect(seen).toHaveLength(20);
    const counts = expectDense(seen);
    expect(stream.lastEventId).toBe(`0:${counts.get(0)! - 1},1:${counts.get(1)! - 1}`);

    // Another stream resumes from that cursor: only what came after.
    await produce(topic, 20, 3);
    const later: number[] = [];
    const resumed = new EventStream(proxied, {
      topic,
      lastEventId: stream.lastEventId,
      ...transport,
    });
    const resuming = resumed.run((record) => {
      later.push(record.value as number);
    });
    await waitUntil(() => later.length >= 3, `${name}: the 3 new records`);
    await resumed.close();
    await resuming;
    expect(later.sort((a, b) => a - b)).toEqual([20, 21, 22]);
  });

  it('fails with the problem when the topic does not exist', async () => {
    const stream = new EventStream(proxied, { topic: 'sse-no-such-topic', ...transport });
    await expect(stream.run(() => undefined)).rejects.toMatchObject({
      code: 'UNKNOWN_TOPIC_OR_PARTITION',
      retriable: false,
    });
  });
});

it('pauses EventSource when its queue is full, and reopens from the cursor once drained', async () => {
  await client.createTopic({ name: 'sse-pause' });
  const total = CLIENT_DEFAULTS.sseQueueRecordsMax + 500;
  await client.produce(
    'sse-pause',
    Array.from({ length: total }, (_, value) => ({ value })),
  );
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let connects = 0;
  const seen: FetchedRecord[] = [];
  const stream = new EventStream(proxied, {
    topic: 'sse-pause',
    from: 'earliest',
    transport: 'eventsource',
    EventSource,
    onConnect: () => (connects += 1),
    onDisconnect: (error) => {
      throw error;
    },
  });
  const running = stream.run(async (record) => {
    if (seen.length === 0) await released; // the handler stalls while EventSource reads on
    seen.push(record);
  });
  try {
    await waitUntil(() => connects >= 1, 'open');
    // The queue fills while the handler stalls: the stream closes; then the handler goes on.
    await waitUntil(
      () => stream.queuedRecords > CLIENT_DEFAULTS.sseQueueRecordsMax,
      'a full queue',
      20_000,
    );
    expect(stream.queuedRecords).toBe(CLIENT_DEFAULTS.sseQueueRecordsMax + 1);
    release();
    await waitUntil(() => seen.length >= total, `${total} records`, 20_000);
  } finally {
    release();
    await stream.close();
  }
  await running;
  expect(connects).toBeGreaterThanOrEqual(2);
  expectDense(seen);
});

it('reads as a group member, whose positions outlive the stream', async () => {
  await client.createTopic({ name: 'sse-group', partitions: 2 });
  await produce('sse-group', 0, 6);
  const read = async (count: number) => {
    const values: number[] = [];
    let assigned: number[] = [];
    const stream = new EventStream(proxied, {
      topic: 'sse-group',
      group: 'sse-members',
      from: 'earliest',
      onAssignment: (assignment) => (assigned = assignment.partitions),
    });
    const running = stream.run((record) => {
      values.push(record.value as number);
    });
    await waitUntil(() => values.length >= count, `${count} records`);
    await stream.close();
    await running;
    expect(assigned.sort()).toEqual([0, 1]);
    return values.sort((a, b) => a - b);
  };
  expect(await read(6)).toEqual([0, 1, 2, 3, 4, 5]);
  await produce('sse-group', 6, 2);
  expect(await read(2)).toEqual([6, 7]);
});
