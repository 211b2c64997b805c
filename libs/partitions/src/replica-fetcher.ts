// Followers pulling from their leaders (Kafka's ReplicaFetcherThread): one fetcher per leader
// node, covering every partition this node follows there, each round one long-polling fetch
// for all of them. A round asks each partition from its log end with the epoch of its last
// batch; the answers are applied in turn: records appended as the leader stamped them (then the
// follower's high watermark moves up to the leader's), a divergence truncated (KIP-101/320:
// to the end of the last epoch both logs share, never to the high watermark), a log start the
// leader moved past this log's end started afresh, and an error sets the partition aside until
// its assignment changes. Rounds back off after a failure, within bounds.
import { BrokerError, type Clock, isBrokerError, systemClock } from '@tributary/common';
import { type Outcome } from './broker-client';
import { type Partition } from './partition';
import {
  type ReplicaFetchAnswer,
  type ReplicaFetchPartition,
  type ReplicaFetchRequest,
} from './replica-fetch';
import { partitionKey } from './topic-partition';

/** How a follower reaches a leader: the leader's PartitionManager, or the RPC to its node. */
export interface LeaderEndpoint {
  replicaFetch(
    request: ReplicaFetchRequest,
    signal?: AbortSignal,
  ): Promise<Outcome<ReplicaFetchAnswer>[]>;
}

export interface FetcherOptions {
  nodeId: number;
  /** The leader's node and how to reach it. */
  endpoint: (leaderId: number) => LeaderEndpoint;
  clock?: Clock;
  maxBytes?: number;
  maxWaitMs?: number;
  /** Pause after a failed round, doubling up to backoffMaxMs. */
  backoffMs?: number;
  backoffMaxMs?: number;
  onError?: (error: unknown, leaderId: number) => void;
}

const MAX_BYTES_DEFAULT = 8 * 1024 * 1024;
const MAX_WAIT_MS_DEFAULT = 500;
const BACKOFF_MS_DEFAULT = 50;
const BACKOFF_MAX_MS_DEFAULT = 1_000;

interface Followed {
  partition: Partition;
  /** The leader epoch this follower follows; an answer for another one is dropped. */
  leaderEpoch: number;
  /** After a truncation to the high watermark (the leader knew no common epoch): skip the check once. */
  skipEpochCheck: boolean;
  /** Set aside after an error until then (performance.now()), backing off as errors repeat. */
  retryAtMs: number;
  backoffMs: number;
}

/** One loop per leader node; partitions move between loops as their leaders change. */
export class ReplicaFetchers {
  private readonly loops = new Map<number, FetcherLoop>();
  /** Partitions a round is applying an answer to: no other loop may touch them meanwhile. */
  readonly busy = new Map<string, Promise<void>>();

  constructor(private readonly options: FetcherOptions) {}

  /** Follows `partition` from `leaderId` (or stops following it, with leaderId -1). */
  follow(partition: Partition, leaderId: number): void {
    const key = partitionKey(partition.tp);
    for (const [id, loop] of this.loops) if (id !== leaderId) loop.remove(key);
    if (leaderId < 0 || leaderId === this.options.nodeId) return;
    let loop = this.loops.get(leaderId);
    if (loop === undefined) {
      loop = new FetcherLoop(leaderId, this.options, this.busy);
      this.loops.set(leaderId, loop);
    }
    loop.add(key, partition);
  }

  stop(partition: Partition): void {
    const key = partitionKey(partition.tp);
    for (const loop of this.loops.values()) loop.remove(key);
  }

  /** Partitions followed, by leader (for tests and metrics). */
  followed(): Map<number, string[]> {
    return new Map([...this.loops].map(([id, loop]) => [id, loop.keys()]));
  }

  async close(): Promise<void> {
    await Promise.all([...this.loops.values()].map((loop) => loop.close()));
    this.loops.clear();
  }
}

class FetcherLoop {
  private readonly partitions = new Map<string, Followed>();
  private running: Promise<void> | undefined;
  private abort = new AbortController();
  private closed = false;
  private wake: (() => void) | undefined;
  private readonly clock: Clock;

  constructor(
    private readonly leaderId: number,
    private readonly options: FetcherOptions,
    private readonly busy: Map<string, Promise<void>>,
  ) {
    this.clock = options.clock ?? systemClock;
  }

  keys(): string[] {
    return [...this.partitions.keys()];
  }

  add(key: string, partition: Partition): void {
    this.partitions.set(key, {
      partition,
      leaderEpoch: partition.leaderEpoch,
      skipEpochCheck: false,
      retryAtMs: 0,
      backoffMs: 0,
    });
    // A round in flight asked without it: start the next one now.
    this.abort.abort();
    this.wake?.();
    this.running ??= this.run();
  }

  remove(key: string): void {
    if (this.partitions.delete(key)) this.abort.abort();
  }

