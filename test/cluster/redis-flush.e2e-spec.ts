// Redis holds nothing that cannot be rebuilt: three nodes on a redis-server of the test's own, a
// topic with three replicas, a consumer group over REST whose members committed offsets; then
// every key is gone (FLUSHALL, or the server killed and started empty on the same port). The
// members are told UNKNOWN_MEMBER and join again; consumption resumes at the offsets committed
// in Postgres (nothing below them delivered again, nothing skipped); the controller lease is
// taken again, every partition keeps its leader and its replicas in sync (from Postgres; no
// node is taken for dead because Redis forgot its lease), every node shows every node alive and
// a controller, and acks=all writes succeed through every node.
import { waitUntil } from '@tributary/common';
import { CLUSTER_ADMIN, TestCluster } from '../support/cluster';
import { type PrivateRedis, startPrivateRedis } from '../support/redis';

const TOPIC = 'orders';
const GROUP = 'billing';
const PARTITIONS = [0, 1, 2];
const RECORDS_PER_PARTITION = 12;
/** What each member commits per partition: below what it has read, so the two differ. */
const COMMITTED = 5;

interface Member {
  memberId: string;
  partitions: number[];
}

describe.each([['FLUSHALL' as const], ['restart' as const]])(
  'Redis losing every key (%s)',
  (loss) => {
    let redis: PrivateRedis;
    let cluster: TestCluster;
    let key: string;

    beforeAll(async () => {
      redis = await startPrivateRedis();
      cluster = await TestCluster.start({ redis });
      key = await cluster.tenant('acme');
      await cluster.createTopic(key, TOPIC, PARTITIONS.length, 3, 1);
    }, 120_000);
    afterAll(async () => {
      await cluster?.cleanup();
      await redis?.stop();
    }, 60_000);

    /** Writes one record per partition acks=all through node `via`; each must be acknowledged. */
    async function produceRound(label: string, via: number): Promise<void> {
      const reply = await cluster.call(via, 'POST', `/v1/topics/${TOPIC}/records?acks=all`, key, {
        records: PARTITIONS.map((partition) => ({ partition, value: `${label}-${partition}` })),
      });
      expect({ via, status: reply.status, body: reply.status === 200 ? 'ok' : reply.body }).toEqual(
        { via, status: 200, body: 'ok' },
      );
    }

    function group(route: string, method = 'POST', body?: unknown, via = 1) {
      return cluster.call(via, method, `/v1/groups/${GROUP}/members${route}`, key, body);
    }

    async function join(autoOffsetReset: 'earliest' | 'latest'): Promise<string> {
      const joined = await group('', 'POST', {
        topics: [TOPIC],
        autoOffsetReset,
        autoCommit: false,
      });
      expect(joined.status).toBe(201);
      return joined.body.memberId as string;
    }

    /** Heartbeats both members until they own every partition between them, each once. */
    async function settle(ids: string[]): Promise<Member[]> {
      let members: Member[] = [];
      await waitUntil(
        async () => {
          members = [];
          for (const memberId of ids) {
            const beat = await group(`/${memberId}/heartbeat`);
            expect(beat.status).toBe(200);
            const owned = (beat.body.assignment as { topic: string; partitions: number[] }[])
              .filter((a) => a.topic === TOPIC)
              .flatMap((a) => a.partitions);
            members.push({ memberId, partitions: owned });
          }
          const all = members.flatMap((m) => m.partitions).sort();
          return all.join() === PARTITIONS.join() && members.every((m) => m.partitions.length > 0);
        },
        'the members own every partition between them',
        20_000,
      );
      return members;
    }

    /** Polls until each member has read its partitions up to `end`: partition -> offsets. */
    async function consume(members: Member[], end: number): Promise<Map<number, number[]>> {
      const read = new Map<number, number[]>(PARTITIONS.map((p) => [p, []]));
      const done = () =>
        PARTITIONS.every((p) => {
          const offsets = read.get(p)!;
          return offsets.length > 0 && offsets[offsets.length - 1]! >= end - 1;
        });
      for (let round = 0; round < 200 && !done(); round++) {
        for (const member of members) {
          const poll = await cluster.call(
            1 + (round % 3),
            'GET',
            `/v1/groups/${GROUP}/members/${member.memberId}/records?maxWaitMs=200`,
            key,
          );
          expect(poll.status).toBe(200);
          for (const record of poll.body.records as { partition: number; offset: number }[]) {
            read.get(record.partition)!.push(record.offset);
          }
        }
      }
      expect(done()).toBe(true);
      return read;
    }

    it('members rejoin and resume at their committed offsets; leadership, liveness and acks=all come back', async () => {
      for (let i = 0; i < RECORDS_PER_PARTITION; i++)
        await produceRound(`before-${i}`, 1 + (i % 3));
      const first = [await join('earliest'), await join('earliest')];
      const members = await settle(first);
      const before = await consume(members, RECORDS_PER_PARTITION);
      for (const p of PARTITIONS) {
        expect(before.get(p)).toEqual(Array.from({ length: RECORDS_PER_PARTITION }, (_, i) => i));
      }
      for (const member of members) {
        const committed = await group(`/${member.memberId}/commit`, 'POST', {
          offsets: member.partitions.map((partition) => ({
            topic: TOPIC,
            partition,
            offset: COMMITTED,
          })),
        });
        expect(committed.status).toBe(200);
      }

      const led = await cluster.partitions(TOPIC, key);
      if (loss === 'FLUSHALL') await redis.flushAll();
      else await redis.restart();

      // The members are gone with the keys: each is told so on its next call, once the node
      // reaches Redis again (until then: 503 UNAVAILABLE, retriable, which a client retries).
      const answered = async (call: () => ReturnType<typeof group>) => {
        let reply = await call();
        await waitUntil(
          async () => reply.status !== 503 || (reply = await call()).status !== 503,
          'an answer other than 503 UNAVAILABLE',
          20_000,
        );
        return reply;
      };
      for (const member of members) {
        const beat = await answered(() => group(`/${member.memberId}/heartbeat`));
        expect(beat.status).toBe(404);
        expect(beat.body).toMatchObject({ code: 'UNKNOWN_MEMBER', retriable: false });
        const poll = await answered(() =>
          cluster.call(2, 'GET', `/v1/groups/${GROUP}/members/${member.memberId}/records`, key),
        );
        expect(poll.status).toBe(404);
        expect(poll.body).toMatchObject({ code: 'UNKNOWN_MEMBER' });
      }

      // The cluster rebuilds what Redis held: leases, a controller, leaders from Postgres.
      await cluster.untilAlive(cluster.ids(), 30_000);
      await waitUntil(
        async () => {
          for (const id of cluster.ids()) {
            const view = await cluster.call(id, 'GET', '/v1/cluster', CLUSTER_ADMIN);
            if (view.status !== 200 || typeof view.body.controller !== 'number') return false;
          }
          return true;
        },
        'every node shows a controller',
        30_000,
      );
      await cluster.untilPartitions(
        TOPIC,
        key,
        (ps) =>
          ps.every(
            (p) => p.leader > 0 && p.isr.length === 3 && p.highWatermark === RECORDS_PER_PARTITION,
          ),
        'every partition led again, its replicas in sync',
      );
      // No node died: a lease missing only because Redis forgot it moved no leadership.
      expect(
        (await cluster.partitions(TOPIC, key)).map((p) => [p.partition, p.leader, p.leaderEpoch]),
      ).toEqual(led.map((p) => [p.partition, p.leader, p.leaderEpoch]));
      for (const via of cluster.ids()) await produceRound(`after-${via}`, via);

      // Joined again with autoOffsetReset latest: only the committed offsets say where to start.
      const again = await settle([await join('latest'), await join('latest')]);
      const end = RECORDS_PER_PARTITION + cluster.ids().length;
      const after = await consume(again, end);
      for (const p of PARTITIONS) {
        expect({ partition: p, offsets: after.get(p) }).toEqual({
          partition: p,
          offsets: Array.from({ length: end - COMMITTED }, (_, i) => COMMITTED + i),
        });
      }
    }, 180_000);
  },
);
