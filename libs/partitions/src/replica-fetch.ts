// A follower's fetch from its leader, as it crosses from the replica fetcher to the leader's
// PartitionManager (in-process, or over the internal RPC).
import { type TopicPartition } from './topic-partition';

export interface ReplicaFetchPartition extends TopicPartition {
  fetchOffset: number;
  /** The epoch of the last batch the follower holds (-1: none, or no check wanted). */
  lastFetchedEpoch: number;
  /** The leader epoch the follower follows. */
  leaderEpoch: number;
}

export interface ReplicaFetchRequest {
  replicaId: number;
  partitions: readonly ReplicaFetchPartition[];
  maxBytes: number;
  maxWaitMs: number;
}

export interface ReplicaFetchAnswer {
  highWatermark: number;
  logStartOffset: number;
  /** Set when the follower's log diverged: truncate to `endOffset`, then fetch again. */
  diverging?: { epoch: number; endOffset: number };
  records: Buffer;
}
