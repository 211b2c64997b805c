// Replication in one process: three PartitionManagers (nodes 1-3) over in-memory logs, their
// followers fetching straight from the leader's manager, and a stand-in for the metadata store
// (one row per partition, compare-and-set on its version, applied to every node). Covers acks
// and the high watermark, the ISR shrinking and growing, leadership moves with divergent
// tails truncated (Kafka's KIP-101 cases), and a seeded random schedule of all of it.
import { ManualClock, resolveTopicConfig, type TopicConfig, waitUntil } from '@tributary/common';
import { decodeRecordBatches, encodeRecordBatch } from '@tributary/protocol';
import { LogManager, MemoryFileSystem } from '@tributary/storage';
import { only } from './broker-client';
import { type IsrChange, type PartitionAssignment } from './partition';
import { PartitionManager } from './partition-manager';
import { type LeaderEndpoint } from './replica-fetcher';
import { type TopicPartition } from './topic-partition';

const tp: TopicPartition = { tenantId: 'tenant', topicId: 'topic', partition: 0 };
const NODES = [1, 2, 3];
const LAG_MS = 10_000;

function batch(values: string[]): Buffer {
  return encodeRecordBatch(
    values.map((v) => ({ value: Buffer.from(v) })),
    { defaultTimestampMs: 1_700_000_000_000 },
  );
}

/** Lets `count` turns of the event loop go by (replication moves on meanwhile). */
async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

class Cluster {
  readonly clock = new ManualClock();
  readonly managers = new Map<number, PartitionManager>();
  readonly logs = new Map<number, LogManager>();
  /** Nodes whose fetches fail (a follower cut off from its leader): see cutOff. */
  readonly cut = new Set<number>();
  /** Each node's fetches in flight, ended at once when it is cut off. */
  private readonly fetching = new Map<number, Set<AbortController>>();
  row: PartitionAssignment = { leader: 1, leaderEpoch: 0, replicas: NODES, isr: NODES, version: 0 };
  config: TopicConfig;

  constructor(configs: Record<string, string> = {}) {
    this.config = resolveTopicConfig(configs);
  }

  async start(): Promise<void> {
    for (const id of NODES) await this.startNode(id);
  }

  async startNode(id: number, fs = new MemoryFileSystem()): Promise<void> {
    const logs = await LogManager.open({
      dataDir: `/data-${id}`,
      fs,
      retentionCheckIntervalMs: 0,
      checkpointIntervalMs: 0,
    });
    const manager = new PartitionManager({
      logs,
      nodeId: id,
      clock: this.clock,
      replicaLagMs: LAG_MS,
      alterIsr: (_tp, change) => this.alterIsr(change),
      fetcher: {
        endpoint: (leaderId) => this.endpoint(id, leaderId),
        maxWaitMs: 20,
        backoffMs: 5,
        backoffMaxMs: 20,
        onError: (error, leaderId) => {
          if (process.env.DEBUG_FETCH) console.log(id, '<-', leaderId, error);
        },
      },
    });
    this.logs.set(id, logs);
    this.managers.set(id, manager);
    await manager.apply(tp, this.row, this.config);
  }

  private endpoint(from: number, leaderId: number): LeaderEndpoint {
    return {
      replicaFetch: async (request, signal) => {
        if (this.cut.has(from)) throw new Error(`node ${from} is cut off`);
        const leader = this.managers.get(leaderId);
        if (leader === undefined) throw new Error(`node ${leaderId} is down`);
        const call = new AbortController();
        const onAbort = () => call.abort();
        signal?.addEventListener('abort', onAbort, { once: true });
        let calls = this.fetching.get(from);
        if (calls === undefined) this.fetching.set(from, (calls = new Set()));
        calls.add(call);
        try {
          return await leader.replicaFetch(request, call.signal);
        } finally {
          calls.delete(call);
          signal?.removeEventListener('abort', onAbort);
        }
      },
    };
  }

