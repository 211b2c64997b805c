// One suite for every BrokerClient: the PartitionManager called in-process, the same manager
// called over the internal RPC (RemoteBroker), and the routing client of another node that
// forwards to it. The manager is inspected directly (parked waiters) in all three.
import { resolveTopicConfig, waitUntil } from '@tributary/common';
import { decodeRecordBatches, encodeRecordBatch } from '@tributary/protocol';
import { LogManager, MemoryFileSystem } from '@tributary/storage';
import { type BrokerClient, only, type ProduceRequest } from './broker-client';
import { RemoteBroker, serveBroker } from './broker-rpc';
import { PartitionManager } from './partition-manager';
import { RoutingBrokerClient } from './routing-broker-client';
import { RpcClient } from './rpc-client';
import { RpcServer } from './rpc-server';
import { type TopicPartition } from './topic-partition';
import { WaitSet } from './wait-set';

const T0 = 1_700_000_000_000;
const tp: TopicPartition = { tenantId: 'tenant-a', topicId: 'topic-1', partition: 0 };

function batch(values: string[], timestamp = T0): Buffer {
  return encodeRecordBatch(
    values.map((v) => ({ value: Buffer.from(v) })),
    { defaultTimestampMs: timestamp },
  );
}

function values(records: Buffer, from = 0): string[] {
  return decodeRecordBatches(records).flatMap((b) =>
    b.records.filter((r) => r.offset >= from).map((r) => `${r.offset}:${r.value!.toString()}`),
  );
}

type Kind = 'in-process' | 'rpc' | 'routing';

