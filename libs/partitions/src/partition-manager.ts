// The partition replicas hosted on this node (Kafka's ReplicaManager): opens their logs,
// applies what the metadata store says about each (leader or follower, epoch, ISR), serves the
// BrokerClient calls for the partitions it leads, answers its followers' fetches, and parks
// long-polls, acks=all writes and follower fetches on wait sets that the logs' moves wake.
import {
  assert,
  BrokerError,
  type Clock,
  isBrokerError,
  systemClock,
  type TopicConfig,
} from '@tributary/common';
import { decodeRecordBatchAsync } from '@tributary/protocol';
import {
  DEFAULT_LOG_CONFIG,
  type LogConfig,
  type LogManager,
  type PartitionLog,
} from '@tributary/storage';
import {
  type BrokerClient,
  type FetchManyRequest,
  type FetchManyResult,
  type FetchRequest,
  type FetchResult,
  type OffsetLookup,
  type OffsetSpec,
  type Outcome,
  type PartitionPosition,
  type PartitionState,
  type ProduceRequest,
  type ProduceResult,
} from './broker-client';
import { type AlterIsr, Partition, type PartitionAssignment } from './partition';
import { type ReplicaFetchAnswer, type ReplicaFetchRequest } from './replica-fetch';
import { type FetcherOptions, ReplicaFetchers } from './replica-fetcher';
import { logName, partitionKey, type TopicPartition } from './topic-partition';
import { WaitSet, type WakeReason } from './wait-set';

export const PARKED_WAITERS_MAX = 10_000;
/** Kafka's replica.lag.time.max.ms default. */
export const REPLICA_LAG_MS_DEFAULT = 10_000;

export interface PartitionManagerOptions {
  logs: LogManager;
  nodeId: number;
  clock?: Clock;
  maxParkedWaiters?: number;
  /** Writes an ISR change to the metadata store; default: a node alone applies it itself. */
  alterIsr?: AlterIsr;
  replicaLagMs?: number;
  /** False while this node's broker session may have lapsed (default: always valid). */
  sessionValid?: () => boolean;
  /** Told of every change of a hosted partition's role or leader epoch (for the log). */
  onRoleChange?: (partition: Partition) => void;
  /** How followers reach their leaders; without it this node follows no one (standalone). */
  fetcher?: Omit<FetcherOptions, 'nodeId' | 'clock'>;
}

interface Hosted {
  partition: Partition;
  config: TopicConfig;
  stopListening: () => void;
}

export function toLogConfig(config: TopicConfig): LogConfig {
  return {
    ...DEFAULT_LOG_CONFIG,
    segmentBytes: config['segment.bytes'],
    segmentMs: config['segment.ms'],
    retentionMs: config['retention.ms'],
    retentionBytes: config['retention.bytes'],
    maxMessageBytes: config['max.message.bytes'],
    durability: config.durability,
    flushIntervalMs: config['flush.ms'] === -1 ? null : config['flush.ms'],
  };
}

/** The record timestamps of the batch at `baseOffset`; undefined once it is gone. */
async function timestampsAt(log: PartitionLog, baseOffset: number): Promise<number[] | undefined> {
  try {
    const { records } = await log.read(baseOffset, 1, log.logEndOffset);
    if (records.length === 0) return undefined;
    const batch = await decodeRecordBatchAsync(records);
    return batch.baseOffset === baseOffset ? batch.records.map((r) => r.timestamp) : undefined;
  } catch (error) {
    if (isBrokerError(error, 'OFFSET_OUT_OF_RANGE')) return undefined;
    throw error;
  }
}

async function settleAll<T>(work: Promise<T>[]): Promise<Outcome<T>[]> {
  const settled = await Promise.allSettled(work);
  return settled.map((s) => {
    if (s.status === 'fulfilled') return { ok: true, value: s.value };
    if (s.reason instanceof BrokerError) return { ok: false, error: s.reason };
    throw s.reason; // a bug: not an answer
  });
}

export class PartitionManager implements BrokerClient {
  private readonly hosted = new Map<string, Hosted>();
  /** Woken when a partition's high watermark or role moves: consumers, acks=all writes. */
  readonly waits: WaitSet;
  /** Woken when a partition's log end moves: followers' fetches. */
  readonly replicaWaits: WaitSet;
  private readonly clock: Clock;
  readonly fetchers: ReplicaFetchers | undefined;
  private acksPending = 0;

