// How the gateway reaches partitions, wherever they are led: the local PartitionManager for
// partitions this node leads, another node over the internal RPC for the rest, or a routing
// client that picks one or the other per partition. One interface for all three (and one test
// suite): async, multi-partition where one call per leader saves round trips, every call
// bounded in time. Errors are coded (BrokerError); a call for a partition this node does not
// lead is refused with the retriable NOT_LEADER_OR_FOLLOWER and changes nothing.
import { assert, type BrokerError } from '@tributary/common';
import { type TopicPartition } from './topic-partition';
import { type WakeReason } from './wait-set';

/** Kafka's acks: 0 (no wait), 1 (leader wrote), -1 / all (in-sync replicas have it). */
export type Acks = 0 | 1 | -1;

export interface ProduceRequest extends TopicPartition {
  /** One RecordBatch; its offsets are assigned by the leader. */
  batch: Buffer;
  acks: Acks;
  timeoutMs: number;
  /** The batch was encoded by a node of this cluster (its CRC is right by construction). */
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

/** One partition's outcome of a multi-partition call: each partition succeeds or fails alone. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: BrokerError };

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

/** A partition and the next offset a reader wants from it. */
export interface PartitionPosition extends TopicPartition {
  offset: number;
}

/**
 * Several partitions read now (no wait), in the order given, until `maxBytes` of batches
 * (the first partition with records always gives at least one whole batch).
 */
export interface FetchManyRequest {
  positions: readonly PartitionPosition[];
  maxBytes: number;
}

/** Per position: what was read, or `undefined` when the byte budget ran out before it. */
export type FetchManyResult = (Outcome<FetchResult> | undefined)[];

export interface PartitionState {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: readonly number[];
  isr: readonly number[];
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

export interface BrokerClient {
  /** Each request is written (or refused) on its own; outcomes in request order. */
  produce(requests: readonly ProduceRequest[]): Promise<Outcome<ProduceResult>[]>;
  fetch(request: FetchRequest): Promise<FetchResult>;
  fetchMany(request: FetchManyRequest): Promise<FetchManyResult>;
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
  /** The leader's view of each partition; outcomes in request order. */
  states(tps: readonly TopicPartition[]): Promise<Outcome<PartitionState>[]>;
}

/** The value of a one-request call's single outcome, or its error thrown. */
export function only<T>(outcomes: readonly Outcome<T>[]): T {
  const outcome = outcomes[0];
  assert(outcome !== undefined, 'a call for one partition answered nothing');
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}
