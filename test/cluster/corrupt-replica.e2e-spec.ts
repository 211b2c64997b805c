// A follower replica's segment files damaged while its node is down (bytes flipped in the middle
// of one partition's segment, another partition's segment cut short at a batch boundary, leaving
// a gap before the next segment) are found when the node restarts: it cuts its logs there,
// fetches the rest from the leaders again, rejoins the ISRs, and, made the only replica left,
// serves every acknowledged record intact and nothing else. Killed (SIGKILL: its recovery
// points are behind, so the damaged segments are recovered) or stopped cleanly (SIGTERM: they
// are all below the recovery point, which once meant they were loaded unchecked).
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { TestCluster } from '../support/cluster';

const TOPIC = 'rot';
const PARTITIONS = [0, 1];
const RECORDS_PER_PARTITION = 60;
const RECORDS_PER_REQUEST = 3;

/** The file position of the batch boundary nearest the middle of a segment file. */
function middleBoundary(segment: Buffer): number {
  let best = 0;
  for (let position = 0, count = 0; position < segment.length && count < 100_000; count++) {
    if (Math.abs(position - segment.length / 2) < Math.abs(best - segment.length / 2)) {
      best = position;
    }
    // A batch's length field (after its 8-byte base offset) counts the bytes after itself.
    position += 12 + segment.readInt32BE(position + 8);
  }
  return best;
}

describe.each([['SIGKILL' as const], ['SIGTERM' as const]])(
  'a replica whose segments were damaged while it was down (%s)',
  (signal) => {
    let cluster: TestCluster;
    let key: string;

    beforeAll(async () => {
      cluster = await TestCluster.start();
      key = await cluster.tenant('acme');
      // About four requests' batches to a segment: several segments per partition.
      await cluster.createTopic(key, TOPIC, PARTITIONS.length, 3, 1, { 'segment.bytes': '2048' });
    }, 120_000);
    afterAll(() => cluster?.cleanup(), 60_000);

    /** Writes `count` records acks=all through `via`; every request must be acknowledged. */
    async function produce(
      partition: number,
      prefix: string,
      count: number,
      via: number,
      acked: Map<number, unknown>,
    ): Promise<void> {
      for (let i = 0; i < count; i += RECORDS_PER_REQUEST) {
        const records = Array.from({ length: RECORDS_PER_REQUEST }, (_, j) => ({
          partition,
          value: { id: `${prefix}-${partition}-${i + j}`, pad: 'x'.repeat(120) },
        }));
        const reply = await cluster.call(via, 'POST', `/v1/topics/${TOPIC}/records?acks=all`, key, {
          records,
        });
        expect(reply.status).toBe(200);
        reply.body.offsets.forEach((o: { offset: number }, j: number) => {
          acked.set(o.offset, records[j]!.value);
        });
      }
    }

    /** The segment files of a partition in node `id`'s data dir, in offset order. */
    async function segmentFiles(id: number, partition: number): Promise<string[]> {
      const logs = path.join(cluster.root, `node-${id}`, 'logs');
      const tenants = await fsp.readdir(logs, { withFileTypes: true });
      const tenant = tenants.find((d) => d.isDirectory());
      if (tenant === undefined) throw new Error(`no tenant directory under ${logs}`);
      const dirs = await fsp.readdir(path.join(logs, tenant.name));
      const dir = dirs.find((d) => d.endsWith(`-${partition}`));
      if (dir === undefined) throw new Error(`no log of partition ${partition} on node ${id}`);
      const full = path.join(logs, tenant.name, dir);
      return (await fsp.readdir(full))
        .filter((name) => name.endsWith('.log'))
        .sort()
        .map((name) => path.join(full, name));
    }

    it('cuts the damage on restart, fetches it again, rejoins the ISR, and serves every acknowledged record intact', async () => {
      const acked = PARTITIONS.map(() => new Map<number, unknown>());
      for (const p of PARTITIONS) await produce(p, 'before', RECORDS_PER_PARTITION, 1, acked[p]!);
      const views = await cluster.partitions(TOPIC, key);
      // A node that follows both partitions.
      const victim = cluster.ids().find((id) => views.every((v) => v.leader !== id))!;
      const others = cluster.ids().filter((id) => id !== victim);
      await cluster.untilPartitions(
        TOPIC,
        key,
        (ps) => ps.every((p) => p.isr.length === 3 && p.highWatermark === acked[p.partition]!.size),
        'every replica holds every record',
      );

      await cluster.kill(victim, signal);
      await cluster.untilPartitions(
        TOPIC,
        key,
        (ps) => ps.every((p) => !p.isr.includes(victim)),
        `node ${victim} out of every ISR`,
      );
      // Partition 0: bytes flipped in the middle of a middle segment. Partition 1: a middle
      // segment cut at the batch boundary nearest its middle (whole batches, then a gap).
      const flipped = await segmentFiles(victim, 0);
      const cut = await segmentFiles(victim, 1);
      expect(Math.min(flipped.length, cut.length)).toBeGreaterThanOrEqual(4);
      const damaged = await fsp.readFile(flipped[1]!);
      for (let i = 0; i < 8; i++) damaged[(damaged.length >> 1) + i]! ^= 0xa5;
      await fsp.writeFile(flipped[1]!, damaged);
      const boundary = middleBoundary(await fsp.readFile(cut[1]!));
      expect(boundary).toBeGreaterThan(0);
      await fsp.truncate(cut[1]!, boundary);

      // More records while it is down: it must fetch these too.
      for (const p of PARTITIONS) await produce(p, 'while-down', 12, others[0]!, acked[p]!);

      await cluster.startNode(victim);
      await cluster.untilPartitions(
        TOPIC,
        key,
        (ps) => ps.every((p) => p.isr.includes(victim)),
        `node ${victim} back in every ISR`,
      );
      // What it fetched again is byte for byte what a healthy replica holds.
      const healthy = others[0]!;
      expect(await fsp.readFile(flipped[1]!)).toEqual(
        await fsp.readFile((await segmentFiles(healthy, 0))[1]!),
      );
      expect(await fsp.readFile(cut[1]!)).toEqual(
        await fsp.readFile((await segmentFiles(healthy, 1))[1]!),
      );

      // Made the only replica left, it leads both partitions and serves them.
      for (const id of others) await cluster.kill(id);
      await cluster.untilPartitions(
        TOPIC,
        key,
        // The high watermark shows once the partition itself acts as leader, not only its row.
        (ps) =>
          ps.every((p) => p.leader === victim && p.highWatermark === acked[p.partition]!.size),
        `node ${victim} leads every partition`,
        30_000,
        victim,
      );
      for (const p of PARTITIONS) {
        const served = await cluster.readAll(TOPIC, p, key, victim);
        expect(served.size).toBe(acked[p]!.size);
        expect(served).toEqual(acked[p]);
      }
    }, 180_000);
  },
);
