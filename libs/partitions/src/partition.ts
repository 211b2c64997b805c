// One partition replica on this node (Kafka's Partition): the single home of its leader epoch,
// its replicas and in-sync replicas, the followers' log end offsets, the high watermark and the
// min.insync.replicas check. Every leadership fact comes from the partition's row in the
// metadata store (applied with makeLeader/makeFollower, newer epochs only); the only change a
// partition makes itself is its ISR, as a compare-and-set on the row's version (AlterPartition),
// and only while it leads.
//
// High watermark: the lowest log end offset over the ISR, the leader counting what its appends
// have acknowledged (synced, for `fsync` durability) and each follower what its last fetch
// asked from (a follower fetches from its acknowledged end). While an ISR change is in flight
// the larger of the two sets counts (Kafka's maximal ISR), so the high watermark never passes
// a record some replica that may be elected lacks.
//
// A follower of the ISR never asks from below the high watermark: its fetch offset only grows
// within an epoch, and a new leader's divergence check (KIP-101) cuts only above the high
// watermark. One that does has lost acknowledged records (it restarted with part of its log cut
// off as damaged, before anyone noticed it was gone): it leaves the ISR at once, and joins it
// again once caught up, as any replica that fell behind.
import { assert, BrokerError, type Clock } from '@tributary/common';
import { type AppendResult, type PartitionLog } from '@tributary/storage';
import { type TopicPartition } from './topic-partition';

export interface PartitionAssignment {
  /** Node id of the leader; -1 when there is none. */
  leader: number;
  leaderEpoch: number;
  replicas: readonly number[];
  isr: readonly number[];
  /** The row's version (Kafka's partition epoch): ISR changes compare-and-set on it. */
  version: number;
}

export interface IsrChange {
  expectedVersion: number;
  leaderEpoch: number;
  isr: number[];
}

/** Writes an ISR change; resolves with the row as it then is (changed or not). */
export type AlterIsr = (tp: TopicPartition, change: IsrChange) => Promise<PartitionAssignment>;

export interface PartitionDeps {
  nodeId: number;
  clock: Clock;
  alterIsr: AlterIsr;
  /** A follower not caught up for this long leaves the ISR. */
  replicaLagMs: number;
  /** False while this node's broker session may have lapsed: a leader then serves nothing. */
  sessionValid: () => boolean;
  /**
   * Told when the role or leader epoch changed, whoever applied the row (the metadata, or the
   * answer to this leader's own ISR change, which may say it no longer leads).
   */
  onRoleChange?: (partition: Partition) => void;
}

interface FollowerState {
  /** Where its last fetch started (-1: no fetch yet in this epoch). */
  logEndOffset: number;
  /** The last time it had everything the leader had. */
  lastCaughtUpMs: number;
  /** The leader's log end and the time of its previous fetch (Kafka's caught-up rule). */
  previousFetchLeaderEnd: number;
  previousFetchMs: number;
}

export type FollowerFetchCheck =
  | { kind: 'read' }
  /** The follower's log diverged: it truncates to `endOffset` and asks again. */
  | { kind: 'diverging'; epoch: number; endOffset: number };

export class Partition {
  private role: 'leader' | 'follower' = 'follower';
  private current: PartitionAssignment;
  private readonly followers = new Map<number, FollowerState>();
  /** The ISR an in-flight change would make; undefined when none is in flight. */
  private pendingIsr: readonly number[] | undefined;
  /** Where the current leader epoch's records begin on this leader. */
  private epochStartOffset = 0;

  constructor(
    readonly tp: TopicPartition,
    readonly log: PartitionLog,
    assignment: PartitionAssignment,
    private readonly deps: PartitionDeps,
  ) {
    this.current = assignment;
    this.applyRow(assignment);
  }

  get isLeader(): boolean {
    return this.role === 'leader';
  }

  get assignment(): PartitionAssignment {
    return this.current;
  }

  get leaderEpoch(): number {
    return this.current.leaderEpoch;
  }

  /** The ISR the high watermark and min.insync.replicas count: the maximal one. */
  get maximalIsr(): readonly number[] {
    const pending = this.pendingIsr;
    if (pending === undefined) return this.current.isr;
    return [...new Set([...this.current.isr, ...pending])];
  }

  /**
   * Applies the row as the metadata store has it. A row older than what this replica knows
   * changes nothing; returns whether the role or epoch changed.
   */
  apply(assignment: PartitionAssignment): boolean {
    const changed = this.applyRow(assignment);
    if (changed) this.deps.onRoleChange?.(this);
    return changed;
  }

