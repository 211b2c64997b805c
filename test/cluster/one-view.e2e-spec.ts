// One cluster, one view: what changes on any node (tenants, keys, revocations, topics, configs)
// takes effect on every node; GET /v1/cluster shows the nodes as they are; and a consumer group
// keeps consuming through any node while a node dies.
import { waitUntil } from '@tributary/common';
import { CLUSTER_ADMIN, TestCluster } from '../support/cluster';

describe('one view of a 3-node cluster', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.start();
  }, 120_000);
  afterAll(() => cluster?.cleanup(), 60_000);

  it('applies keys, revocations, topics and configs made on one node on every node', async () => {
    const key = await cluster.tenant('shared', 1);
    for (const id of [2, 3]) {
      await waitUntil(
        async () => (await cluster.call(id, 'GET', '/v1/topics', key)).status === 200,
        `the new key accepted on node ${id}`,
      );
    }
    const created = await cluster.call(3, 'POST', '/v1/topics', key, { name: 'everywhere' });
    expect(created.status).toBe(201);
    await waitUntil(
      async () => (await cluster.call(1, 'GET', '/v1/topics/everywhere', key)).status === 200,
      'the topic known on node 1',
    );
    const altered = await cluster.call(2, 'PATCH', '/v1/topics/everywhere', key, {
      configs: { 'retention.ms': '3600000' },
    });
    expect(altered.status).toBe(200);
    await waitUntil(
      async () =>
        (await cluster.call(1, 'GET', '/v1/topics/everywhere', key)).body?.configs?.[
          'retention.ms'
        ] === '3600000',
      'the config change seen on node 1',
    );
    const keys = await cluster.call(2, 'GET', '/v1/admin/tenants/shared/keys', CLUSTER_ADMIN);
    const revoked = await cluster.call(
      2,
      'DELETE',
      `/v1/admin/tenants/shared/keys/${keys.body.keys[0].id}`,
      CLUSTER_ADMIN,
    );
    expect(revoked.status).toBe(204);
    for (const id of cluster.ids()) {
      await waitUntil(
        async () => (await cluster.call(id, 'GET', '/v1/topics', key)).status === 401,
        `the revoked key refused on node ${id}`,
      );
    }
  });

  it('describes the cluster: every node, the controller, and what each tenant has where', async () => {
    const key = await cluster.tenant('viewer');
    await cluster.call(1, 'POST', '/v1/topics', key, {
      name: 'spread',
      partitions: 3,
      replicationFactor: 2,
    });
    const view = await cluster.call(2, 'GET', '/v1/cluster', key);
    expect(view.status).toBe(200);
    expect(view.body.nodes.map((n: { id: number; status: string }) => [n.id, n.status])).toEqual([
      [1, 'alive'],
      [2, 'alive'],
      [3, 'alive'],
    ]);
    expect(cluster.ids()).toContain(view.body.controller);
    // The tenant sees its own partitions: 3 leaders and 6 replicas over the nodes.
    const sum = (field: string) =>
      view.body.nodes.reduce((n: number, node: any) => n + node[field], 0);
    expect([sum('leaders'), sum('replicas')]).toEqual([3, 6]);
    expect((await cluster.call(2, 'GET', '/v1/cluster', 'not-a-key')).status).toBe(401);
  });

  it("counts a tenant's byte-rate quota across the cluster, not per node", async () => {
    await cluster.call(1, 'POST', '/v1/admin/tenants', CLUSTER_ADMIN, {
      name: 'metered',
      quotas: { produceBytesPerSec: 1000 },
    });
    const key = (
      await cluster.call(1, 'POST', '/v1/admin/tenants/metered/keys', CLUSTER_ADMIN, { name: 'k' })
    ).body.key as string;
    await cluster.call(1, 'POST', '/v1/topics', key, { name: 'metered' });
    const send = (via: number, value: string) =>
      cluster.call(via, 'POST', '/v1/topics/metered/records?acks=1', key, { records: [{ value }] });
    // Both nodes follow the tenant's usage once it has called them.
    for (const via of [1, 2]) {
      await waitUntil(async () => (await send(via, 'hello')).status === 200, `node ${via} serving`);
    }
    // Eight seconds' worth on node 1: node 2, where the tenant used little, refuses it too.
    expect((await send(1, 'x'.repeat(8_000))).status).toBe(200);
    // Small writes paced well under the rate (about 400 B/s): node 2 alone would never refuse.
    // The pause shapes the load; it stands in for no event.
    let refused = false;
    for (let attempt = 0; attempt < 30 && !refused; attempt++) {
      refused = (await send(2, 'small')).status === 429;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(refused).toBe(true);
  });

  it('keeps a consumer group consuming through the surviving nodes while a node dies', async () => {
    const key = await cluster.tenant('consumers');
    const created = await cluster.call(1, 'POST', '/v1/topics', key, {
      name: 'jobs',
      partitions: 3,
      replicationFactor: 3,
    });
    expect(created.status).toBe(201);
    await cluster.untilPartitions(
      'jobs',
      key,
      (ps) => ps.every((p) => p.highWatermark === 0),
      'jobs hosted',
    );
    const sent = new Set<string>();
    let attempt = 0;
    const produce = (value: string) =>
      waitUntil(
        async () => {
          const nodes = cluster.running();
          const reply = await cluster
            .call(
              nodes[attempt++ % nodes.length]!,
              'POST',
              '/v1/topics/jobs/records',
              key,
              { records: [{ key: value, value }] },
              { 'idempotency-key': value },
            )
            .catch(() => undefined);
          if (reply?.status !== 200) return false;
          sent.add(value);
          return true;
        },
        `${value} acknowledged`,
        20_000,
      );
    for (let i = 0; i < 30; i++) await produce(`before-${i}`);
    const joined = await cluster.call(2, 'POST', '/v1/groups/workers/members', key, {
      topics: ['jobs'],
      autoOffsetReset: 'earliest',
      sessionTimeoutMs: 30_000,
    });
    expect(joined.status).toBe(201);
    const member = joined.body.memberId as string;
    const received = new Set<string>();
    const poll = async () => {
      for (const via of cluster.running()) {
        const page = await cluster
          .call(via, 'GET', `/v1/groups/workers/members/${member}/records?maxWaitMs=500`, key)
          .catch(() => undefined);
        if (page?.status !== 200) continue;
        for (const record of page.body.records) received.add(record.value);
        return;
      }
    };
    await waitUntil(async () => {
      await poll();
      return received.size >= 10;
    }, 'the group consuming');
    // A node dies (not the one the member joined through, which the test keeps polling too).
    await cluster.kill(1);
    await waitUntil(
      async () =>
        (await cluster.call(2, 'GET', '/v1/cluster', CLUSTER_ADMIN)).body.nodes[0].status ===
        'dead',
      'node 1 shown dead',
    );
    for (let i = 0; i < 30; i++) await produce(`after-${i}`);
    await waitUntil(
      async () => {
        await poll();
        return [...sent].every((v) => received.has(v));
      },
      'every record consumed through the survivors',
      60_000,
    );
    await cluster.startNode(1);
  }, 120_000);
});
