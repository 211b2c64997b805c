// The partitions hosted on this node (Kafka's ReplicaManager, single-node for now): opens their
// logs, appends with the requested acks, serves fetches up to the high watermark, and parks
// long-polls on a WaitSet that the logs' high-watermark moves wake.
import {
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
  type FetchRequest,
  type FetchResult,
  type OffsetLookup,
  type OffsetSpec,
  type PartitionPosition,
  type PartitionState,
  type ProduceRequest,
  type ProduceResult,
} from './broker-client';
import { logName, partitionKey, type TopicPartition } from './topic-partition';
import { WaitSet, type WakeReason } from './wait-set';

export const PARKED_WAITERS_MAX = 10_000;

export interface PartitionManagerOptions {
  logs: LogManager;
  nodeId: number;
  clock?: Clock;
  maxParkedWaiters?: number;
}

interface HostedPartition {
  tp: TopicPartition;
  log: PartitionLog;
  leaderEpoch: number;
  stopListening: () => void;
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

export class PartitionManager implements BrokerClient {
  private readonly hosted = new Map<string, HostedPartition>();
  readonly waits: WaitSet;
  private readonly clock: Clock;

  constructor(private readonly options: PartitionManagerOptions) {
    this.waits = new WaitSet(options.maxParkedWaiters ?? PARKED_WAITERS_MAX);
    this.clock = options.clock ?? systemClock;
  }

  get nodeId(): number {
    return this.options.nodeId;
  }

  /** Opens (recovering if needed) the log of a partition this node leads. */
  async host(tp: TopicPartition, config: TopicConfig, leaderEpoch = 0): Promise<void> {
    const key = partitionKey(tp);
    const existing = this.hosted.get(key);
    if (existing !== undefined) {
      existing.leaderEpoch = leaderEpoch;
      existing.log.updateConfig(toLogConfig(config));
      return;
    }
    const log = await this.options.logs.openLog(logName(tp), toLogConfig(config));
    log.leaderEpoch = leaderEpoch;
    const stopListening = log.addListener(() => this.waits.notify(key));
    this.hosted.set(key, { tp, log, leaderEpoch, stopListening });
  }

  isHosted(tp: TopicPartition): boolean {
    return this.hosted.has(partitionKey(tp));
  }

  updateConfig(tp: TopicPartition, config: TopicConfig): void {
    this.get(tp).log.updateConfig(toLogConfig(config));
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
    this.waits.notify(key); // parked fetches answer now (and find the partition gone)
    if (deleteData) await this.options.logs.deleteLog(logName(tp));
    else await hosted.log.close();
  }

  async produce(request: ProduceRequest): Promise<ProduceResult> {
    const hosted = this.get(request);
    const appended = await hosted.log.append(request.batch, hosted.leaderEpoch, {
      crcVerified: request.crcVerified === true,
    });
    if (request.acks === -1) {
      await this.awaitHighWatermark(hosted, appended.lastOffset + 1, request.timeoutMs);
    }
    const result: ProduceResult = {
      baseOffset: appended.baseOffset,
      lastOffset: appended.lastOffset,
    };
    if (appended.duplicate) {
      result.duplicate = { timestamps: await timestampsAt(hosted.log, appended.baseOffset) };
    }
    return result;
  }

  /** acks=all: the records must be below the high watermark (on every in-sync replica). */
  private async awaitHighWatermark(
    hosted: HostedPartition,
    offset: number,
    timeoutMs: number,
  ): Promise<void> {
    const deadline = this.clock.monotonicMs() + timeoutMs;
    while (hosted.log.highWatermark < offset) {
      const remaining = deadline - this.clock.monotonicMs();
      if (
        remaining <= 0 ||
        (await this.waits.wait([partitionKey(hosted.tp)], remaining)) === 'timeout'
      ) {
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
      const hosted = this.get(request);
      const read = await hosted.log.read(request.offset, request.maxBytes);
      const result: FetchResult = {
        records: read.records,
        nextOffset: read.nextOffset,
        highWatermark: read.highWatermark,
        logStartOffset: read.logStartOffset,
      };
      if (read.records.length > 0) return result;
      // The high watermark may have moved while the read was in flight: look again before
      // parking (this check and the parking below run without yielding, so no wake is lost).
      if (hosted.log.highWatermark > request.offset) continue;
      const remaining = deadline - this.clock.monotonicMs();
      if (remaining <= 0) return result;
      const reason = await this.waits.wait([key], remaining, request.signal);
      if (reason !== 'data') return { ...result, highWatermark: hosted.log.highWatermark };
    }
  }

  awaitRecords(
    positions: readonly PartitionPosition[],
    maxWaitMs: number,
    signal?: AbortSignal,
  ): Promise<WakeReason> {
    // Checked and parked without yielding, so an append in between cannot be missed.
    for (const position of positions) {
      const hosted = this.hosted.get(partitionKey(position));
      // A partition gone (deleted, moved) counts as news: the caller looks again.
      if (hosted === undefined || hosted.log.highWatermark > position.offset) {
        return Promise.resolve('data');
      }
    }
    if (positions.length === 0 || maxWaitMs <= 0) return Promise.resolve('timeout');
    return this.waits.wait(positions.map(partitionKey), maxWaitMs, signal);
  }

  async listOffset(tp: TopicPartition, spec: OffsetSpec): Promise<OffsetLookup> {
    const { log } = this.get(tp);
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
    const { log } = this.get(tp);
    return log.deleteRecordsBefore(beforeOffset === -1 ? log.highWatermark : beforeOffset);
  }

  state(tp: TopicPartition): PartitionState {
    const { log, leaderEpoch } = this.get(tp);
    return {
      partition: tp.partition,
      leader: this.options.nodeId,
      leaderEpoch,
      logStartOffset: log.logStartOffset,
      highWatermark: log.highWatermark,
      logEndOffset: log.logEndOffset,
      sizeBytes: log.sizeBytes,
    };
  }

  /** Every hosted partition with its size on disk (for metrics). */
  *hostedPartitions(): Iterable<{ tp: TopicPartition; sizeBytes: number }> {
    for (const hosted of this.hosted.values())
      yield { tp: hosted.tp, sizeBytes: hosted.log.sizeBytes };
  }

  /** Bytes on disk of every hosted partition of a tenant (storage quota). */
  tenantSizeBytes(tenantId: string): number {
    let total = 0;
    for (const hosted of this.hosted.values())
      if (hosted.tp.tenantId === tenantId) total += hosted.log.sizeBytes;
    return total;
  }

  private get(tp: TopicPartition): HostedPartition {
    const hosted = this.hosted.get(partitionKey(tp));
    if (hosted === undefined || hosted.tp.tenantId !== tp.tenantId) {
      throw new BrokerError(
        'UNKNOWN_TOPIC_OR_PARTITION',
        `partition ${tp.partition} is not hosted here`,
      );
    }
    return hosted;
  }

  async close(): Promise<void> {
    for (const hosted of this.hosted.values()) hosted.stopListening();
    this.hosted.clear();
  }
}