  constructor(private readonly options: PartitionManagerOptions) {
    this.waits = new WaitSet(options.maxParkedWaiters ?? PARKED_WAITERS_MAX);
    this.replicaWaits = new WaitSet(options.maxParkedWaiters ?? PARKED_WAITERS_MAX);
    this.clock = options.clock ?? systemClock;
    this.fetchers =
      options.fetcher === undefined
        ? undefined
        : new ReplicaFetchers({ ...options.fetcher, nodeId: options.nodeId, clock: this.clock });
  }

  get nodeId(): number {
    return this.options.nodeId;
  }

  /** acks=all writes waiting here for their records to be replicated (a stopping node waits). */
  get pendingAcks(): number {
    return this.acksPending;
  }

  /**
   * Hosts a partition as the metadata store assigns it (opening and recovering its log the
   * first time), or applies a newer assignment to it. Returns the partition, or undefined when
   * this node is not among its replicas (a caller then unhosts it).
   */
  async apply(
    tp: TopicPartition,
    assignment: PartitionAssignment,
    config: TopicConfig,
  ): Promise<Partition | undefined> {
    if (!assignment.replicas.includes(this.nodeId)) return undefined;
    const key = partitionKey(tp);
    const existing = this.hosted.get(key);
    if (existing !== undefined) {
      existing.config = config;
      existing.partition.log.updateConfig(toLogConfig(config));
      existing.partition.apply(assignment); // a change calls back roleChanged
      return existing.partition;
    }
    const log = await this.options.logs.openLog(logName(tp), toLogConfig(config), false);
    const raced = this.hosted.get(key);
    if (raced !== undefined) return raced.partition; // hosted meanwhile by a concurrent apply
    const partition = new Partition(tp, log, assignment, {
      nodeId: this.nodeId,
      clock: this.clock,
      alterIsr: this.options.alterIsr ?? soleReplicaAlterIsr(this.nodeId),
      replicaLagMs: this.options.replicaLagMs ?? REPLICA_LAG_MS_DEFAULT,
      sessionValid: this.options.sessionValid ?? (() => true),
      onRoleChange: (changed) => this.roleChanged(changed),
    });
    let last = { highWatermark: log.highWatermark, logEndOffset: log.logEndOffset };
    const stopListening = log.addListener((event) => {
      if (event.logEndOffset !== last.logEndOffset) this.replicaWaits.notify(key);
      // A truncation tells acks=all writes waiting on a former leader that their records are gone.
      if (event.highWatermark !== last.highWatermark || event.logEndOffset < last.logEndOffset)
        this.waits.notify(key);
      last = event;
      partition.maybeIncrementHighWatermark();
    });
    this.hosted.set(key, { partition, config, stopListening });
    partition.maybeIncrementHighWatermark();
    this.followLeader(partition);
    return partition;
  }

  /**
   * The partition's role or epoch changed: whoever waits on it looks again, and a follower
   * fetches from its (new) leader, a leader (or a partition without one) from no one.
   */
  private roleChanged(partition: Partition): void {
    if (this.hosted.get(partitionKey(partition.tp))?.partition !== partition) return;
    this.wake(partitionKey(partition.tp));
    this.followLeader(partition);
  }

  private followLeader(partition: Partition): void {
    this.options.onRoleChange?.(partition);
    if (partition.isLeader) this.fetchers?.stop(partition);
    else this.fetchers?.follow(partition, partition.assignment.leader);
  }

  /** A standalone node's hosting: this node the only replica and the leader. */
  host(tp: TopicPartition, config: TopicConfig, leaderEpoch = 0): Promise<Partition | undefined> {
    const me = this.nodeId;
    return this.apply(
      tp,
      { leader: me, leaderEpoch, replicas: [me], isr: [me], version: 0 },
      config,
    );
  }

  isHosted(tp: TopicPartition): boolean {
    return this.hosted.has(partitionKey(tp));
  }

  partition(tp: TopicPartition): Partition | undefined {
    const hosted = this.hosted.get(partitionKey(tp));
    return hosted !== undefined && hosted.partition.tp.tenantId === tp.tenantId
      ? hosted.partition
      : undefined;
  }

  /** Every hosted partition. */
  partitions(): Partition[] {
    return [...this.hosted.values()].map((h) => h.partition);
  }

