// The node directory's liveness through a loss of Redis's keys: the coordination is swapped
// for an empty one (as a FLUSHALL or an empty restart leaves it), and the nodes that were alive
// stay alive for a session while they renew, instead of being cut off at once; a node whose
// lease simply expires is still taken for dead at once.
import { randomUUID } from 'node:crypto';
import { ManualClock } from '@tributary/common';
import { type Coordinator, InProcessCoordinator } from '@tributary/coordination';
import { openTestStore, type TestStore } from '@tributary/metadata';
import { PartitionManager } from '@tributary/partitions';
import { LogManager, MemoryFileSystem } from '@tributary/storage';
import pino from 'pino';
import { brokerLease } from './broker-session';
import { registerNodes } from './test-nodes';
import { NodeDirectory } from './node-directory';

const SESSION_MS = 2_000;
const NODES = [1, 2, 3];

describe('NodeDirectory', () => {
  let t: TestStore;
  let logs: LogManager;
  let directory: NodeDirectory | undefined;
  const clock = new ManualClock();
  const incarnations = new Map(NODES.map((id) => [id, randomUUID()]));
  /** The coordination the directory talks to: replaced by an empty one to lose every key. */
  let redis = new InProcessCoordinator({ clock });
  const coordinator = new Proxy({} as Coordinator, {
    get: (_target, name) => {
      const value = Reflect.get(redis, name) as unknown;
      return typeof value === 'function' ? value.bind(redis) : value;
    },
  });

  beforeAll(async () => {
    t = await openTestStore('pglite', clock);
    await registerNodes(t.store, incarnations);
    logs = await LogManager.open({
      dataDir: '/data',
      fs: new MemoryFileSystem(),
      retentionCheckIntervalMs: 0,
      checkpointIntervalMs: 0,
    });
  });
  afterEach(() => directory?.close());
  afterAll(async () => {
    await logs.close();
    await t.cleanup();
  });

  async function renew(ids: number[]): Promise<void> {
    for (const id of ids) {
      expect(await redis.acquireLease(brokerLease(id), incarnations.get(id)!, SESSION_MS)).toBe(
        true,
      );
    }
  }

  function alive(): number[] {
    return directory!
      .nodes()
      .filter((n) => n.alive)
      .map((n) => n.id);
  }

  async function open(): Promise<NodeDirectory> {
    directory = new NodeDirectory({
      nodeId: 1,
      sessionMs: SESSION_MS,
      clock,
      clusterId: 'c',
      local: new PartitionManager({ logs, nodeId: 1 }),
      metadata: t.store,
      coordinator,
      hello: () => ({}),
      logger: pino({ level: 'silent' }),
    });
    await directory.refresh();
    return directory;
  }

  it('keeps the nodes that were alive for a session after Redis lost every key, while they renew', async () => {
    redis = new InProcessCoordinator({ clock });
    await renew(NODES);
    const dir = await open();
    expect(alive()).toEqual([1, 2, 3]);
    // Every key gone; this node renews first.
    redis = new InProcessCoordinator({ clock });
    await renew([1]);
    await dir.refresh();
    expect(alive()).toEqual([1, 2, 3]);
    expect(() => dir.brokerFor(2)).not.toThrow();
    // The others renew within the session: alive by their leases now.
    clock.advance(SESSION_MS);
    await renew(NODES);
    await dir.refresh();
    expect(alive()).toEqual([1, 2, 3]);
    // A node that never renews after the loss is dead once the session is over.
    redis = new InProcessCoordinator({ clock });
    await dir.refresh();
    expect(alive()).toEqual([1, 2, 3]);
    clock.advance(SESSION_MS);
    await renew([1, 2]);
    await dir.refresh();
    expect(alive()).toEqual([1, 2]);
    expect(() => dir.brokerFor(3)).toThrow(/not alive/);
  });

  it('takes a node whose lease expired for dead at once', async () => {
    redis = new InProcessCoordinator({ clock });
    await renew(NODES);
    const dir = await open();
    expect(alive()).toEqual([1, 2, 3]);
    clock.advance(SESSION_MS / 2);
    await renew([1, 2]);
    clock.advance(SESSION_MS / 2 + 1);
    await dir.refresh();
    expect(alive()).toEqual([1, 2]);
  });
});
