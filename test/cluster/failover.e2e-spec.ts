// Three real nodes on loopback with Postgres and Redis: replication factor 3 and
// min.insync.replicas 2 through every node, a leader killed under load (a new leader from the
// ISR, every acknowledged record still at its offset, readers never shown a record that later
// vanished), the old leader back with its uncommitted tail cut, and two replicas down.
import { waitUntil } from '@tributary/common';
import { type PartitionView, TestCluster } from '../support/cluster';

const TOPIC = 'ledger';

interface Acked {
  partition: number;
  offset: number;
  value: string;
}

describe('a 3-node cluster', () => {
  let cluster: TestCluster;
  let key: string;

  beforeAll(async () => {
    cluster = await TestCluster.start();
    key = await cluster.tenant('acme');
    await cluster.createTopic(key, TOPIC, 3, 3, 1);
  }, 120_000);
  afterAll(() => cluster?.cleanup(), 60_000);

  /** Produces one record acks=all through `via`, retrying under one Idempotency-Key. */
  async function produce(value: string, partition: number, via: () => number): Promise<Acked> {
    let acked: Acked | undefined;
    await waitUntil(
      async () => {
        const reply = await cluster
          .call(
            via(),
            'POST',
            `/v1/topics/${TOPIC}/records?acks=all`,
            key,
            { records: [{ value, partition }] },
            { 'idempotency-key': value },
          )
          .catch(() => undefined);
        if (reply?.status === 200) {
          acked = { partition, offset: reply.body.offsets[0].offset, value };
          return true;
        }
        if (reply !== undefined && !reply.body?.retriable) {
          throw new Error(`${value}: ${reply.status} ${JSON.stringify(reply.body)}`);
        }
        return false;
      },
      `${value} acknowledged`,
      20_000,
    );
    return acked!;
  }

  it('replicates acks=all writes made through every node to every replica', async () => {
    const acked: Acked[] = [];
    for (const via of cluster.ids()) {
      for (let partition = 0; partition < 3; partition++) {
        acked.push(await produce(`first-${via}-${partition}`, partition, () => via));
      }
    }
    // Every node reads the same records at the same offsets.
    for (const via of cluster.ids()) {
      for (let partition = 0; partition < 3; partition++) {
        const records = await cluster.readAll(TOPIC, partition, key, via);
        for (const a of acked.filter((x) => x.partition === partition)) {
          expect(records.get(a.offset)).toBe(a.value);
        }
      }
    }
  });

  it('survives its leader being killed under load: a new leader from the ISR, nothing acknowledged lost, nothing read that vanished', async () => {
    const [before] = await cluster.partitions(TOPIC, key);
    const victim = before!.leader;
    const survivors = cluster.ids().filter((id) => id !== victim);
    const acked: Acked[] = [];
    const seen = new Map<number, unknown>(); // partition 0: offset -> value, as a reader saw it
    let stop = false;
    let counter = 0;
    const live = () => cluster.running()[counter++ % cluster.running().length]!;
    const producers = Array.from({ length: 4 }, async (_, p) => {
      for (let i = 0; !stop; i++) acked.push(await produce(`load-${p}-${i}`, i % 3, live));
    });
    const reader = (async () => {
      let offset = 0;
      while (!stop) {
        const page = await cluster
          .call(
            live(),
            'GET',
            `/v1/topics/${TOPIC}/partitions/0/records?offset=${offset}&maxWaitMs=500`,
            key,
          )
          .catch(() => undefined);
        if (page?.status !== 200) continue;
        for (const record of page.body.records) {
          seen.set(record.offset, record.value);
          offset = record.offset + 1;
        }
      }
    })();
    await waitUntil(() => acked.length >= 30, 'writes under way');
    // Writes acks=1 to the doomed leader: some of them may never reach a follower.
    const unsafe = Array.from({ length: 20 }, (_, i) =>
      cluster
        .call(victim, 'POST', `/v1/topics/${TOPIC}/records?acks=1`, key, {
          records: [{ value: `acks1-${i}`, partition: 0 }],
        })
        .catch(() => undefined),
    );
    await cluster.kill(victim);
    await Promise.all(unsafe);
    const moved = await cluster.untilPartitions(
      TOPIC,
      key,
      (ps) => ps[0]!.leader !== victim && ps[0]!.leader > 0,
      'partition 0 led by a survivor',
    );
    expect(survivors).toContain(moved[0]!.leader);
    expect(moved[0]!.leaderEpoch).toBeGreaterThan(before!.leaderEpoch);
    const afterKill = acked.length;
    await waitUntil(
      () => acked.length >= afterKill + 30,
      'writes acknowledged after the failover',
      30_000,
    );

    // The old leader returns: it truncates what it alone had and rejoins every ISR.
    await cluster.startNode(victim);
    await cluster.untilPartitions(
      TOPIC,
      key,
      (ps) => ps.every((p) => p.isr.length === 3),
      'the old leader back in every ISR',
    );
    stop = true;
    await Promise.all([...producers, reader]);

    const logs = await Promise.all([0, 1, 2].map((p) => cluster.readAll(TOPIC, p, key)));
    for (const a of acked)
      expect({ ...a, stored: logs[a.partition]!.get(a.offset) }).toEqual({ ...a, stored: a.value });
    for (const [offset, value] of seen)
      expect({ offset, value: logs[0]!.get(offset) }).toEqual({ offset, value });
    // Every node serves the same log now, the restarted one included.
    for (const via of cluster.ids()) {
      expect(await cluster.readAll(TOPIC, 0, key, via)).toEqual(logs[0]);
    }
    // Retries with a key never wrote a value twice.
    const values = logs.flatMap((log) => [...log.values()]);
    expect(values.length).toBe(new Set(values).size);
  }, 180_000);

  it('refuses acks=all with two replicas down, acknowledging nothing, and serves acks=1', async () => {
    const [p0] = await cluster.partitions(TOPIC, key);
    const leader = p0!.leader;
    const followers = cluster.ids().filter((id) => id !== leader);
    for (const id of followers) await cluster.kill(id);
    await cluster.untilPartitions(
      TOPIC,
      key,
      (ps: PartitionView[]) => ps[0]!.isr.length === 1,
      'the dead replicas out of the ISR',
    );
    const before = (await cluster.partitions(TOPIC, key))[0]!.highWatermark;
    const refused = await cluster.call(
      leader,
      'POST',
      `/v1/topics/${TOPIC}/records?acks=all`,
      key,
      {
        records: [{ value: 'must-not-land', partition: 0 }],
      },
    );
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ code: 'NOT_ENOUGH_REPLICAS', retriable: true });
    expect(refused.headers.get('retry-after')).not.toBeNull();
    const records = await cluster.readAll(TOPIC, 0, key, leader);
    expect([...records.values()]).not.toContain('must-not-land');
    expect((await cluster.partitions(TOPIC, key, leader))[0]!.highWatermark).toBe(before);
    const one = await cluster.call(leader, 'POST', `/v1/topics/${TOPIC}/records?acks=1`, key, {
      records: [{ value: 'acks-1', partition: 0 }],
    });
    expect(one.status).toBe(200);
    for (const id of followers) await cluster.startNode(id);
  }, 120_000);
});