  /** Cuts a node off from its leader: its next fetches fail, and one parked now ends empty. */
  cutOff(id: number): void {
    this.cut.add(id);
    for (const call of this.fetching.get(id) ?? []) call.abort();
  }

  /** The metadata store's compare-and-set, then every node hears of the new row. */
  private async alterIsr(change: IsrChange): Promise<PartitionAssignment> {
    if (
      change.expectedVersion === this.row.version &&
      change.leaderEpoch === this.row.leaderEpoch
    ) {
      await this.publish({ ...this.row, isr: change.isr, version: this.row.version + 1 });
    }
    return this.row;
  }

  async publish(row: PartitionAssignment): Promise<void> {
    this.row = row;
    for (const manager of this.managers.values()) await manager.apply(tp, row, this.config);
  }

  /** The controller's move: a new leader from the ISR, the epoch bumped. */
  async elect(leader: number, isr = this.row.isr): Promise<void> {
    await this.publish({
      ...this.row,
      leader,
      leaderEpoch: this.row.leaderEpoch + 1,
      isr,
      version: this.row.version + 1,
    });
  }

  manager(id: number): PartitionManager {
    return this.managers.get(id)!;
  }

  produce(values: string[], acks: -1 | 1 = -1, timeoutMs = 5_000) {
    return this.manager(this.row.leader).produce([
      { ...tp, batch: batch(values), acks, timeoutMs },
    ]);
  }

  /** "offset:value" of every record in the node's log (not only below the high watermark). */
  async contents(id: number): Promise<string[]> {
    const log = this.manager(id).partition(tp)!.log;
    if (log.logEndOffset === log.logStartOffset) return [];
    const { records } = await log.read(log.logStartOffset, 64 << 20, log.logEndOffset);
    return decodeRecordBatches(records).flatMap((b) =>
      b.records.map((r) => `${r.offset}:${r.value!.toString()}`),
    );
  }

  highWatermark(id: number): number {
    return this.manager(id).partition(tp)!.log.highWatermark;
  }

  async converged(ids: number[] = this.row.isr as number[]): Promise<void> {
    const leaderEnd = () => this.manager(this.row.leader).partition(tp)!.log.logEndOffset;
    await waitUntil(
      () =>
        ids.every(
          (id) =>
            this.manager(id).partition(tp)!.log.logEndOffset === leaderEnd() &&
            this.highWatermark(id) === this.highWatermark(this.row.leader),
        ),
      `nodes ${ids.join(',')} caught up with the leader`,
    );
  }

  async stop(): Promise<void> {
    for (const [id, manager] of this.managers) {
      await manager.close();
      await this.logs.get(id)!.close();
    }
    this.managers.clear();
  }
}

