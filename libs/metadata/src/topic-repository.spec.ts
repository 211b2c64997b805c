import { randomUUID } from 'node:crypto';
import { openTestStore, TEST_DATABASE_KINDS, type TestStore, soleReplicas } from './test-databases';
import { type Tenant } from './types';

const NODE = 7;

describe.each(TEST_DATABASE_KINDS)('TopicRepository on %s', (kind) => {
  let t: TestStore;
  let tenant: Tenant;
  let n = 0;
  const unique = (prefix: string) => `${prefix}.${++n}`;
  const create = (name: string, partitionCount = 1, configs?: Record<string, string>) =>
    t.store.topics.create({
      tenantId: tenant.id,
      name,
      partitionCount,
      replicationFactor: 1,
      replicas: soleReplicas(NODE, partitionCount),
      ...(configs === undefined ? {} : { configs }),
    });

  beforeAll(async () => {
    t = await openTestStore(kind);
    tenant = await t.store.tenants.create({ name: 'topics' });
  });
  afterAll(() => t.cleanup());

  it('creates a topic with its partitions, led by the given node at epoch 0', async () => {
    const name = unique('orders');
    const created = await create(name, 3, { 'retention.ms': '60000' });
    expect(created.topic).toEqual({
      id: expect.any(String),
      tenantId: tenant.id,
      name,
      partitionCount: 3,
      replicationFactor: 1,
      configs: { 'retention.ms': '60000' },
      createdAtMs: t.clock.nowMs(),
      updatedAtMs: t.clock.nowMs(),
    });
    expect(created.partitions).toEqual(
      [0, 1, 2].map((partition) => ({
        topicId: created.topic.id,
        partition,
        leader: NODE,
        leaderEpoch: 0,
        replicas: [NODE],
        isr: [NODE],
        version: 0,
        targetReplicas: [],
      })),
    );
    expect(await t.store.topics.get(created.topic.id)).toEqual(created);
    expect(await t.store.topics.getByName(tenant.id, name)).toEqual(created);
    expect(await t.store.topics.listByTenant(tenant.id)).toContainEqual(created.topic);
    expect(t.store.cache.topicByName(tenant.id, name)).toEqual(created.topic);
    expect(t.store.cache.partitions(created.topic.id)).toEqual(created.partitions);
  });

  it('refuses a second topic with the same name in a tenant, not in another', async () => {
    const name = unique('dup');
    await create(name);
    await expect(create(name, 2)).rejects.toMatchObject({
      code: 'TOPIC_ALREADY_EXISTS',
      status: 409,
    });
    const other = await t.store.tenants.create({ name: `other-${n}` });
    await expect(
      t.store.topics.create({
        tenantId: other.id,
        name,
        partitionCount: 1,
        replicationFactor: 1,
        replicas: soleReplicas(NODE, 1),
      }),
    ).resolves.toMatchObject({ topic: { name, tenantId: other.id } });
    // The failed attempt left no partition rows behind.
    const kept = await t.store.topics.getByName(tenant.id, name);
    expect(kept?.partitions).toHaveLength(1);
  });

  it.each([
    ['INVALID_TOPIC', 'an empty name', { name: '' }],
    ['INVALID_TOPIC', '"."', { name: '.' }],
    ['INVALID_TOPIC', '".."', { name: '..' }],
    ['INVALID_TOPIC', 'a slash', { name: 'a/b' }],
    ['INVALID_TOPIC', '250 characters', { name: 'a'.repeat(250) }],
    ['INVALID_PARTITIONS', '0 partitions', { partitionCount: 0 }],
    ['INVALID_PARTITIONS', '1.5 partitions', { partitionCount: 1.5 }],
    ['INVALID_PARTITIONS', '10001 partitions', { partitionCount: 10_001 }],
    ['INVALID_REQUEST', 'replication factor 0', { replicationFactor: 0 }],
    ['INVALID_CONFIG', 'a non-string config', { configs: { 'retention.ms': 1 } }],
    ['INVALID_CONFIG', 'configs as an array', { configs: [] }],
    ['UNKNOWN_TENANT', 'an unknown tenant', { tenantId: randomUUID() }],
    ['UNKNOWN_TENANT', 'a malformed tenant id', { tenantId: 'acme' }],
  ])('answers %s for %s', async (code, _case, override) => {
    const input = {
      tenantId: tenant.id,
      name: unique('bad'),
      partitionCount: 1,
      replicationFactor: 1,
      replicas: soleReplicas(NODE, 1),
      ...override,
    };
    await expect(t.store.topics.create(input as never)).rejects.toMatchObject({ code });
  });

  it('accepts 249 characters of [a-zA-Z0-9._-]', async () => {
    const name = `A-z_0.9${'x'.repeat(242)}`;
    await expect(create(name)).resolves.toMatchObject({ topic: { name } });
  });

  it('adds partitions, and only adds', async () => {
    const name = unique('grow');
    const { topic } = await create(name, 2);
    t.clock.advance(1_000);
    const grown = await t.store.topics.addPartitions({
      tenantId: tenant.id,
      name,
      partitionCount: 4,
      place: (from, to) => soleReplicas(NODE + 1, to - from),
    });
    expect(grown.topic).toMatchObject({ partitionCount: 4, updatedAtMs: t.clock.nowMs() });
    expect(grown.partitions.map((p) => [p.partition, p.leader])).toEqual([
      [0, NODE],
      [1, NODE],
      [2, NODE + 1],
      [3, NODE + 1],
    ]);
    expect(t.store.cache.topic(topic.id)?.partitionCount).toBe(4);
    expect(t.store.cache.partitions(topic.id)).toEqual(grown.partitions);
    for (const partitionCount of [4, 3]) {
      await expect(
        t.store.topics.addPartitions({
          tenantId: tenant.id,
          name,
          partitionCount,
          place: (from, to) => soleReplicas(NODE, to - from),
        }),
      ).rejects.toMatchObject({ code: 'INVALID_PARTITIONS' });
    }
  });

  it('serialises concurrent partition additions to the same topic', async () => {
    const name = unique('race');
    await create(name, 1);
    const add = (partitionCount: number) =>
      t.store.topics
        .addPartitions({
          tenantId: tenant.id,
          name,
          partitionCount,
          place: (from, to) => soleReplicas(NODE, to - from),
        })
        .then(
          () => 'ok',
          (error: { code?: string }) => error.code,
        );
    const outcomes = await Promise.all([add(3), add(5), add(4)]);
    expect(outcomes.every((o) => o === 'ok' || o === 'INVALID_PARTITIONS')).toBe(true);
    const final = await t.store.topics.getByName(tenant.id, name);
    expect(final?.topic.partitionCount).toBe(5);
    expect(final?.partitions.map((p) => p.partition)).toEqual([0, 1, 2, 3, 4]);
  });

  it('sets and removes explicit configs, keeping the others', async () => {
    const name = unique('cfg');
    await create(name, 1, { 'retention.ms': '1000', 'cleanup.policy': 'delete' });
    const updated = await t.store.topics.updateConfigs(tenant.id, name, {
      'retention.ms': '2000',
      'cleanup.policy': null,
      durability: 'replicated',
    });
    expect(updated.configs).toEqual({ 'retention.ms': '2000', durability: 'replicated' });
    expect(t.store.cache.topicByName(tenant.id, name)?.configs).toEqual(updated.configs);
    expect((await t.store.topics.getByName(tenant.id, name))?.topic.configs).toEqual(
      updated.configs,
    );
    await expect(
      t.store.topics.updateConfigs(tenant.id, name, { 'retention.ms': 5 as never }),
    ).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });

  it('deletes a topic with its partitions', async () => {
    const name = unique('del');
    const { topic } = await create(name, 2);
    expect(await t.store.topics.delete(tenant.id, name)).toMatchObject({ id: topic.id });
    expect(await t.store.topics.get(topic.id)).toBeUndefined();
    expect(await t.store.partitions.listByTopic(topic.id)).toEqual([]);
    expect(t.store.cache.topic(topic.id)).toBeUndefined();
    expect(t.store.cache.topicByName(tenant.id, name)).toBeUndefined();
    expect(t.store.cache.partitions(topic.id)).toEqual([]);
    await expect(create(name)).resolves.toMatchObject({ topic: { name } });
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION for a topic that does not exist', async () => {
    const name = unique('missing');
    const other = await t.store.tenants.create({ name: `elsewhere-${n}` });
    await t.store.topics.create({
      tenantId: other.id,
      name,
      partitionCount: 1,
      replicationFactor: 1,
      replicas: soleReplicas(NODE, 1),
    });
    // Another tenant's topic answers as a missing one.
    for (const tenantId of [tenant.id, 'not-a-uuid']) {
      const calls = [
        t.store.topics.addPartitions({
          tenantId,
          name,
          partitionCount: 2,
          place: (from, to) => soleReplicas(NODE, to - from),
        }),
        t.store.topics.updateConfigs(tenantId, name, {}),
        t.store.topics.delete(tenantId, name),
      ];
      // Awaited together: the calls run at once, and one settling before another is awaited
      // would be an unhandled rejection.
      await Promise.all(
        calls.map((call) =>
          expect(call).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' }),
        ),
      );
      expect(await t.store.topics.getByName(tenantId, name)).toBeUndefined();
    }
  });
});