  /** Wakes whoever waits on the partition: its role, epoch or high watermark moved. */
  private wake(key: string): void {
    this.waits.notify(key);
    this.replicaWaits.notify(key);
  }

  /** Stops hosting a partition; with `deleteData`, its log is removed from disk. */
  async unhost(tp: TopicPartition, deleteData: boolean): Promise<void> {
    const key = partitionKey(tp);
    const hosted = this.hosted.get(key);
    if (hosted === undefined) {
      if (deleteData) await this.options.logs.deleteLog(logName(tp)).catch(() => undefined);
      return;
    }
    this.hosted.delete(key);
    hosted.stopListening();
    this.fetchers?.stop(hosted.partition);
    this.wake(key); // parked calls answer now (and find the partition gone)
    if (deleteData) await this.options.logs.deleteLog(logName(tp));
    else await hosted.partition.log.close();
  }

  // ---- BrokerClient: what this node serves as the leader ----

  produce(requests: readonly ProduceRequest[]): Promise<Outcome<ProduceResult>[]> {
    return settleAll(requests.map((request) => this.produceOne(request)));
  }

  private async produceOne(request: ProduceRequest): Promise<ProduceResult> {
    const hosted = this.get(request);
    const { partition } = hosted;
    const minInsync = hosted.config['min.insync.replicas'];
    partition.checkLeader();
    if (request.acks === -1) partition.checkInSyncReplicas(minInsync);
    const appended = await partition.appendAsLeader(request.batch, request.crcVerified === true);
    if (request.acks === -1) {
      const epoch = partition.log.epochs.epochAt(appended.lastOffset);
      this.acksPending += 1;
      try {
        await this.awaitCommitted(hosted, appended.lastOffset, epoch, request.timeoutMs, minInsync);
      } finally {
        this.acksPending -= 1;
      }
    }
    const result: ProduceResult = {
      baseOffset: appended.baseOffset,
      lastOffset: appended.lastOffset,
    };
    if (appended.duplicate) {
      result.duplicate = { timestamps: await timestampsAt(partition.log, appended.baseOffset) };
    }
    return result;
  }

  /**
   * acks=all, a delayed operation: done when the high watermark passes `lastOffset` (every
   * replica of the ISR has the records), refused when the ISR has meanwhile shrunk below
   * min.insync.replicas or when the time is up. It outlives a move of the leadership (a
   * controlled shutdown, a reassignment): as a follower, this node learns the new leader's
   * high watermark, and the records are committed once it passes them while they are still
   * here in the epoch they were written in; they are refused as not kept (retriable, and safe
   * to retry) once the new leader's log has made this one truncate them.
   */
  private async awaitCommitted(
    hosted: Hosted,
    lastOffset: number,
    epoch: number,
    timeoutMs: number,
    minInsync: number,
  ): Promise<void> {
    const { partition } = hosted;
    const { log } = partition;
    const key = partitionKey(partition.tp);
    const deadline = this.clock.monotonicMs() + timeoutMs;
    const kept = () => log.logEndOffset > lastOffset && log.epochs.epochAt(lastOffset) === epoch;
    for (;;) {
      if (!kept()) {
        throw new BrokerError(
          'NOT_LEADER_OR_FOLLOWER',
          `the leadership of partition ${partition.tp.partition} moved and the new leader did not have these records: nothing was kept; retry`,
        );
      }
      if (log.highWatermark > lastOffset) {
        if (partition.assignment.isr.length < minInsync) {
          throw new BrokerError(
            'NOT_ENOUGH_REPLICAS',
            `the records were written, but the ISR shrank below min.insync.replicas ${minInsync} before they were replicated`,
          );
        }
        return;
      }
      if (this.hosted.get(key) !== hosted) {
        throw new BrokerError(
          'NOT_ENOUGH_REPLICAS',
          `partition ${partition.tp.partition} moved away from this node before the records were replicated; their outcome is unknown`,
        );
      }
      const remaining = deadline - this.clock.monotonicMs();
      if (remaining <= 0 || (await this.waits.wait([key], remaining)) === 'timeout') {
        throw new BrokerError(
          'NOT_ENOUGH_REPLICAS',
          `records not replicated to the in-sync replicas within ${timeoutMs} ms`,
        );
      }
    }
  }

