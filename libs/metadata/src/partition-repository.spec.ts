import { randomUUID } from 'node:crypto';
import { AssertionError } from '@tributary/common';
import { openTestStore, TEST_DATABASE_KINDS, type TestStore } from './test-databases';
import { type Topic } from './types';

describe.each(TEST_DATABASE_KINDS)('PartitionRepository on %s', (kind) => {
  let t: TestStore;
  let topic: Topic;

  beforeAll(async () => {
    t = await openTestStore(kind);
    const tenant = await t.store.tenants.create({ name: 'partitions' });
    ({ topic } = await t.store.topics.create({
      tenantId: tenant.id,
      name: 'p',
      partitionCount: 4,
      replicationFactor: 3,
      replicas: [
        [1, 2, 3],
        [1, 2, 3],
        [1, 2, 3],
        [1, 2, 3],
      ],
    }));
  });
  afterAll(() => t.cleanup());

  it('applies a change at the expected version and bumps the version', async () => {
    const change = { leader: 2, leaderEpoch: 1, replicas: [1, 2, 3], isr: [2, 3] };
    const result = await t.store.partitions.compareAndSet(topic.id, 0, 0, change);
    const expected = { topicId: topic.id, partition: 0, ...change, version: 1, targetReplicas: [] };
    expect(result).toEqual({ applied: true, partition: expected });
    expect(await t.store.partitions.get(topic.id, 0)).toEqual(expected);
    expect(t.store.cache.partition(topic.id, 0)).toEqual(expected);
    // A reassignment's target is kept until a change sets it again.
    const moving = { ...change, targetReplicas: [3, 4] };
    await t.store.partitions.compareAndSet(topic.id, 0, 1, moving);
    await t.store.partitions.compareAndSet(topic.id, 0, 2, change);
    expect((await t.store.partitions.get(topic.id, 0))?.targetReplicas).toEqual([3, 4]);
    await t.store.partitions.compareAndSet(topic.id, 0, 3, { ...change, targetReplicas: [] });
    expect((await t.store.partitions.get(topic.id, 0))?.targetReplicas).toEqual([]);
  });

  it('applies nothing at a stale version and returns the current state', async () => {
    const first = { leader: 1, leaderEpoch: 1, replicas: [1, 2], isr: [1, 2] };
    await t.store.partitions.compareAndSet(topic.id, 1, 0, first);
    const stale = { leader: 2, leaderEpoch: 1, replicas: [1, 2], isr: [2] };
    const result = await t.store.partitions.compareAndSet(topic.id, 1, 0, stale);
    expect(result).toEqual({
      applied: false,
      current: { topicId: topic.id, partition: 1, ...first, version: 1, targetReplicas: [] },
    });
  });

  it('lets exactly one of concurrent writers at the same version win', async () => {
    const attempts = [1, 2, 3].map((leader) =>
      t.store.partitions.compareAndSet(topic.id, 2, 0, {
        leader,
        leaderEpoch: 1,
        replicas: [1, 2, 3],
        isr: [leader],
      }),
    );
    const results = await Promise.all(attempts);
    const winners = results.filter((r) => r.applied);
    expect(winners).toHaveLength(1);
    const stored = await t.store.partitions.get(topic.id, 2);
    expect(stored?.version).toBe(1);
    expect(winners[0]).toEqual({ applied: true, partition: stored });
    expect(t.store.cache.partition(topic.id, 2)).toEqual(stored);
  });

  it('refreshes the cache from a conflict when another node changed the row', async () => {
    await t.database.prisma.partition.update({
      where: { topicId_partition: { topicId: topic.id, partition: 3 } },
      data: { leader: 3, leaderEpoch: 4, replicas: [1, 3], isr: [3], version: 9 },
    });
    expect(t.store.cache.partition(topic.id, 3)?.version).toBe(0); // stale
    const result = await t.store.partitions.compareAndSet(topic.id, 3, 0, {
      leader: 1,
      leaderEpoch: 1,
      replicas: [1],
      isr: [1],
    });
    expect(result.applied).toBe(false);
    expect(t.store.cache.partition(topic.id, 3)).toMatchObject({ leaderEpoch: 4, version: 9 });
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION for a partition that does not exist', async () => {
    const change = { leader: 1, leaderEpoch: 0, replicas: [1], isr: [1] };
    for (const [topicId, partition] of [
      [topic.id, 4],
      [randomUUID(), 0],
      ['nope', 0],
    ] as const) {
      await expect(
        t.store.partitions.compareAndSet(topicId, partition, 0, change),
      ).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
      expect(await t.store.partitions.get(topicId, partition)).toBeUndefined();
    }
  });

  it.each([
    ['an isr outside the replicas', { leader: 1, leaderEpoch: 9, replicas: [1], isr: [1, 2] }],
    ['a leader outside the isr', { leader: 2, leaderEpoch: 9, replicas: [1, 2], isr: [1] }],
    ['no replicas', { leader: -1, leaderEpoch: 9, replicas: [], isr: [] }],
    ['a repeated replica', { leader: 1, leaderEpoch: 9, replicas: [1, 1], isr: [1] }],
    ['a negative epoch', { leader: 1, leaderEpoch: -1, replicas: [1], isr: [1] }],
  ])('asserts against %s', async (_case, change) => {
    await expect(t.store.partitions.compareAndSet(topic.id, 0, 1, change)).rejects.toThrow(
      AssertionError,
    );
  });

  it('asserts that the leader epoch never goes back', async () => {
    const current = (await t.store.partitions.get(topic.id, 0))!;
    await expect(
      t.store.partitions.compareAndSet(topic.id, 0, current.version, {
        leader: 1,
        leaderEpoch: current.leaderEpoch - 1,
        replicas: [1],
        isr: [1],
      }),
    ).rejects.toThrow(/leader epoch .* would go back/);
    expect(await t.store.partitions.get(topic.id, 0)).toEqual(current);
  });

  it('allows no leader (-1) with an empty isr', async () => {
    const current = (await t.store.partitions.get(topic.id, 1))!;
    const result = await t.store.partitions.compareAndSet(topic.id, 1, current.version, {
      leader: -1,
      leaderEpoch: current.leaderEpoch + 1,
      replicas: [...current.replicas],
      isr: [],
    });
    expect(result).toMatchObject({ applied: true, partition: { leader: -1, isr: [] } });
  });
});