describe('replication', () => {
  let cluster: Cluster;
  afterEach(() => cluster.stop());

  it('acknowledges acks=all once every in-sync replica has the records, and the followers hold them at the same offsets', async () => {
    cluster = new Cluster();
    await cluster.start();
    const first = only(await cluster.produce(['a', 'b']));
    const second = only(await cluster.produce(['c']));
    expect([first, second]).toEqual([
      { baseOffset: 0, lastOffset: 1 },
      { baseOffset: 2, lastOffset: 2 },
    ]);
    expect(cluster.highWatermark(1)).toBe(3);
    await cluster.converged();
    for (const id of NODES) expect(await cluster.contents(id)).toEqual(['0:a', '1:b', '2:c']);
  });

  it('holds the high watermark for a follower that stops fetching, shrinks the ISR after the lag, and lets it back once caught up', async () => {
    cluster = new Cluster({ 'min.insync.replicas': '2' });
    await cluster.start();
    only(await cluster.produce(['a']));
    cluster.cutOff(3);
    const pending = cluster.produce(['b']);
    // Node 2 has it, node 3 cannot: the high watermark stays below it.
    await waitUntil(
      async () => (await cluster.contents(2)).length === 2,
      'node 2 fetched the record',
    );
    expect(cluster.highWatermark(1)).toBe(1);
    cluster.clock.advance(LAG_MS + 1);
    const caughtUpSince = cluster.clock.monotonicMs();
    await waitUntil(
      () =>
        cluster
          .manager(1)
          .partition(tp)!
          .followerStates()
          .some((f) => f.replica === 2 && f.lastCaughtUpMs >= caughtUpSince),
      'node 2 fetched again after the clock moved',
    );
    await cluster.manager(1).checkIsr();
    expect(cluster.row.isr).toEqual([1, 2]);
    expect(only(await pending)).toEqual({ baseOffset: 1, lastOffset: 1 });
    // Back, caught up, and in the ISR again.
    cluster.cut.delete(3);
    await waitUntil(() => cluster.row.isr.length === 3, 'node 3 rejoined the ISR');
    expect(cluster.row.isr).toEqual([1, 2, 3]);
    await cluster.converged();
    expect(await cluster.contents(3)).toEqual(['0:a', '1:b']);
  });

  it("completes an acks=all write parked on a leader whose leadership moves, from the new leader's high watermark", async () => {
    cluster = new Cluster({ 'min.insync.replicas': '2' });
    await cluster.start();
    only(await cluster.produce(['a']));
    cluster.cutOff(3);
    const pending = cluster.produce(['b']);
    await waitUntil(
      async () => (await cluster.contents(2)).length === 2,
      'node 2 fetched the record',
    );
    expect(cluster.highWatermark(1)).toBe(1); // node 3 holds it back
    // The leadership moves to node 2 (a controlled shutdown of node 1, say), without node 3.
    await cluster.elect(2, [1, 2]);
    // Node 1, a follower now, learns node 2's high watermark: the write it parked is committed.
    expect(only(await pending)).toEqual({ baseOffset: 1, lastOffset: 1 });
    expect(cluster.manager(1).pendingAcks).toBe(0);
    expect(await cluster.contents(2)).toEqual(['0:a', '1:b']);
  });

  it("refuses an acks=all write parked on a former leader as not kept once the new leader's log cuts it, so it can be sent again", async () => {
    cluster = new Cluster({ 'min.insync.replicas': '2' });
    await cluster.start();
    only(await cluster.produce(['a']));
    await cluster.converged();
    cluster.cutOff(2);
    cluster.cutOff(3);
    const pending = cluster.produce(['b']);
    await waitUntil(
      async () => (await cluster.contents(1)).length === 2,
      'node 1 appended the record',
    );
    // Neither follower has it; node 2 leads now, and node 1 follows it.
    await cluster.elect(2, [2, 3]);
    const [outcome] = await pending;
    expect(outcome).toMatchObject({ ok: false, error: { code: 'NOT_LEADER_OR_FOLLOWER' } });
    await waitUntil(
      async () => (await cluster.contents(1)).join() === '0:a',
      "node 1's tail cut to the new leader's log",
    );
  });

  it('drops at once from the ISR a follower that asks from below the high watermark (it lost acknowledged records), and lets it back once caught up', async () => {
    cluster = new Cluster({ 'min.insync.replicas': '2' });
    await cluster.start();
    only(await cluster.produce(['a', 'b', 'c']));
    await cluster.converged();
    // Node 3 comes back with its log cut at offset 1 (damage found on load) while the leader
    // still counts it in sync; its first fetch asks from 1, below the high watermark 3.
    cluster.cutOff(3);
    const cutLog = cluster.manager(3).partition(tp)!.log;
    await cutLog.truncateTo(1);
    expect(cluster.row.isr).toEqual([1, 2, 3]);
    const [answer] = await cluster.manager(1).replicaFetch({
      replicaId: 3,
      maxBytes: 1 << 20,
      maxWaitMs: 0,
      partitions: [{ ...tp, fetchOffset: 1, lastFetchedEpoch: 0, leaderEpoch: 0 }],
    });
    expect(answer).toMatchObject({ ok: true, value: { highWatermark: 3 } });
    // Out without waiting for the replica lag (the clock has not moved).
    await waitUntil(() => cluster.row.isr.length === 2, 'node 3 dropped from the ISR');
    expect(cluster.row.isr).toEqual([1, 2]);
    // It no longer holds acks=all back.
    expect(only(await cluster.produce(['d'], -1, 1_000))).toEqual({ baseOffset: 3, lastOffset: 3 });
    // Back, caught up, and in the ISR again.
    cluster.cut.delete(3);
    await waitUntil(() => cluster.row.isr.length === 3, 'node 3 rejoined the ISR');
    await cluster.converged();
    expect(await cluster.contents(3)).toEqual(['0:a', '1:b', '2:c', '3:d']);
  });

  it('keeps in the ISR a follower that asks from the high watermark or above', async () => {
    cluster = new Cluster();
    await cluster.start();
    only(await cluster.produce(['a', 'b', 'c']));
    await cluster.converged();
    const version = cluster.row.version;
    const [answer] = await cluster.manager(1).replicaFetch({
      replicaId: 3,
      maxBytes: 1 << 20,
      maxWaitMs: 0,
      partitions: [{ ...tp, fetchOffset: 3, lastFetchedEpoch: 0, leaderEpoch: 0 }],
    });
    expect(answer).toMatchObject({ ok: true });
    only(await cluster.produce(['d']));
    expect(cluster.row).toMatchObject({ isr: [1, 2, 3], version });
  });

  it('refuses acks=all below min.insync.replicas, writing nothing; acks=1 still writes', async () => {
    cluster = new Cluster({ 'min.insync.replicas': '2' });
    await cluster.start();
    await cluster.publish({ ...cluster.row, isr: [1], version: cluster.row.version + 1 });
    const [refused] = await cluster.produce(['x']);
    expect(refused).toMatchObject({ ok: false, error: { code: 'NOT_ENOUGH_REPLICAS' } });
    expect(await cluster.contents(1)).toEqual([]);
    expect(only(await cluster.produce(['y'], 1))).toEqual({ baseOffset: 0, lastOffset: 0 });
  });

  it('answers a write whose ISR shrank below min.insync.replicas while it waited with NOT_ENOUGH_REPLICAS', async () => {
    cluster = new Cluster({ 'min.insync.replicas': '2' });
    await cluster.start();
    cluster.cutOff(2);
    cluster.cutOff(3);
    const pending = cluster.produce(['x']);
    await waitUntil(async () => (await cluster.contents(1)).length === 1, 'the leader wrote it');
    cluster.clock.advance(LAG_MS + 1);
    await cluster.manager(1).checkIsr();
    expect(cluster.row.isr).toEqual([1]);
    const [outcome] = await pending;
    expect(outcome).toMatchObject({ ok: false, error: { code: 'NOT_ENOUGH_REPLICAS' } });
  });

  it('refuses calls on a follower and on a stale epoch, changing nothing', async () => {
    cluster = new Cluster();
    await cluster.start();
    const [onFollower] = await cluster
      .manager(2)
      .produce([{ ...tp, batch: batch(['x']), acks: 1, timeoutMs: 100 }]);
    expect(onFollower).toMatchObject({
      ok: false,
      error: { code: 'NOT_LEADER_OR_FOLLOWER', retriable: true, extra: { leader: 1 } },
    });
    const [stale] = await cluster.manager(1).replicaFetch({
      replicaId: 2,
      maxBytes: 1000,
      maxWaitMs: 0,
      partitions: [{ ...tp, fetchOffset: 0, lastFetchedEpoch: -1, leaderEpoch: -1 }],
    });
    expect(stale).toMatchObject({ ok: false, error: { code: 'FENCED_LEADER_EPOCH' } });
    expect(await cluster.contents(1)).toEqual([]);
  });

  it('KIP-101: a former leader with an uncommitted tail truncates it where the new leader diverges, not to its high watermark', async () => {
    cluster = new Cluster();
    await cluster.start();
    only(await cluster.produce(['a', 'b']));
    await cluster.converged();
    // Node 1 writes two more that no follower gets (acks=1), then loses the leadership.
    cluster.cutOff(2);
    cluster.cutOff(3);
    only(await cluster.produce(['lost-1', 'lost-2'], 1));
    await cluster.elect(2, [2, 3]);
    cluster.cut.clear();
    only(await cluster.produce(['c']));
    await cluster.publish({ ...cluster.row, isr: [2, 3], version: cluster.row.version + 1 });
    await waitUntil(
      async () => (await cluster.contents(1)).join() === '0:a,1:b,2:c',
      'node 1 truncated and caught up',
    );
    for (const id of NODES) expect(await cluster.contents(id)).toEqual(['0:a', '1:b', '2:c']);
  });

  const seed = Number(process.env.TEST_SEED) || Math.floor(Math.random() * 2 ** 31) + 1;
  it(`keeps every acknowledged record through a random schedule of writes, cuts, ISR changes and elections (seed ${seed}, TEST_SEED to replay)`, async () => {
    let state = seed >>> 0;
    const random = () => {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = Math.imul(state ^ (state >>> 15), state | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    cluster = new Cluster();
    await cluster.start();
    const acknowledged = new Map<number, string>(); // offset -> value
    const inFlight: Promise<void>[] = [];
    for (let round = 0; round < 80; round++) {
      // A round: perhaps cut a node off from its leader; write; perhaps move the leadership
      // (most often to a node that was cut off, which is the likeliest to lack something);
      // perhaps heal the cuts, or let the leader drop laggards from the ISR.
      if (random() < 0.4) cluster.cutOff(pick(NODES));
      for (let i = Math.floor(random() * 3); i >= 0; i--) {
        const value = `r${round}-${i}`;
        inFlight.push(
          cluster.produce([value], -1, 200).then(([outcome]) => {
            if (outcome?.ok === true) acknowledged.set(outcome.value.baseOffset, value);
          }),
        );
      }
      await turns(Math.floor(random() * 20));
      if (random() < 0.4) {
        const cutInIsr = cluster.row.isr.filter((id) => cluster.cut.has(id));
        await cluster.elect(
          pick(cutInIsr.length > 0 && random() < 0.7 ? cutInIsr : cluster.row.isr),
        );
      }
      if (random() < 0.3) cluster.cut.clear();
      if (random() < 0.2) {
        cluster.clock.advance(LAG_MS + 1);
        await cluster.manager(cluster.row.leader).checkIsr();
      }
      await turns(Math.floor(random() * 40));
    }
    await Promise.all(inFlight);
    cluster.cut.clear();
    only(await cluster.produce(['last'], -1, 10_000));
    await waitUntil(() => cluster.row.isr.length === 3, 'every node back in the ISR');
    await cluster.converged(NODES);
    const logs = await Promise.all(NODES.map((id) => cluster.contents(id)));
    expect(logs[1]).toEqual(logs[0]);
    expect(logs[2]).toEqual(logs[0]);
    for (const [offset, value] of acknowledged) expect(logs[0]).toContain(`${offset}:${value}`);
    expect(acknowledged.size).toBeGreaterThan(0);
  }, 60_000);

  it('KIP-101: a follower whose high watermark lags keeps the records the new leader has (no truncation to the high watermark)', async () => {
    cluster = new Cluster();
    await cluster.start();
    only(await cluster.produce(['a', 'b', 'c']));
    await cluster.converged([2]);
    // Node 2 may know a lower high watermark than the leader; it becomes leader and node 1
    // follows: nothing the new leader has is cut from either log.
    await cluster.elect(2);
    only(await cluster.produce(['d']));
    await cluster.converged();
    for (const id of NODES)
      expect(await cluster.contents(id)).toEqual(['0:a', '1:b', '2:c', '3:d']);
  });
});
