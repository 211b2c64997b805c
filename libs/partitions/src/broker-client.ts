// How the gateway reaches partitions: in-process when this node leads them, later over the
// internal RPC. Every call names the partition by ids and is bounded in time.
import { type TopicPartition } from './topic-partition';
import { type WakeReason } from './wait-set';

/** Kafka's acks: 0 (no wait), 1 (leader wrote), -1 / all (in-sync replicas have it). */
export type Acks = 0 | 1 | -1;

export interface ProduceRequest extends TopicPartition {
  /** One RecordBatch; its offsets are assigned by the leader. */
  batch: Buffer;
  acks: Acks;
  timeoutMs: number;
  /** The batch was encoded in this process (its CRC is right by construction). */
  crcVerified?: boolean;
}

export interface ProduceResult {
  baseOffset: number;
  lastOffset: number;
  /**
   * Set when the batch repeated its idempotent producer's last one, so nothing was written and
   * the offsets are the first write's: the timestamps its records were written with, in batch
   * order (undefined when retention has removed the batch since).
   */
  duplicate?: { timestamps: number[] | undefined };
}

export interface FetchRequest extends TopicPartition {
  offset: number;
  maxBytes: number;
  /** Long-poll: with nothing at `offset`, wait up to this long for a record. */
  maxWaitMs: number;
  signal?: AbortSignal;
}

export interface FetchResult {
  /** Whole batches; the first may begin below `offset`. */
  records: Buffer;
  nextOffset: number;
  highWatermark: number;
  logStartOffset: number;
}

export interface PartitionState {
  partition: number;
  leader: number;
  leaderEpoch: number;
  logStartOffset: number;
  highWatermark: number;
  logEndOffset: number;
  sizeBytes: number;
}

export type OffsetSpec = 'earliest' | 'latest' | { timestamp: number };

export interface OffsetLookup {
  offset: number;
  timestamp?: number;
}

/** A partition and the next offset a reader wants from it. */
export interface PartitionPosition extends TopicPartition {
  offset: number;
}

export interface BrokerClient {
  produce(request: ProduceRequest): Promise<ProduceResult>;
  fetch(request: FetchRequest): Promise<FetchResult>;
  /**
   * Resolves 'data' as soon as one of the partitions has a record at or after its position
   * (at once if one already has), else 'timeout' or 'aborted'. Group polls and live streams
   * wait on many partitions with it.
   */
  awaitRecords(
    positions: readonly PartitionPosition[],
    maxWaitMs: number,
    signal?: AbortSignal,
  ): Promise<WakeReason>;
  listOffset(tp: TopicPartition, spec: OffsetSpec): Promise<OffsetLookup>;
  deleteRecords(tp: TopicPartition, beforeOffset: number): Promise<number>;
  state(tp: TopicPartition): PartitionState;
}
