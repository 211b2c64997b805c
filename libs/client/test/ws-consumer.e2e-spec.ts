// The WebSocket consumer against a real node, through a TCP proxy that can drop every
// connection: records in frames no larger than the credit, a reconnection with a fresh ticket
// that resumes every partition after the last record handled (no record twice, none skipped),
// and a group subscription whose commits outlive the connection.
import { waitUntil } from '@tributary/common';
import {
  type GroupRecord,
  TributaryClient,
  type TributaryError,
  WsConsumer,
} from '@tributary/client';
import WebSocket from 'ws';
import { FaultProxy } from '../../../test/support/fault-proxy';
import { startTenantNode, type TenantNode } from '../../../test/support/tenant-node';

let node: TenantNode;
let client: TributaryClient;
let proxy: FaultProxy;
/** The client through the proxy. */
let proxied: TributaryClient;

beforeAll(async () => {
  node = await startTenantNode();
  client = new TributaryClient({ url: node.url, apiKey: node.key });
  proxy = await FaultProxy.start({ host: '127.0.0.1', port: Number(new URL(node.url).port) });
  proxied = new TributaryClient({
    url: `http://127.0.0.1:${proxy.port}`,
    apiKey: node.key,
    WebSocket,
  });
}, 90_000);
afterAll(async () => {
  await proxy?.close();
  await node?.stop();
});

async function produce(topic: string, from: number, count: number): Promise<void> {
  const values = Array.from({ length: count }, (_, i) => from + i);
  await client.produce(
    topic,
    values.map((value) => ({ key: `k${value % 7}`, value })),
  );
}

/** Per partition, the offsets seen, in the order seen. */
function byPartition(records: GroupRecord[]): Map<number, number[]> {
  const offsets = new Map<number, number[]>();
  for (const record of records) {
    offsets.set(record.partition, [...(offsets.get(record.partition) ?? []), record.offset]);
  }
  return offsets;
}

it('resumes after the connection drops, after the last record handled', async () => {
  await client.createTopic({ name: 'ws-resume', partitions: 2 });
  await produce('ws-resume', 0, 20);
  const seen: GroupRecord[] = [];
  const frames: number[] = [];
  const disconnects: TributaryError[] = [];
  let dropped = false;
  const consumer = new WsConsumer(proxied, {
    topic: 'ws-resume',
    from: 'earliest',
    credit: 3,
    onDisconnect: (error) => disconnects.push(error),
  });
  const running = consumer.run((records) => {
    seen.push(...records);
    frames.push(records.length);
    if (seen.length >= 8 && !dropped) {
      dropped = true;
      proxy.dropAll();
    }
  });
  try {
    await waitUntil(() => disconnects.length > 0, 'the drop seen');
    await produce('ws-resume', 20, 10);
    await waitUntil(() => seen.length >= 30, '30 records', 20_000);
  } finally {
    await consumer.close();
  }
  await running;

  expect(disconnects[0]).toMatchObject({ code: 'CONNECTION_CLOSED', retriable: true });
  expect(Math.max(...frames)).toBeLessThanOrEqual(3);
  expect(seen).toHaveLength(30);
  const offsets = byPartition(seen);
  const positions: Record<number, number> = {};
  for (const [partition, list] of offsets) {
    expect(list).toEqual(list.map((_, i) => i));
    positions[partition] = list.length;
  }
  expect(consumer.positions()).toEqual(positions);
});

it('starts from positions of its own, and from latest', async () => {
  await client.createTopic({ name: 'ws-start' });
  await produce('ws-start', 0, 5);
  const seen: number[] = [];
  const consumer = new WsConsumer(proxied, { topic: 'ws-start', from: { positions: { 0: 3 } } });
  const running = consumer.run((records) => {
    seen.push(...records.map((r) => r.offset));
  });
  await waitUntil(() => seen.length >= 2, 'offsets 3 and 4');
  await consumer.close();
  await running;
  expect(seen).toEqual([3, 4]);

  const latest: number[] = [];
  let connected = false;
  const tail = new WsConsumer(proxied, { topic: 'ws-start', onConnect: () => (connected = true) });
  const tailing = tail.run((records) => {
    latest.push(...records.map((r) => r.offset));
  });
  await waitUntil(() => connected, 'subscribed');
  await produce('ws-start', 5, 1);
  await waitUntil(() => latest.length >= 1, 'the new record');
  await tail.close();
  await tailing;
  expect(latest).toEqual([5]);
});

it('commits a group subscription after the handler, across connections', async () => {
  await client.createTopic({ name: 'ws-group', partitions: 2 });
  await produce('ws-group', 0, 10);
  /** A member until it has `count` records and the group committed `committed` in all. */
  const run = async (count: number, committed: number) => {
    const seen: GroupRecord[] = [];
    const consumer = new WsConsumer(proxied, {
      topic: 'ws-group',
      group: 'ws-members',
      from: 'earliest',
    });
    const running = consumer.run((records) => {
      seen.push(...records);
    });
    await waitUntil(() => seen.length >= count, `${count} records`);
    await waitUntil(async () => {
      const { offsets } = await client.describeGroup('ws-members');
      return offsets.reduce((sum, o) => sum + (o.committedOffset ?? 0), 0) === committed;
    }, `${committed} committed`);
    await consumer.close();
    await running;
    return seen.map((r) => r.value as number).sort((a, b) => a - b);
  };
  expect(await run(10, 10)).toEqual(Array.from({ length: 10 }, (_, i) => i));
  await produce('ws-group', 10, 2);
  expect(await run(2, 12)).toEqual([10, 11]);
});

it('fails with the problem when the topic does not exist', async () => {
  const consumer = new WsConsumer(proxied, { topic: 'ws-no-such-topic' });
  await expect(consumer.run(() => undefined)).rejects.toMatchObject({
    code: 'UNKNOWN_TOPIC_OR_PARTITION',
    retriable: false,
  });
});