  private async run(): Promise<void> {
    let backoffMs = 0;
    while (!this.closed) {
      const nowMs = performance.now();
      const active = [...this.partitions.entries()].filter(
        ([key, f]) => f.retryAtMs <= nowMs && !this.busy.has(key),
      );
      if (active.length === 0) {
        if (this.partitions.size === 0) break;
        await this.idle(this.options.backoffMs ?? BACKOFF_MS_DEFAULT);
        continue;
      }
      this.abort = new AbortController();
      try {
        await this.round(active);
        backoffMs = 0;
      } catch (error) {
        if (this.closed) break;
        if (!isBrokerError(error, 'REQUEST_TIMED_OUT') || error.extra.aborted !== true) {
          this.options.onError?.(error, this.leaderId);
          backoffMs = Math.min(
            this.options.backoffMaxMs ?? BACKOFF_MAX_MS_DEFAULT,
            Math.max(this.options.backoffMs ?? BACKOFF_MS_DEFAULT, backoffMs * 2),
          );
          await this.idle(backoffMs);
        }
      }
    }
    this.running = undefined;
  }

  /** Waits `ms`, or less when a partition is added. */
  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }

  private async round(active: [string, Followed][]): Promise<void> {
    const request: ReplicaFetchRequest = {
      replicaId: this.options.nodeId,
      maxBytes: this.options.maxBytes ?? MAX_BYTES_DEFAULT,
      maxWaitMs: this.options.maxWaitMs ?? MAX_WAIT_MS_DEFAULT,
      partitions: active.map(([, f]) => toFetchPartition(f)),
    };
    const answers = await this.options
      .endpoint(this.leaderId)
      .replicaFetch(request, this.abort.signal);
    for (let i = 0; i < active.length; i++) {
      const [key, followed] = active[i]!;
      const answer = answers[i];
      // Dropped: no longer followed here, or following another epoch now.
      if (answer === undefined || this.partitions.get(key) !== followed) continue;
      if (followed.partition.leaderEpoch !== followed.leaderEpoch) continue;
      const applying = this.apply(followed, answer);
      this.busy.set(key, applying);
      try {
        await applying;
      } finally {
        this.busy.delete(key);
      }
    }
  }

  private async apply(followed: Followed, answer: Outcome<ReplicaFetchAnswer>): Promise<void> {
    const { partition } = followed;
    const { log } = partition;
    if (!answer.ok) {
      if (isBrokerError(answer.error, 'OFFSET_OUT_OF_RANGE')) {
        const start = answer.error.extra.logStartOffset;
        // The leader's log starts past this log's end (retention ran there): start afresh.
        if (typeof start === 'number' && start > log.logEndOffset) {
          await log.truncateFullyAndStartAt(start);
          return;
        }
      }
      // The leader may not know yet that it leads, or this node that it no longer follows:
      // both learn from the metadata store; until then, ask again later.
      followed.backoffMs = Math.min(
        this.options.backoffMaxMs ?? BACKOFF_MAX_MS_DEFAULT,
        Math.max(this.options.backoffMs ?? BACKOFF_MS_DEFAULT, followed.backoffMs * 2),
      );
      followed.retryAtMs = performance.now() + followed.backoffMs;
      this.options.onError?.(answer.error, this.leaderId);
      return;
    }
    followed.backoffMs = 0;
    const { diverging, records, highWatermark } = answer.value;
    if (diverging !== undefined) {
      await this.truncate(followed, diverging);
      return;
    }
    followed.skipEpochCheck = false;
    if (records.length > 0) await log.appendAsFollower(records);
    partition.followerHighWatermark(highWatermark);
  }

  /**
   * The leader's end of the epoch this log last fetched: truncate to where both logs agree,
   * which is the lower of the leader's end of that epoch and this log's (KIP-279). When the
   * leader knows no epoch this old, fall back to the high watermark (committed everywhere).
   */
  private async truncate(
    followed: Followed,
    diverging: { epoch: number; endOffset: number },
  ): Promise<void> {
    const { log } = followed.partition;
    if (diverging.epoch < 0) {
      await log.truncateTo(Math.min(log.highWatermark, log.logEndOffset));
      followed.skipEpochCheck = true;
      return;
    }
    const mine = log.epochs.endOffsetFor(diverging.epoch, log.logEndOffset);
    const target = Math.min(mine.endOffset < 0 ? 0 : mine.endOffset, diverging.endOffset);
    if (target >= log.logEndOffset && mine.epoch === diverging.epoch) {
      throw new BrokerError('CORRUPT_RECORD', 'divergence reported where the logs agree');
    }
    await log.truncateTo(Math.max(target, log.logStartOffset));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.abort.abort();
    this.wake?.();
    await this.running;
  }
}

function toFetchPartition(followed: Followed): ReplicaFetchPartition {
  const { partition } = followed;
  const { log } = partition;
  return {
    ...partition.tp,
    fetchOffset: log.logEndOffset,
    lastFetchedEpoch: followed.skipEpochCheck ? -1 : (log.epochs.latest()?.epoch ?? -1),
    leaderEpoch: followed.leaderEpoch,
  };
}