  async fetch(request: FetchRequest): Promise<FetchResult> {
    const key = partitionKey(request);
    const deadline = this.clock.monotonicMs() + request.maxWaitMs;
    for (;;) {
      const { partition } = this.get(request);
      partition.checkLeader();
      const { log } = partition;
      const read = await log.read(request.offset, request.maxBytes);
      const result: FetchResult = {
        records: read.records,
        nextOffset: read.nextOffset,
        highWatermark: read.highWatermark,
        logStartOffset: read.logStartOffset,
      };
      if (read.records.length > 0) return result;
      // The high watermark may have moved while the read was in flight: look again before
      // parking (this check and the parking below run without yielding, so no wake is lost).
      if (log.highWatermark > request.offset) continue;
      const remaining = deadline - this.clock.monotonicMs();
      if (remaining <= 0) return result;
      const reason = await this.waits.wait([key], remaining, request.signal);
      if (reason !== 'data') return { ...result, highWatermark: log.highWatermark };
    }
  }

  async fetchMany(request: FetchManyRequest): Promise<FetchManyResult> {
    const results: FetchManyResult = request.positions.map(() => undefined);
    let bytes = 0;
    for (let i = 0; i < request.positions.length && bytes < request.maxBytes; i++) {
      const position = request.positions[i]!;
      try {
        const fetched = await this.fetch({
          ...position,
          maxBytes: request.maxBytes - bytes,
          maxWaitMs: 0,
        });
        results[i] = { ok: true, value: fetched };
        // At least one byte per read, so that a run of empty partitions still ends the loop.
        bytes += Math.max(1, fetched.records.length);
      } catch (error) {
        if (!(error instanceof BrokerError)) throw error;
        results[i] = { ok: false, error };
      }
    }
    return results;
  }

  awaitRecords(
    positions: readonly PartitionPosition[],
    maxWaitMs: number,
    signal?: AbortSignal,
  ): Promise<WakeReason> {
    // Checked and parked without yielding, so an append in between cannot be missed.
    for (const position of positions) {
      const partition = this.partition(position);
      // A partition gone (deleted, moved, led elsewhere now) counts as news: the caller
      // looks again, and learns where it went.
      if (
        partition === undefined ||
        !partition.isLeader ||
        partition.log.highWatermark > position.offset
      ) {
        return Promise.resolve('data');
      }
    }
    if (positions.length === 0 || maxWaitMs <= 0) return Promise.resolve('timeout');
    return this.waits.wait(positions.map(partitionKey), maxWaitMs, signal);
  }

  async listOffset(tp: TopicPartition, spec: OffsetSpec): Promise<OffsetLookup> {
    const { partition } = this.get(tp);
    partition.checkLeader();
    const { log } = partition;
    if (spec === 'earliest') return { offset: log.logStartOffset };
    if (spec === 'latest') return { offset: log.highWatermark };
    const batch = await log.batchForTimestamp(spec.timestamp);
    if (batch !== undefined) {
      const decoded = await decodeRecordBatchAsync(batch);
      for (const record of decoded.records) {
        if (record.offset >= log.logStartOffset && record.timestamp >= spec.timestamp) {
          return { offset: record.offset, timestamp: record.timestamp };
        }
      }
    }
    // No record at or after the time: the next record to arrive will be the first.
    return { offset: log.highWatermark };
  }

  deleteRecords(tp: TopicPartition, beforeOffset: number): Promise<number> {
    const { partition } = this.get(tp);
    partition.checkLeader();
    const { log } = partition;
    return log.deleteRecordsBefore(beforeOffset === -1 ? log.highWatermark : beforeOffset);
  }

  async states(tps: readonly TopicPartition[]): Promise<Outcome<PartitionState>[]> {
    return tps.map((tp) => {
      try {
        const { partition } = this.get(tp);
        partition.checkLeader();
        return { ok: true, value: this.stateOf(partition) };
      } catch (error) {
        if (!(error instanceof BrokerError)) throw error;
        return { ok: false, error };
      }
    });
  }

  private stateOf(partition: Partition): PartitionState {
    const { log } = partition;
    return {
      partition: partition.tp.partition,
      ...partition.describe(),
      logStartOffset: log.logStartOffset,
      highWatermark: log.highWatermark,
      logEndOffset: log.logEndOffset,
      sizeBytes: log.sizeBytes,
    };
  }