  private applyRow(assignment: PartitionAssignment): boolean {
    const known = this.current;
    if (assignment.leaderEpoch < known.leaderEpoch) return false;
    if (assignment.leaderEpoch === known.leaderEpoch && assignment.version < known.version) {
      return false;
    }
    const newEpoch = assignment.leaderEpoch > known.leaderEpoch;
    this.current = assignment;
    if (assignment.leader === this.deps.nodeId) {
      const changed = newEpoch || this.role !== 'leader';
      if (changed) this.becomeLeader();
      else this.trackReplicas();
      this.maybeIncrementHighWatermark();
      return changed;
    }
    const changed = newEpoch || this.role === 'leader';
    this.role = 'follower';
    this.followers.clear();
    this.pendingIsr = undefined;
    return changed;
  }

  private becomeLeader(): void {
    const nowMs = this.deps.clock.monotonicMs();
    this.role = 'leader';
    this.pendingIsr = undefined;
    this.log.leaderEpoch = this.current.leaderEpoch;
    this.epochStartOffset = this.log.logEndOffset;
    this.followers.clear();
    this.trackReplicas(nowMs);
  }

  /** Follower state for every other replica (the replicas may change with a reassignment). */
  private trackReplicas(nowMs = this.deps.clock.monotonicMs()): void {
    for (const replica of this.followers.keys()) {
      if (!this.current.replicas.includes(replica)) this.followers.delete(replica);
    }
    for (const replica of this.current.replicas) {
      if (replica === this.deps.nodeId || this.followers.has(replica)) continue;
      this.followers.set(replica, {
        logEndOffset: -1,
        // Members of the ISR get a full lag period to fetch from the new leader.
        lastCaughtUpMs: this.current.isr.includes(replica) ? nowMs : -Infinity,
        previousFetchLeaderEnd: -1,
        previousFetchMs: nowMs,
      });
    }
  }

  /** Throws unless this replica may act as the leader (of `epoch`, when given). */
  checkLeader(epoch?: number): void {
    if (this.role !== 'leader') {
      throw new BrokerError(
        'NOT_LEADER_OR_FOLLOWER',
        `node ${this.deps.nodeId} does not lead partition ${this.tp.partition}` +
          (this.current.leader >= 0 ? ` (node ${this.current.leader} does)` : ''),
        { extra: { leader: this.current.leader, leaderEpoch: this.current.leaderEpoch } },
      );
    }
    if (!this.deps.sessionValid()) {
      throw new BrokerError(
        'NOT_LEADER_OR_FOLLOWER',
        `node ${this.deps.nodeId}'s broker session lapsed: it serves nothing it led until it has caught up`,
        { extra: { leader: -1, leaderEpoch: this.current.leaderEpoch } },
      );
    }
    if (epoch !== undefined && epoch !== this.current.leaderEpoch) {
      throw new BrokerError(
        epoch < this.current.leaderEpoch ? 'FENCED_LEADER_EPOCH' : 'NOT_LEADER_OR_FOLLOWER',
        `leader epoch ${epoch} is not the current ${this.current.leaderEpoch}`,
        { extra: { leader: this.current.leader, leaderEpoch: this.current.leaderEpoch } },
      );
    }
  }

  /** min.insync.replicas, checked before a write that asks for acks=all. */
  checkInSyncReplicas(minInsync: number): void {
    const isr = this.current.isr.length;
    if (isr < minInsync) {
      throw new BrokerError(
        'NOT_ENOUGH_REPLICAS',
        `partition ${this.tp.partition} has ${isr} in-sync replica(s); min.insync.replicas is ${minInsync}`,
      );
    }
  }

  async appendAsLeader(batch: Buffer, crcVerified: boolean): Promise<AppendResult> {
    this.checkLeader();
    const epoch = this.current.leaderEpoch;
    const appended = await this.log.append(batch, epoch, { crcVerified });
    this.maybeIncrementHighWatermark();
    return appended;
  }

  /**
   * A follower's fetch, before its records are read: checks its epoch, finds where its log
   * diverged (KIP-320: the end of its last fetched epoch on this leader), and records its
   * log end offset (which may move the high watermark and let it join the ISR).
   */
  followerFetch(
    replicaId: number,
    fetchOffset: number,
    lastFetchedEpoch: number,
    leaderEpoch: number,
  ): FollowerFetchCheck {
    this.checkLeader(leaderEpoch);
    const follower = this.followers.get(replicaId);
    if (follower === undefined) {
      throw new BrokerError(
        'NOT_LEADER_OR_FOLLOWER',
        `node ${replicaId} is not a replica of partition ${this.tp.partition}`,
      );
    }
    if (lastFetchedEpoch >= 0) {
      const end = this.log.epochs.endOffsetFor(lastFetchedEpoch, this.log.logEndOffset);
      if (end.epoch !== lastFetchedEpoch || end.endOffset < fetchOffset) {
        return { kind: 'diverging', epoch: end.epoch, endOffset: end.endOffset };
      }
    }
    if (fetchOffset > this.log.logEndOffset) {
      throw new BrokerError(
        'OFFSET_OUT_OF_RANGE',
        `follower ${replicaId} fetches from ${fetchOffset}, past the log end ${this.log.logEndOffset}`,
      );
    }
    this.recordFollowerEnd(follower, fetchOffset);
    if (fetchOffset < this.log.highWatermark) void this.dropFromIsr(replicaId);
    this.maybeIncrementHighWatermark();
    void this.maybeExpandIsr(replicaId, follower);
    return { kind: 'read' };
  }

