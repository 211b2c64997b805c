// The cache the hot path reads: loaded at open, written through by every repository write,
// reloaded for changes another node made.
import { ManualClock } from '@tributary/common';
import { hashSecret } from './api-key-repository';
import { openDatabase } from './database';
import { MetadataCache } from './metadata-cache';
import { MetadataStore } from './metadata-store';
import {
  openTestStore,
  prepareTestDatabase,
  TEST_DATABASE_KINDS,
  type TestStore,
  soleReplicas,
} from './test-databases';
import { TopicRepository } from './topic-repository';

describe.each(TEST_DATABASE_KINDS)('MetadataStore on %s', (kind) => {
  let t: TestStore;

  beforeAll(async () => {
    t = await openTestStore(kind);
  });
  afterAll(() => t.cleanup());

  it('keeps the cache equal to the database through every kind of write', async () => {
    const { store } = t;
    const tenant = await store.tenants.create({ name: 'fresh' });
    const key = await store.apiKeys.create({
      tenantId: tenant.id,
      name: 'k',
      secretHash: hashSecret('fresh'),
    });
    const { topic } = await store.topics.create({
      tenantId: tenant.id,
      name: 'orders',
      partitionCount: 1,
      replicationFactor: 1,
      replicas: soleReplicas(0, 1),
    });
    await store.tenants.setQuotas(tenant.id, { maxTopics: 5 });
    await store.topics.addPartitions({
      tenantId: tenant.id,
      name: 'orders',
      partitionCount: 2,
      place: (from, to) => soleReplicas(1, to - from),
    });
    await store.topics.updateConfigs(tenant.id, 'orders', { 'retention.ms': '1' });
    await store.partitions.compareAndSet(topic.id, 1, 0, {
      leader: 1,
      leaderEpoch: 1,
      replicas: [1],
      isr: [1],
    });
    await store.apiKeys.revoke(tenant.id, key.id);
    await expectCacheMatchesDatabase();

    await store.topics.delete(tenant.id, 'orders');
    await expectCacheMatchesDatabase();
    await store.tenants.delete(tenant.id);
    await expectCacheMatchesDatabase();
  });

  it('reloads changes another node made', async () => {
    const tenant = await t.store.tenants.create({ name: 'elsewhere' });
    // Another node: its own cache and repositories over the same database.
    const otherNode = new TopicRepository(t.database.prisma, new MetadataCache(), t.clock);
    const { topic } = await otherNode.create({
      tenantId: tenant.id,
      name: 'theirs',
      partitionCount: 2,
      replicationFactor: 1,
      replicas: soleReplicas(9, 2),
    });
    expect(t.store.cache.topic(topic.id)).toBeUndefined();
    await t.store.reload();
    expect(t.store.cache.topicByName(tenant.id, 'theirs')).toEqual(topic);
    expect(t.store.cache.partitions(topic.id).map((p) => p.leader)).toEqual([9, 9]);
    await expectCacheMatchesDatabase();
  });

  // Without the check, a reload whose snapshot was read before a write committed would swap
  // in after that write's write-through and drop it from the cache (about half the rounds).
  it('keeps a write that lands while a reload runs', async () => {
    const tenant = await t.store.tenants.create({ name: 'racing' });
    const lost: string[] = [];
    for (let round = 0; round < 20; round++) {
      const [, { topic }] = await Promise.all([
        t.store.reload(),
        t.store.topics.create({
          tenantId: tenant.id,
          name: `race-${round}`,
          partitionCount: 1,
          replicationFactor: 1,
          replicas: [[0]],
        }),
      ]);
      if (t.store.cache.topic(topic.id) === undefined) lost.push(topic.name);
    }
    expect(lost).toEqual([]);
    await expectCacheMatchesDatabase();
  });

  it('answers ping', async () => {
    expect(t.store.kind).toBe(kind);
    expect(await t.store.ping()).toBe(true);
  });

  async function expectCacheMatchesDatabase(): Promise<void> {
    const { store } = t;
    const tenants = await store.tenants.list();
    expect(store.cache.tenants()).toEqual(tenants);
    for (const tenant of tenants) {
      expect(store.cache.tenantByName(tenant.name)).toEqual(tenant);
      expect(store.cache.apiKeys(tenant.id)).toEqual(await store.apiKeys.listByTenant(tenant.id));
      const topics = await store.topics.listByTenant(tenant.id);
      expect(store.cache.topics(tenant.id)).toEqual(topics);
      for (const topic of topics) {
        expect(store.cache.topic(topic.id)).toEqual(topic);
        expect(store.cache.partitions(topic.id)).toEqual(
          await store.partitions.listByTopic(topic.id),
        );
      }
    }
  }
});

describe.each(TEST_DATABASE_KINDS)('opening a MetadataStore on %s', (kind) => {
  it('loads the cache from what an earlier process stored', async () => {
    const target = await prepareTestDatabase(kind);
    const clock = new ManualClock();
    try {
      const first = await MetadataStore.open({ ...target.options, clock });
      const tenant = await first.tenants.create({ name: 'durable' });
      const key = await first.apiKeys.create({
        tenantId: tenant.id,
        name: 'k',
        secretHash: hashSecret('durable'),
      });
      const created = await first.topics.create({
        tenantId: tenant.id,
        name: 'kept',
        partitionCount: 3,
        replicationFactor: 1,
        replicas: soleReplicas(0, 3),
      });
      await first.close();

      const second = await MetadataStore.open({ ...target.options, clock });
      try {
        expect(second.kind).toBe(kind);
        expect(second.cache.tenantByName('durable')).toEqual(tenant);
        expect(second.cache.activeApiKeyBySecretHash(hashSecret('durable'))).toEqual(key);
        expect(second.cache.topicByName(tenant.id, 'kept')).toEqual(created.topic);
        expect(second.cache.partitions(created.topic.id)).toEqual(created.partitions);
      } finally {
        await second.close();
      }
    } finally {
      await target.cleanup();
    }
  });

  it('creates a missing Postgres schema, or the PGlite data dir, on first open', async () => {
    const target = await prepareTestDatabase(kind);
    try {
      const db = await openDatabase(target.options);
      expect(db.kind).toBe(kind);
      expect(db.migrations.applied.length).toBeGreaterThan(0);
      await db.close();
    } finally {
      await target.cleanup();
    }
  });
});

describe('MetadataCache', () => {
  const partition = (version: number, leaderEpoch: number) => ({
    topicId: 't',
    partition: 0,
    leader: 1,
    leaderEpoch,
    replicas: [1],
    isr: [1],
    version,
    targetReplicas: [],
  });

  it('keeps the newer partition state', () => {
    const cache = new MetadataCache();
    cache.putPartition(partition(2, 2));
    cache.putPartition(partition(1, 1)); // a late write-through of an older state
    expect(cache.partition('t', 0)?.version).toBe(2);
    cache.putPartition(partition(3, 3));
    expect(cache.partition('t', 0)?.version).toBe(3);
  });

  it('answers nothing for what it does not hold', () => {
    const cache = new MetadataCache();
    expect(cache.tenant('x')).toBeUndefined();
    expect(cache.tenantByName('x')).toBeUndefined();
    expect(cache.apiKey('x')).toBeUndefined();
    expect(cache.activeApiKeyBySecretHash('x')).toBeUndefined();
    expect(cache.topic('x')).toBeUndefined();
    expect(cache.topicByName('x', 'y')).toBeUndefined();
    expect(cache.topics('x')).toEqual([]);
    expect(cache.partitions('x')).toEqual([]);
    expect(cache.partition('x', 0)).toBeUndefined();
  });
});
