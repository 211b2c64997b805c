import { randomUUID } from 'node:crypto';
import { openTestStore, TEST_DATABASE_KINDS, type TestStore } from './test-databases';

describe.each(TEST_DATABASE_KINDS)('ClusterRepository on %s', (kind) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore(kind);
  });
  afterAll(() => t.cleanup());

  it('makes the cluster identity once and hands everyone the same', async () => {
    const [a, b] = await Promise.all([t.store.cluster.identity(), t.store.cluster.identity()]);
    expect(a).toEqual(b);
    expect(a.rpcSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(await t.store.cluster.identity()).toEqual(a);
  });

  it('registers nodes and updates them when they restart', async () => {
    const node = { id: 7, host: '127.0.0.1', port: 8080, rpcPort: 9093, kafkaPort: 0 };
    await t.store.cluster.registerBroker({ ...node, incarnation: randomUUID() });
    const restarted = { ...node, port: 8081, incarnation: randomUUID() };
    await t.store.cluster.registerBroker(restarted);
    expect(await t.store.cluster.brokers()).toEqual([{ ...restarted, state: 'active' }]);
  });

  it('keeps node states: a restart ends a shutdown, not a drain; removal forgets the node', async () => {
    const node = { id: 8, host: '127.0.0.1', port: 8080, rpcPort: 9093, kafkaPort: 0 };
    const state = async () =>
      (await t.store.cluster.brokers()).find((b) => b.id === node.id)?.state;
    await t.store.cluster.registerBroker({ ...node, incarnation: randomUUID() });
    expect(await t.store.cluster.setBrokerState(8, 'shutting-down')).toBe(true);
    expect(await state()).toBe('shutting-down');
    await t.store.cluster.registerBroker({ ...node, incarnation: randomUUID() });
    expect(await state()).toBe('active');
    await t.store.cluster.setBrokerState(8, 'draining');
    await t.store.cluster.registerBroker({ ...node, incarnation: randomUUID() });
    expect(await state()).toBe('draining');
    expect(await t.store.cluster.setBrokerState(99, 'draining')).toBe(false);
    expect(await t.store.cluster.removeBroker(8)).toBe(true);
    expect(await state()).toBeUndefined();
    expect(await t.store.cluster.removeBroker(8)).toBe(false);
  });

  it('lets one of two nodes racing for the controller epoch win', async () => {
    const { epoch } = await t.store.cluster.controller();
    const [one, two] = await Promise.all([
      t.store.cluster.becomeController(1, epoch),
      t.store.cluster.becomeController(2, epoch),
    ]);
    expect([one, two].filter((e) => e !== undefined)).toEqual([epoch + 1]);
    expect((await t.store.cluster.controller()).epoch).toBe(epoch + 1);
  });

  it("fences a controller's partition write once a newer controller epoch began", async () => {
    const tenant = await t.store.tenants.create({ name: 'fencing' });
    const { topic, partitions } = await t.store.topics.create({
      tenantId: tenant.id,
      name: 'f',
      partitionCount: 1,
      replicationFactor: 2,
      replicas: [[1, 2]],
    });
    const { epoch } = await t.store.cluster.controller();
    const mine = (await t.store.cluster.becomeController(1, epoch))!;
    const change = { leader: 2, leaderEpoch: 1, replicas: [1, 2], isr: [2] };
    const applied = await t.store.partitions.compareAndSet(
      topic.id,
      0,
      partitions[0]!.version,
      change,
      {
        controllerEpoch: mine,
      },
    );
    expect(applied).toMatchObject({ applied: true, partition: { leader: 2, version: 1 } });
    await t.store.cluster.becomeController(2, mine);
    const zombie = await t.store.partitions.compareAndSet(
      topic.id,
      0,
      1,
      { ...change, leader: 1, leaderEpoch: 2, isr: [1] },
      { controllerEpoch: mine },
    );
    expect(zombie).toBe('fenced');
    expect(await t.store.partitions.get(topic.id, 0)).toMatchObject({ leader: 2, version: 1 });
  });

  it('moves the metadata version with every change to tenants, keys, topics and partitions', async () => {
    const before = await t.store.cluster.metadataVersion();
    const tenant = await t.store.tenants.create({ name: 'versioned' });
    const afterTenant = await t.store.cluster.metadataVersion();
    expect(afterTenant).toBeGreaterThan(before);
    await t.store.topics.create({
      tenantId: tenant.id,
      name: 'v',
      partitionCount: 2,
      replicationFactor: 1,
      replicas: [[1], [1]],
    });
    expect(await t.store.cluster.metadataVersion()).toBeGreaterThan(afterTenant);
  });
});
