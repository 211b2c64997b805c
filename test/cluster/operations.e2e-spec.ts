// Cluster operations without downtime, on real nodes: a rolling restart of every node (SIGTERM,
// controlled shutdown, restart) under acks=all writes that never fail; a preferred-leader
// election; reassignments that raise the replication factor and move a partition off its
// leader under writes; a drain that empties a node, which can then be removed.
import { waitUntil } from '@tributary/common';
import { CLUSTER_ADMIN, type PartitionView, TestCluster } from '../support/cluster';

interface Acked {
  partition: number;
  offset: number;
  value: string;
}

/**
 * Writers producing acks=all without pause through the nodes `targets()` names. Strict: each
 * record once, and any answer but 200 is a failure the test reports. Otherwise as a careful
 * producer does: a retriable answer is retried (a few times) under the record's
 * Idempotency-Key, so a write whose outcome was unknown is never written twice.
 */
function startWriters(
  cluster: TestCluster,
  key: string,
  topic: string,
  partitions: number,
  targets: () => number[],
  mode: 'strict' | 'retrying',
  count = 4,
) {
  const acked: Acked[] = [];
  const failures: string[] = [];
  let stopped = false;
  let sequence = 0;
  let retried = 0;
  const loops = Array.from({ length: count }, async (_, writer) => {
    // Bounded: the test stops the writers; the count caps a runaway loop.
    for (let i = 0; !stopped && i < 100_000; i++) {
      const nodes = targets();
      const via = nodes[(writer + i) % nodes.length]!;
      const value = `w${writer}-${sequence++}`;
      const partition = (writer + i) % partitions;
      const send = (node: number) =>
        cluster
          .call(
            node,
            'POST',
            `/v1/topics/${topic}/records?acks=all`,
            key,
            { records: [{ value, partition }] },
            mode === 'retrying' ? { 'idempotency-key': value } : {},
          )
          .catch((error: unknown) => ({
            status: 0,
            body: { retriable: true, error: String(error) },
          }));
      let reply = await send(via);
      for (
        let attempt = 1;
        mode === 'retrying' && reply.status !== 200 && attempt < 10;
        attempt++
      ) {
        if (reply.body?.retriable !== true) break;
        retried += 1;
        reply = await send(targets()[attempt % targets().length]!);
      }
      if (reply.status === 200)
        acked.push({ partition, offset: reply.body.offsets[0].offset, value });
      else failures.push(`${value} via node ${via}: ${reply.status} ${JSON.stringify(reply.body)}`);
    }
  });
  return {
    acked,
    failures,
    get retried() {
      return retried;
    },
    async stop(): Promise<void> {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

/** Every acknowledged record is in the log at its offset, and no offset holds another value. */
async function expectAllKept(
  cluster: TestCluster,
  key: string,
  topic: string,
  acked: Acked[],
): Promise<void> {
  const byPartition = new Map<number, Acked[]>();
  for (const a of acked) byPartition.set(a.partition, [...(byPartition.get(a.partition) ?? []), a]);
  for (const [partition, records] of byPartition) {
    const log = await cluster.readAll(topic, partition, key);
    for (const { offset, value } of records) expect(log.get(offset)).toBe(value);
    expect(new Set(log.values()).size).toBe(log.size); // no value twice
  }
}

const inSync = (size: number) => (ps: PartitionView[]) =>
  ps.every((p) => p.leader > 0 && p.isr.length === size);

describe('a rolling restart', () => {
  let cluster: TestCluster;
  let key: string;

  beforeAll(async () => {
    cluster = await TestCluster.start();
    key = await cluster.tenant('acme');
    await cluster.createTopic(key, 'ledger', 6, 3);
  }, 120_000);
  afterAll(() => cluster?.cleanup(), 60_000);

  it('restarts every node under acks=all writes, none of which fails', async () => {
    let restarting = 0;
    const writers = startWriters(
      cluster,
      key,
      'ledger',
      6,
      () => cluster.running().filter((id) => id !== restarting),
      'strict',
    );
    try {
      for (const id of cluster.ids()) {
        await waitUntil(() => writers.acked.length > 20 * id, 'writes acknowledged', 20_000);
        restarting = id;
        const led = (await cluster.partitions('ledger', key, (id % 3) + 1)).filter(
          (p) => p.leader === id,
        ).length;
        let output = '';
        cluster.processes.get(id)!.proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
        await cluster.kill(id, 'SIGTERM');
        // It led partitions, and handed them over before it stopped.
        expect(led).toBeGreaterThan(0);
        expect(output).toContain('controlled shutdown: leaderships moved away');
        await cluster.startNode(id);
        await cluster.untilAlive(cluster.ids());
        await cluster.untilPartitions('ledger', key, inSync(3), `node ${id} back in every ISR`);
        restarting = 0;
      }
      await waitUntil(() => writers.acked.length > 100, 'writes after the restarts', 20_000);
    } finally {
      await writers.stop();
    }
    expect(writers.failures).toEqual([]);
    await expectAllKept(cluster, key, 'ledger', writers.acked);
  }, 240_000);
});

describe('cluster operations', () => {
  let cluster: TestCluster;
  let key: string;
  const admin = (id: number, method: string, route: string, body?: unknown) =>
    cluster.call(id, method, route, CLUSTER_ADMIN, body);

  beforeAll(async () => {
    cluster = await TestCluster.start({ env: { TRIBUTARY_AUTO_LEADER_REBALANCE: 'false' } });
    key = await cluster.tenant('acme');
  }, 120_000);
  afterAll(() => cluster?.cleanup(), 60_000);

  const createTopic = (name: string, partitions: number, replicationFactor: number) =>
    cluster.createTopic(key, name, partitions, replicationFactor);

  it('elects preferred leaders when the operator asks', async () => {
    await createTopic('orders', 3, 3);
    // Node 1 dies; its partitions move; it comes back in sync, but does not lead again by itself.
    await cluster.kill(1);
    await cluster.untilPartitions(
      'orders',
      key,
      (ps) => ps.every((p) => p.leader > 1),
      'moved',
      30_000,
      2,
    );
    await cluster.startNode(1);
    const back = await cluster.untilPartitions(
      'orders',
      key,
      inSync(3),
      'node 1 in sync',
      30_000,
      2,
    );
    const displaced = back.filter((p) => p.replicas[0] !== p.leader);
    expect(displaced.length).toBeGreaterThan(0);

    const elected = await admin(2, 'POST', '/v1/cluster/preferred-leader-elections', {
      tenant: 'acme',
      topic: 'orders',
    });
    expect(elected.status).toBe(200);
    const results = elected.body.partitions as {
      partition: number;
      result: string;
      leader: number;
    }[];
    for (const p of back) {
      const result = results.find((r) => r.partition === p.partition)!;
      expect(result.result).toBe(p.replicas[0] === p.leader ? 'not-needed' : 'elected');
      expect(result.leader).toBe(p.replicas[0]);
    }
    await cluster.untilPartitions(
      'orders',
      key,
      (ps) => ps.every((p) => p.leader === p.replicas[0]),
      'every partition led by its preferred replica',
    );
    expect(
      (await admin(2, 'POST', '/v1/cluster/preferred-leader-elections', { topic: 'x' })).body,
    ).toMatchObject({ code: 'INVALID_REQUEST' });
  }, 120_000);

  it('reassigns partitions under writes: raising the replication factor, then moving off the leader', async () => {
    const [before] = await createTopic('events', 1, 1);
    const first = before!.leader;
    const others = cluster.ids().filter((id) => id !== first);
    const writers = startWriters(cluster, key, 'events', 1, () => cluster.running(), 'retrying');
    try {
      await waitUntil(() => writers.acked.length > 20, 'writes acknowledged', 20_000);
      for (const bad of [[first, first], [9], []]) {
        const refused = await admin(1, 'POST', '/v1/cluster/reassignments', {
          tenant: 'acme',
          topic: 'events',
          partitions: [{ partition: 0, replicas: bad }],
        });
        expect([refused.status, refused.body.code]).toEqual([400, 'INVALID_REPLICA_ASSIGNMENT']);
      }
      // 1 -> 3 replicas, the current leader kept first.
      const raised = await admin(1, 'POST', '/v1/cluster/reassignments', {
        tenant: 'acme',
        topic: 'events',
        partitions: [{ partition: 0, replicas: [first, ...others] }],
      });
      expect(raised.status).toBe(202);
      expect(raised.body.partitions[0].targetReplicas).toEqual([first, ...others]);
      await cluster.untilPartitions(
        'events',
        key,
        ([p]) => p!.replicas.length === 3 && p!.isr.length === 3,
        'three replicas in sync',
      );
      await waitUntil(
        async () =>
          (await admin(2, 'GET', '/v1/cluster/reassignments')).body.partitions.length === 0,
        'no reassignment under way',
        20_000,
      );
      // Then off the first node altogether, which leads it: the leadership moves first.
      await admin(1, 'POST', '/v1/cluster/reassignments', {
        tenant: 'acme',
        topic: 'events',
        partitions: [{ partition: 0, replicas: others }],
      });
      const [moved] = await cluster.untilPartitions(
        'events',
        key,
        ([p]) => p!.replicas.join() === others.join() && p!.isr.length === 2,
        `replicas ${others.join()} only`,
      );
      expect(moved!.leader).toBe(others[0]);
      const acked = writers.acked.length;
      await waitUntil(() => writers.acked.length > acked + 20, 'writes after the move', 20_000);
    } finally {
      await writers.stop();
    }
    expect(writers.failures).toEqual([]);
    await expectAllKept(cluster, key, 'events', writers.acked);
  }, 120_000);

  it('drains a node until it holds nothing, then removes it once stopped', async () => {
    // Three replicas on three nodes would have nowhere to go: the earlier topics leave.
    for (const name of ['orders', 'events']) {
      expect((await cluster.call(1, 'DELETE', `/v1/topics/${name}`, key)).status).toBe(204);
    }
    await createTopic('audit', 3, 2);
    const node = async (id: number) =>
      ((await admin(1, 'GET', '/v1/cluster')).body.nodes as { id: number }[]).find(
        (n) => n.id === id,
      ) as { state: string; replicas: number; leaders: number; status: string } | undefined;
    expect((await node(3))?.replicas).toBeGreaterThan(0);
    const writers = startWriters(cluster, key, 'audit', 3, () => [1, 2], 'retrying');
    try {
      await waitUntil(() => writers.acked.length > 20, 'writes acknowledged', 20_000);
      const drained = await admin(2, 'POST', '/v1/cluster/nodes/3/drain');
      expect([drained.status, drained.body.state]).toEqual([202, 'draining']);
      expect((await admin(2, 'POST', '/v1/cluster/nodes/77/drain')).body.code).toBe('UNKNOWN_NODE');
      await waitUntil(
        async () => {
          const three = await node(3);
          return three?.replicas === 0 && three.leaders === 0;
        },
        'node 3 holds no replica',
        60_000,
      );
      await cluster.untilPartitions('audit', key, inSync(2), 'every partition on two replicas');
      const acked = writers.acked.length;
      await waitUntil(() => writers.acked.length > acked + 20, 'writes after the drain', 20_000);
    } finally {
      await writers.stop();
    }
    expect(writers.failures).toEqual([]);
    await expectAllKept(cluster, key, 'audit', writers.acked);
    // A new topic is not placed on it.
    const [fresh] = await createTopic('later', 1, 2);
    expect(fresh!.replicas).not.toContain(3);

    const inUse = await admin(1, 'DELETE', '/v1/cluster/nodes/3');
    expect([inUse.status, inUse.body.code]).toEqual([409, 'NODE_IN_USE']);
    await cluster.kill(3, 'SIGTERM');
    await waitUntil(async () => (await node(3))?.status === 'dead', 'node 3 seen dead', 20_000);
    expect((await admin(1, 'DELETE', '/v1/cluster/nodes/3')).status).toBe(204);
    expect(await node(3)).toBeUndefined();
    // Draining can also be cancelled.
    expect((await admin(1, 'POST', '/v1/cluster/nodes/2/drain')).body.state).toBe('draining');
    expect((await admin(1, 'DELETE', '/v1/cluster/nodes/2/drain')).body.state).toBe('active');
  }, 180_000);
});