  // ---- replication: what this node answers its followers ----

  /**
   * A follower's fetch over many partitions: each is checked (epoch, divergence) and read from
   * the follower's offset up to the log end, within `maxBytes` in all. With nothing to send
   * anywhere, it waits up to `maxWaitMs` for an append to one of them.
   */
  async replicaFetch(
    request: ReplicaFetchRequest,
    signal?: AbortSignal,
  ): Promise<Outcome<ReplicaFetchAnswer>[]> {
    const keys = request.partitions.map(partitionKey);
    const deadline = this.clock.monotonicMs() + request.maxWaitMs;
    for (;;) {
      const answers = await this.replicaRead(request);
      const news = answers.some((a) => !a.ok || a.value.records.length > 0 || a.value.diverging);
      const remaining = deadline - this.clock.monotonicMs();
      if (news || remaining <= 0 || keys.length === 0) return answers;
      // Parked before any await since the read: an append in between wakes it.
      const reason = await this.replicaWaits.wait(keys, remaining, signal);
      if (reason !== 'data') return answers;
    }
  }

  private async replicaRead(request: ReplicaFetchRequest): Promise<Outcome<ReplicaFetchAnswer>[]> {
    let bytes = 0;
    const answers: Outcome<ReplicaFetchAnswer>[] = [];
    for (const p of request.partitions) {
      try {
        const { partition } = this.get(p);
        const { log } = partition;
        const check = partition.followerFetch(
          request.replicaId,
          p.fetchOffset,
          p.lastFetchedEpoch,
          p.leaderEpoch,
        );
        const base = { highWatermark: log.highWatermark, logStartOffset: log.logStartOffset };
        if (check.kind === 'diverging') {
          answers.push({ ok: true, value: { ...base, diverging: check, records: EMPTY } });
          continue;
        }
        let records: Buffer = EMPTY;
        if (bytes < request.maxBytes && p.fetchOffset < log.logEndOffset) {
          const read = await log.read(p.fetchOffset, request.maxBytes - bytes, log.logEndOffset);
          records = read.records;
          bytes += records.length;
        }
        answers.push({ ok: true, value: { ...base, highWatermark: log.highWatermark, records } });
      } catch (error) {
        if (!(error instanceof BrokerError)) throw error;
        answers.push({ ok: false, error });
      }
    }
    return answers;
  }

  /** Runs the ISR check of every partition this node leads (followers that fell behind). */
  async checkIsr(): Promise<void> {
    for (const { partition } of this.hosted.values()) {
      if (partition.isLeader) await partition.maybeShrinkIsr().catch(() => undefined);
    }
  }

  // ---- the rest ----

  /** Every hosted partition with its size on disk (for metrics). */
  *hostedPartitions(): Iterable<{ tp: TopicPartition; sizeBytes: number }> {
    for (const { partition } of this.hosted.values())
      yield { tp: partition.tp, sizeBytes: partition.log.sizeBytes };
  }

  /** Bytes on disk of every hosted partition of a tenant (storage quota). */
  tenantSizeBytes(tenantId: string): number {
    let total = 0;
    for (const { partition } of this.hosted.values())
      if (partition.tp.tenantId === tenantId) total += partition.log.sizeBytes;
    return total;
  }

  private get(tp: TopicPartition): Hosted {
    const hosted = this.hosted.get(partitionKey(tp));
    if (hosted === undefined || hosted.partition.tp.tenantId !== tp.tenantId) {
      throw new BrokerError(
        'UNKNOWN_TOPIC_OR_PARTITION',
        `partition ${tp.partition} is not hosted here`,
      );
    }
    return hosted;
  }

  async close(): Promise<void> {
    await this.fetchers?.close();
    for (const hosted of this.hosted.values()) hosted.stopListening();
    this.hosted.clear();
  }
}

const EMPTY = Buffer.alloc(0);

/** A node that is its partitions' only replica has no one to agree an ISR change with. */
function soleReplicaAlterIsr(nodeId: number): AlterIsr {
  return (_tp, change) => {
    assert(change.isr.includes(nodeId), 'the leader always stays in the ISR');
    return Promise.resolve({
      leader: nodeId,
      leaderEpoch: change.leaderEpoch,
      replicas: [nodeId],
      isr: change.isr,
      version: change.expectedVersion + 1,
    });
  };
}
