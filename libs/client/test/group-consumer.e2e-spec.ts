// The group consumer against a real node: records handed to the handler and committed after
// it, a reopened member resuming after the commits, a member removed under it rejoining, and a
// handler that throws ending the loop without committing its batch.
import { waitUntil } from '@tributary/common';
import {
  GroupConsumer,
  type GroupRecord,
  TributaryClient,
  type TributaryError,
} from '@tributary/client';
import { startTenantNode, type TenantNode } from '../../../test/support/tenant-node';

let node: TenantNode;
let client: TributaryClient;

beforeAll(async () => {
  node = await startTenantNode();
  client = new TributaryClient({ url: node.url, apiKey: node.key });
}, 90_000);
afterAll(() => node?.stop());

async function produce(topic: string, values: number[]): Promise<void> {
  await client.produce(
    topic,
    values.map((value) => ({ key: `k${value}`, value })),
  );
}

/** Runs a consumer until it has `count` records, then closes it. */
async function consume(group: string, topic: string, count: number): Promise<GroupRecord[]> {
  const seen: GroupRecord[] = [];
  const consumer = new GroupConsumer(client, group, {
    topics: [topic],
    autoOffsetReset: 'earliest',
    maxWaitMs: 1_000,
  });
  const running = consumer.run((records) => {
    seen.push(...records);
  });
  await Promise.race([waitUntil(() => seen.length >= count, `${count} records`, 20_000), running]);
  await consumer.close();
  await running;
  return seen;
}

it('commits after the handler and resumes after close and reopen', async () => {
  await client.createTopic({ name: 'group-resume', partitions: 2 });
  await produce('group-resume', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const first = await consume('resumers', 'group-resume', 10);
  expect(first.map((r) => r.value).sort((a, b) => Number(a) - Number(b))).toEqual([
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
  ]);
  const described = await client.describeGroup('resumers');
  expect(described.members).toEqual([]);
  expect(described.offsets.map((o) => o.lag)).toEqual([0, 0]);
  expect(described.offsets.reduce((sum, o) => sum + (o.committedOffset ?? 0), 0)).toBe(10);

  await produce('group-resume', [10, 11, 12]);
  const second = await consume('resumers', 'group-resume', 3);
  expect(second.map((r) => r.value).sort((a, b) => Number(a) - Number(b))).toEqual([10, 11, 12]);
});

it('joins again when the server no longer knows the member', async () => {
  await client.createTopic({ name: 'group-rejoin' });
  const seen: number[] = [];
  const errors: TributaryError[] = [];
  const consumer = new GroupConsumer(client, 'rejoiners', {
    topics: ['group-rejoin'],
    autoOffsetReset: 'earliest',
    maxWaitMs: 10_000,
    onError: (error) => errors.push(error),
  });
  const running = consumer.run((records) => {
    seen.push(...records.map((r) => r.value as number));
  });
  await waitUntil(() => consumer.memberId !== undefined, 'joined');
  const removed = consumer.memberId!;
  // Removed from outside, as an expired session would be: its long-poll learns it.
  await client.leaveGroup('rejoiners', removed);
  await waitUntil(() => errors.some((e) => e.code === 'UNKNOWN_MEMBER'), 'UNKNOWN_MEMBER seen');
  await produce('group-rejoin', [1, 2]);
  await waitUntil(() => seen.length >= 2, 'records after the rejoin');
  expect(consumer.memberId).not.toBe(removed);
  await consumer.close();
  await running;
  expect(seen).toEqual([1, 2]);
});

it('ends the loop when the handler throws, leaving its batch uncommitted', async () => {
  await client.createTopic({ name: 'group-failure' });
  await produce('group-failure', [1, 2, 3]);
  const consumer = new GroupConsumer(client, 'failers', {
    topics: ['group-failure'],
    autoOffsetReset: 'earliest',
  });
  await expect(
    consumer.run(() => {
      throw new Error('cannot handle these');
    }),
  ).rejects.toThrow('cannot handle these');
  // It left, having committed nothing: the group is gone, and the next member gets the batch.
  await expect(client.describeGroup('failers')).rejects.toMatchObject({ code: 'UNKNOWN_GROUP' });
  const again = await consume('failers', 'group-failure', 3);
  expect(again.map((r) => r.value)).toEqual([1, 2, 3]);
});

it('says when a poll found nothing, for callers that stop at the end', async () => {
  await client.createTopic({ name: 'group-idle' });
  await produce('group-idle', [1]);
  const seen: number[] = [];
  const consumer = new GroupConsumer(client, 'idlers', {
    topics: ['group-idle'],
    autoOffsetReset: 'earliest',
    maxWaitMs: 200,
    onIdle: () => void consumer.close(),
  });
  await consumer.run((records) => {
    seen.push(...records.map((r) => r.value as number));
  });
  expect(seen).toEqual([1]);
});

it('heartbeats while the handler works, so a slow handler keeps its session', async () => {
  await client.createTopic({ name: 'group-slow' });
  await produce('group-slow', [1]);
  const errors: TributaryError[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let handling = false;
  const consumer = new GroupConsumer(client, 'slow', {
    topics: ['group-slow'],
    autoOffsetReset: 'earliest',
    sessionTimeoutMs: 1_000,
    maxWaitMs: 0,
    onError: (error) => errors.push(error),
  });
  const running = consumer.run(async () => {
    handling = true;
    await released;
  });
  try {
    await waitUntil(() => handling, 'the handler started');
    // The session (1 s) moves forward by heartbeats alone, for two of its lengths, while the
    // handler waits (the poll that fetched the batch waited 0 ms: it bought no time).
    const deadlines: number[] = [];
    await waitUntil(
      async () => {
        const member = (await client.describeGroup('slow')).members[0];
        if (member !== undefined) deadlines.push(Date.parse(member.sessionExpiresAt));
        return deadlines.length > 0 && Math.max(...deadlines) - deadlines[0]! >= 2_000;
      },
      'the session pushed forward by 2 s',
      20_000,
    );
    release();
    await waitUntil(async () => {
      const offsets = (await client.describeGroup('slow')).offsets;
      return offsets[0]?.committedOffset === 1;
    }, 'the commit');
  } finally {
    release();
    await consumer.close();
    await running.catch(() => undefined);
  }
  expect(errors).toEqual([]);
});
