import { randomUUID } from 'node:crypto';
import { AssertionError } from '@tributary/common';
import { openTestStore, TEST_DATABASE_KINDS, type TestStore, soleReplicas } from './test-databases';
import { type Tenant, type Topic } from './types';

describe.each(TEST_DATABASE_KINDS)('GroupOffsetRepository on %s', (kind) => {
  let t: TestStore;
  let tenant: Tenant;
  let orders: Topic;
  let payments: Topic;
  let foreign: Topic;
  let n = 0;
  const group = () => `group-${++n}`;

  beforeAll(async () => {
    t = await openTestStore(kind);
    tenant = await t.store.tenants.create({ name: 'offsets' });
    const topic = (tenantId: string, name: string, partitionCount: number) =>
      t.store.topics
        .create({
          tenantId,
          name,
          partitionCount,
          replicationFactor: 1,
          replicas: soleReplicas(0, partitionCount),
        })
        .then((created) => created.topic);
    orders = await topic(tenant.id, 'orders', 3);
    payments = await topic(tenant.id, 'payments', 1);
    const other = await t.store.tenants.create({ name: 'other' });
    foreign = await topic(other.id, 'orders', 3);
  });
  afterAll(() => t.cleanup());

  it('commits many offsets at once and fetches them by group and topic', async () => {
    const g = group();
    await t.store.groupOffsets.commit(tenant.id, g, [
      { topicId: orders.id, partition: 2, offset: 20 },
      { topicId: orders.id, partition: 0, offset: 0, metadata: 'm' },
      { topicId: payments.id, partition: 0, offset: 2 ** 53 - 1 },
    ]);
    const fetched = await t.store.groupOffsets.fetch(tenant.id, g);
    const at = t.clock.nowMs();
    const sorted = [...fetched].sort((a, b) =>
      a.topicId === b.topicId ? a.partition - b.partition : a.topicId < b.topicId ? -1 : 1,
    );
    expect(fetched).toEqual(sorted);
    expect(fetched).toHaveLength(3);
    expect(fetched).toEqual(
      expect.arrayContaining([
        {
          tenantId: tenant.id,
          groupId: g,
          topicId: orders.id,
          partition: 0,
          offset: 0,
          metadata: 'm',
          updatedAtMs: at,
        },
        {
          tenantId: tenant.id,
          groupId: g,
          topicId: orders.id,
          partition: 2,
          offset: 20,
          metadata: null,
          updatedAtMs: at,
        },
        {
          tenantId: tenant.id,
          groupId: g,
          topicId: payments.id,
          partition: 0,
          offset: 2 ** 53 - 1,
          metadata: null,
          updatedAtMs: at,
        },
      ]),
    );
    expect(
      (await t.store.groupOffsets.fetch(tenant.id, g, orders.id)).map((o) => o.partition),
    ).toEqual([0, 2]);
  });

  it('overwrites a committed offset', async () => {
    const g = group();
    await t.store.groupOffsets.commit(tenant.id, g, [
      { topicId: orders.id, partition: 1, offset: 5 },
    ]);
    t.clock.advance(10);
    await t.store.groupOffsets.commit(tenant.id, g, [
      { topicId: orders.id, partition: 1, offset: 9, metadata: 'again' },
    ]);
    expect(await t.store.groupOffsets.fetch(tenant.id, g)).toEqual([
      expect.objectContaining({ offset: 9, metadata: 'again', updatedAtMs: t.clock.nowMs() }),
    ]);
  });

  it('stores nothing from a commit that names a partition that does not exist', async () => {
    const g = group();
    for (const bad of [
      { topicId: orders.id, partition: 3, offset: 1 },
      { topicId: randomUUID(), partition: 0, offset: 1 },
      { topicId: 'nope', partition: 0, offset: 1 },
      { topicId: foreign.id, partition: 0, offset: 1 }, // another tenant's topic
    ]) {
      await expect(
        t.store.groupOffsets.commit(tenant.id, g, [
          { topicId: orders.id, partition: 0, offset: 1 },
          bad,
        ]),
      ).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    }
    expect(await t.store.groupOffsets.fetch(tenant.id, g)).toEqual([]);
  });

  it('refuses bad group ids and metadata, and asserts on bad offsets', async () => {
    const ok = { topicId: orders.id, partition: 0, offset: 1 };
    await expect(t.store.groupOffsets.commit(tenant.id, '', [ok])).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
    await expect(
      t.store.groupOffsets.commit(tenant.id, 'x'.repeat(256), [ok]),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    for (const groupId of ['\u0000', 'g\u0001', 'g\u009f', 'g\udfff']) {
      await expect(t.store.groupOffsets.commit(tenant.id, groupId, [ok])).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
      });
    }
    for (const metadata of ['m'.repeat(4097), 'a\u0000b']) {
      await expect(
        t.store.groupOffsets.commit(tenant.id, group(), [{ ...ok, metadata }]),
      ).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    }
    for (const offset of [-1, 1.5, 2 ** 53]) {
      await expect(
        t.store.groupOffsets.commit(tenant.id, group(), [{ ...ok, offset }]),
      ).rejects.toThrow(AssertionError);
    }
  });

  it('lists the groups with offsets and deletes a group', async () => {
    const other = await t.store.tenants.create({ name: `lister-${n}` });
    const { topic } = await t.store.topics.create({
      tenantId: other.id,
      name: 't',
      partitionCount: 1,
      replicationFactor: 1,
      replicas: soleReplicas(0, 1),
    });
    for (const g of ['b', 'a', 'c']) {
      await t.store.groupOffsets.commit(other.id, g, [
        { topicId: topic.id, partition: 0, offset: 1 },
      ]);
    }
    expect(await t.store.groupOffsets.listGroups(other.id)).toEqual(['a', 'b', 'c']);
    expect(await t.store.groupOffsets.deleteGroup(other.id, 'b')).toBe(1);
    expect(await t.store.groupOffsets.deleteGroup(other.id, 'b')).toBe(0);
    expect(await t.store.groupOffsets.listGroups(other.id)).toEqual(['a', 'c']);
    expect(await t.store.groupOffsets.listGroups(tenant.id)).not.toContain('a');
  });

  it('drops a topic’s offsets with the topic', async () => {
    const { topic } = await t.store.topics.create({
      tenantId: tenant.id,
      name: 'short-lived',
      partitionCount: 1,
      replicationFactor: 1,
      replicas: soleReplicas(0, 1),
    });
    const g = group();
    await t.store.groupOffsets.commit(tenant.id, g, [
      { topicId: topic.id, partition: 0, offset: 3 },
    ]);
    await t.store.topics.delete(tenant.id, 'short-lived');
    expect(await t.store.groupOffsets.fetch(tenant.id, g)).toEqual([]);
  });
});