  private recordFollowerEnd(follower: FollowerState, fetchOffset: number): void {
    const nowMs = this.deps.clock.monotonicMs();
    const leaderEnd = this.log.logEndOffset;
    // Kafka's rule: caught up now if it asked from the leader's end; caught up as of the
    // previous fetch if it asked from where the leader's end was then.
    if (fetchOffset >= leaderEnd) follower.lastCaughtUpMs = nowMs;
    else if (fetchOffset >= follower.previousFetchLeaderEnd) {
      follower.lastCaughtUpMs = Math.max(follower.lastCaughtUpMs, follower.previousFetchMs);
    }
    follower.logEndOffset = fetchOffset;
    follower.previousFetchLeaderEnd = leaderEnd;
    follower.previousFetchMs = nowMs;
  }

  /** Moves the high watermark to the lowest end over the maximal ISR, if that is higher. */
  maybeIncrementHighWatermark(): void {
    if (this.role !== 'leader') return;
    let hw = this.log.acknowledgedEndOffset;
    for (const replica of this.maximalIsr) {
      if (replica === this.deps.nodeId) continue;
      const follower = this.followers.get(replica);
      hw = Math.min(hw, follower?.logEndOffset ?? -1);
    }
    if (hw > this.log.highWatermark) this.log.advanceHighWatermark(hw);
  }

  /** A follower learns the leader's high watermark: its own moves up to it (within its log). */
  followerHighWatermark(leaderHighWatermark: number): void {
    if (this.role !== 'follower') return;
    const hw = Math.min(leaderHighWatermark, this.log.acknowledgedEndOffset);
    if (hw > this.log.highWatermark) this.log.advanceHighWatermark(hw);
  }

  /** Followers of the ISR that have not caught up within the lag: they leave it. */
  async maybeShrinkIsr(): Promise<void> {
    if (this.role !== 'leader' || this.pendingIsr !== undefined) return;
    const nowMs = this.deps.clock.monotonicMs();
    const laggards = this.current.isr.filter((replica) => {
      if (replica === this.deps.nodeId) return false;
      const follower = this.followers.get(replica);
      return follower === undefined || nowMs - follower.lastCaughtUpMs > this.deps.replicaLagMs;
    });
    if (laggards.length === 0) return;
    await this.alterIsr(this.current.isr.filter((replica) => !laggards.includes(replica)));
    // With fewer replicas to wait for, the high watermark may move.
    this.maybeIncrementHighWatermark();
  }

  /**
   * A follower of the ISR that lacks records below the high watermark leaves it. With another
   * ISR change in flight it stays for now; its next fetch, still below, asks again (and until
   * then its low log end holds the high watermark back, as for any member).
   */
  private async dropFromIsr(replicaId: number): Promise<void> {
    if (this.pendingIsr !== undefined || !this.current.isr.includes(replicaId)) return;
    await this.alterIsr(this.current.isr.filter((replica) => replica !== replicaId)).catch(
      () => undefined,
    );
    this.maybeIncrementHighWatermark();
  }

  /** A follower outside the ISR that has everything up to the high watermark joins it. */
  private async maybeExpandIsr(replicaId: number, follower: FollowerState): Promise<void> {
    if (this.current.isr.includes(replicaId) || this.pendingIsr !== undefined) return;
    if (follower.logEndOffset < this.log.highWatermark) return;
    if (follower.logEndOffset < this.epochStartOffset) return;
    await this.alterIsr([...this.current.isr, replicaId]).catch(() => undefined);
  }

  private async alterIsr(isr: number[]): Promise<void> {
    assert(isr.includes(this.deps.nodeId), 'the leader always stays in the ISR');
    const from = this.current;
    this.pendingIsr = isr;
    try {
      const result = await this.deps.alterIsr(this.tp, {
        expectedVersion: from.version,
        leaderEpoch: from.leaderEpoch,
        isr,
      });
      this.apply(result);
    } finally {
      this.pendingIsr = undefined;
    }
  }

  /** What the leader knows of each follower (empty on a follower). */
  followerStates(): { replica: number; logEndOffset: number; lastCaughtUpMs: number }[] {
    return [...this.followers].map(([replica, f]) => ({
      replica,
      logEndOffset: f.logEndOffset,
      lastCaughtUpMs: f.lastCaughtUpMs,
    }));
  }

  /** This replica's state as the describe call and the metrics show it. */
  describe(): {
    leader: number;
    leaderEpoch: number;
    replicas: readonly number[];
    isr: readonly number[];
  } {
    const { leader, leaderEpoch, replicas, isr } = this.current;
    return { leader, leaderEpoch, replicas, isr };
  }
}