describe.each<Kind>(['in-process', 'rpc', 'routing'])('BrokerClient (%s)', (kind) => {
  let logs: LogManager;
  let manager: PartitionManager;
  let client: BrokerClient;
  let server: RpcServer | undefined;
  let rpc: RpcClient | undefined;

  beforeEach(async () => {
    logs = await LogManager.open({
      dataDir: '/data',
      fs: new MemoryFileSystem(),
      retentionCheckIntervalMs: 0,
      checkpointIntervalMs: 0,
    });
    manager = new PartitionManager({ logs, nodeId: 1, maxParkedWaiters: 4 });
    await manager.host(tp, resolveTopicConfig({}), 0);
    client = manager;
    if (kind === 'in-process') return;
    server = await RpcServer.listen({
      host: '127.0.0.1',
      port: 0,
      hello: () => undefined,
      handle: serveBroker(manager),
    });
    rpc = new RpcClient({ host: '127.0.0.1', port: server.port, hello: () => ({}) });
    const remote = new RemoteBroker(rpc);
    client =
      kind === 'rpc'
        ? remote
        : new RoutingBrokerClient({
            // Node 2's view: node 1 leads every partition it hosts.
            leaderOf: (at) => (manager.partition(at) === undefined ? undefined : 1),
            brokerFor: () => remote,
          });
  });

  afterEach(async () => {
    rpc?.close();
    await server?.close();
    await manager.close();
    await logs.close();
  });

  const produce = async (request: ProduceRequest) => only(await client.produce([request]));
  const state = async (at: TopicPartition) => only(await client.states([at]));

  it('produces with acks=all and fetches what was written', async () => {
    const first = await produce({
      ...tp,
      batch: batch(['a', 'b']),
      acks: -1,
      timeoutMs: 1000,
    });
    const second = await produce({ ...tp, batch: batch(['c']), acks: 1, timeoutMs: 1000 });
    expect([first, second]).toEqual([
      { baseOffset: 0, lastOffset: 1 },
      { baseOffset: 2, lastOffset: 2 },
    ]);
    const fetched = await client.fetch({ ...tp, offset: 1, maxBytes: 1 << 20, maxWaitMs: 0 });
    expect(values(fetched.records, 1)).toEqual(['1:b', '2:c']);
    expect(fetched).toMatchObject({ nextOffset: 3, highWatermark: 3, logStartOffset: 0 });
    expect(await state(tp)).toMatchObject({
      leader: 1,
      leaderEpoch: 0,
      highWatermark: 3,
      logEndOffset: 3,
    });
  });

  it('parks a long-poll at the end and answers as soon as a record is appended', async () => {
    const polling = client.fetch({ ...tp, offset: 0, maxBytes: 1 << 20, maxWaitMs: 30_000 });
    // The poll is parked before anything is produced.
    await manager.waits.whenParked(1);
    await produce({ ...tp, batch: batch(['late']), acks: -1, timeoutMs: 1000 });
    const result = await polling;
    expect(values(result.records)).toEqual(['0:late']);
    await waitUntil(() => manager.waits.parkedCount === 0, 'the parked waiter is gone');
  });

  it('answers an empty list when the wait runs out, and at once without a wait', async () => {
    const empty = await client.fetch({ ...tp, offset: 0, maxBytes: 100, maxWaitMs: 0 });
    expect(empty.records.length).toBe(0);
    const timedOut = await client.fetch({ ...tp, offset: 0, maxBytes: 100, maxWaitMs: 20 });
    expect([timedOut.records.length, timedOut.nextOffset]).toEqual([0, 0]);
    await waitUntil(() => manager.waits.parkedCount === 0, 'the parked waiter is gone');
  });

  it('stops waiting when the caller goes away', async () => {
    const controller = new AbortController();
    const polling = client.fetch({
      ...tp,
      offset: 0,
      maxBytes: 100,
      maxWaitMs: 30_000,
      signal: controller.signal,
    });
    controller.abort();
    expect((await polling).records.length).toBe(0);
    await waitUntil(() => manager.waits.parkedCount === 0, 'the parked waiter is gone');
  });

  it('bounds parked long-polls with a retriable error', async () => {
    const controller = new AbortController();
    const parked = Array.from({ length: 4 }, () =>
      client.fetch({
        ...tp,
        offset: 0,
        maxBytes: 100,
        maxWaitMs: 30_000,
        signal: controller.signal,
      }),
    );
    await Promise.resolve();
    await expect(
      client.fetch({ ...tp, offset: 0, maxBytes: 100, maxWaitMs: 30_000 }),
    ).rejects.toMatchObject({
      code: 'BACKPRESSURE',
      retriable: true,
    });
    controller.abort();
    await Promise.all(parked);
  });

  it('refuses offsets past the high watermark and unknown partitions', async () => {
    await expect(
      client.fetch({ ...tp, offset: 5, maxBytes: 100, maxWaitMs: 1000 }),
    ).rejects.toMatchObject({
      code: 'OFFSET_OUT_OF_RANGE',
      extra: { logStartOffset: 0, highWatermark: 0 },
    });
    await expect(
      produce({ ...tp, partition: 9, batch: batch(['x']), acks: -1, timeoutMs: 10 }),
    ).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    // Another tenant naming the same topic id finds nothing.
    await expect(state({ ...tp, tenantId: 'tenant-b' })).rejects.toMatchObject({
      code: 'UNKNOWN_TOPIC_OR_PARTITION',
    });
  });

  it('finds offsets by earliest, latest and timestamp', async () => {
    await produce({ ...tp, batch: batch(['a', 'b'], T0), acks: -1, timeoutMs: 1000 });
    await produce({ ...tp, batch: batch(['c'], T0 + 1000), acks: -1, timeoutMs: 1000 });
    expect(await client.listOffset(tp, 'earliest')).toEqual({ offset: 0 });
    expect(await client.listOffset(tp, 'latest')).toEqual({ offset: 3 });
    expect(await client.listOffset(tp, { timestamp: T0 + 1 })).toEqual({
      offset: 2,
      timestamp: T0 + 1000,
    });
    expect(await client.listOffset(tp, { timestamp: T0 - 5 })).toEqual({
      offset: 0,
      timestamp: T0,
    });
    expect(await client.listOffset(tp, { timestamp: T0 + 5000 })).toEqual({ offset: 3 });
  });

  it('deletes records before an offset and removes data when unhosted', async () => {
    await produce({ ...tp, batch: batch(['a', 'b', 'c']), acks: -1, timeoutMs: 1000 });
    expect(await client.deleteRecords(tp, 2)).toBe(2);
    expect((await state(tp)).logStartOffset).toBe(2);
    await manager.unhost(tp, true);
    expect(manager.isHosted(tp)).toBe(false);
    expect(await logs.listOnDisk()).toEqual([]);
  });

  it('awaitRecords wakes on the first append to any watched partition, or says so at once', async () => {
    const tp1 = { ...tp, partition: 1 };
    await manager.host(tp1, resolveTopicConfig({}), 0);
    await produce({ ...tp, batch: batch(['a']), acks: 1, timeoutMs: 1000 });
    // A record already past a position: no wait at all.
    expect(await client.awaitRecords([{ ...tp, offset: 0 }], 60_000)).toBe('data');
    const waiting = client.awaitRecords(
      [
        { ...tp, offset: 1 },
        { ...tp1, offset: 0 },
      ],
      60_000,
    );
    await manager.waits.whenParked(1);
    await produce({ ...tp1, batch: batch(['b']), acks: 1, timeoutMs: 1000 });
    expect(await waiting).toBe('data');
    expect(await client.awaitRecords([{ ...tp1, offset: 1 }], 0)).toBe('timeout');
    const abort = new AbortController();
    const aborted = client.awaitRecords([{ ...tp1, offset: 1 }], 60_000, abort.signal);
    abort.abort();
    expect(await aborted).toBe('aborted');
    // A partition no longer hosted counts as news: the caller looks again.
    expect(await client.awaitRecords([{ ...tp, partition: 7, offset: 0 }], 60_000)).toBe('data');
  });
});

describe('WaitSet', () => {
  it('wakes only the waiters of the notified key', async () => {
    const waits = new WaitSet(10);
    const a = waits.wait(['a'], 10_000);
    const ab = waits.wait(['a', 'b'], 10_000);
    const c = waits.wait(['c'], 10);
    waits.notify('b');
    expect(await ab).toBe('data');
    expect(waits.parkedCount).toBe(2);
    waits.notify('a');
    expect(await a).toBe('data');
    expect(await c).toBe('timeout');
    expect(waits.parkedCount).toBe(0);
  });
});
