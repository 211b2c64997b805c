// The controller on a real (embedded) metadata store and in-process coordination, with a
// manual clock: a new controller takes a node whose lease expired for dead at once while Redis
// has kept its keys (its memory marker is old), and waits a session before it does when Redis
// has just lost them (a live node may not have renewed yet); and it tells the nodes when it
// becomes the controller.
import { randomUUID } from 'node:crypto';
import { ManualClock, waitUntil } from '@tributary/common';
import { InProcessCoordinator } from '@tributary/coordination';
import { openTestStore, type TestStore } from '@tributary/metadata';
import pino from 'pino';
import { brokerLease } from './broker-session';
import { registerNodes } from './test-nodes';
import { Controller } from './controller';
import { newMemoryMarker, REDIS_MEMORY_MARKER, REDIS_MEMORY_MARKER_TTL_MS } from './redis-memory';

const SESSION_MS = 2_000;
const NODES = [1, 2, 3];

describe('Controller', () => {
  let t: TestStore;
  let topicId: string;
  const clock = new ManualClock();
  const incarnations = new Map(NODES.map((id) => [id, randomUUID()]));
  let controller: Controller | undefined;

  beforeEach(async () => {
    t = await openTestStore('pglite', clock);
    await t.store.cluster.identity();
    await registerNodes(t.store, incarnations);
    const tenant = await t.store.tenants.create({ name: 'acme' });
    ({
      topic: { id: topicId },
    } = await t.store.topics.create({
      tenantId: tenant.id,
      name: 'orders',
      partitionCount: 1,
      replicationFactor: 3,
      replicas: [[1, 2, 3]],
      configs: {},
    }));
  });
  afterEach(async () => {
    await controller?.close();
    await t.cleanup();
  });

  /** Node 2's controller, nodes 2 and 3 holding their leases, node 1's lease gone. */
  async function start(redis: InProcessCoordinator): Promise<Controller> {
    for (const id of [2, 3]) {
      await redis.acquireLease(brokerLease(id), incarnations.get(id)!, SESSION_MS);
    }
    controller = new Controller({
      nodeId: 2,
      incarnation: incarnations.get(2)!,
      sessionMs: SESSION_MS,
      coordinator: redis,
      metadata: t.store,
      clock,
      logger: pino({ level: 'silent' }),
    });
    await controller.checkNow();
    expect(controller.active).toBe(true);
    return controller;
  }

  const leader = async () => (await t.store.partitions.get(topicId, 0))!.leader;

  it('takes a node without a lease for dead at once while Redis has kept its keys', async () => {
    const redis = new InProcessCoordinator({ clock });
    const lostAt = clock.nowMs() - 10 * SESSION_MS;
    await redis.acquireLease(
      REDIS_MEMORY_MARKER,
      newMemoryMarker(lostAt),
      REDIS_MEMORY_MARKER_TTL_MS,
    );
    await start(redis);
    expect(await leader()).toBe(2);
    expect((await t.store.partitions.get(topicId, 0))!.isr).toEqual([2, 3]);
  });

  it('waits a session before it takes a node without a lease for dead when Redis has just lost its keys', async () => {
    const redis = new InProcessCoordinator({ clock }); // no marker: every key just lost
    const running = await start(redis);
    expect(await leader()).toBe(1); // unknown, not dead: it keeps its partition
    // Half a session on, the live nodes (and the controller) renew; node 1 does not.
    for (const step of [1, 2]) {
      clock.advance(SESSION_MS / 2);
      for (const id of [2, 3]) {
        await redis.acquireLease(brokerLease(id), incarnations.get(id)!, SESSION_MS);
      }
      await running.checkNow();
      expect(await leader()).toBe(step === 1 ? 1 : 2); // dead once a session has passed
    }
  });

  it('tells the nodes when it becomes the controller, so their directories need not poll for it', async () => {
    const redis = new InProcessCoordinator({ clock });
    let told = 0;
    const stop = redis.watchCluster('brokers', () => (told += 1));
    try {
      const running = await start(redis);
      await waitUntil(() => told === 1, 'the brokers notification', 5_000);
      // Checks while it stays controller tell nothing new.
      await running.checkNow();
      await running.checkNow();
      expect(told).toBe(1);
    } finally {
      stop();
    }
  });
});
