// Consumer-group members served by any gateway process (like Kafka's KIP-848). The rules of
// membership, sessions, assignment and commit fencing are the group coordinator's
// (libs/coordination); this service is the edge over it for the REST routes and the WebSocket
// and SSE group streams: access checks, topic names to ids and back, the poll loop (positions,
// records, the wait for more) and the answers.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { type Clock } from '@tributary/common';
import {
  type AssignorName,
  busyGroup,
  GroupCoordinator,
  type GroupView,
  heartbeatIntervalMs,
  type MemberState,
  nextExpiryMs,
  type OffsetReset,
  type Subscription,
} from '@tributary/coordination';
import { MetadataCache } from '@tributary/metadata';
import { type OffsetSpec, type PartitionPosition } from '@tributary/partitions';
import { type TenantPrincipal } from '../auth/principal';
import { CLOCK } from '../node-services';
import { type ReadAs } from '../records/partition-reads';
import { QuotaService } from '../records/quotas';
import { findTopic, topicPartition } from '../topics/topic-access';
import { checkGroup, deadlineOrAbort } from './group-calls';
import {
  type AssignmentJson,
  heartbeatAnswer,
  type HeartbeatAnswer,
  topicName,
} from './group-json';
import {
  type GroupRecordJson,
  MemberFetcher,
  type PollParams,
  recordsAsJson,
} from './member-fetcher';
import { keyToTp, MemberPositions } from './member-positions';

export interface JoinParams {
  subscription: Subscription;
  sessionTimeoutMs: number;
  autoOffsetReset: OffsetReset;
  autoCommit: boolean;
  instanceId?: string;
  assignor?: AssignorName;
}

export interface MemberAnswer extends HeartbeatAnswer {
  memberId: string;
  heartbeatIntervalMs: number;
}

export interface PollAnswer extends HeartbeatAnswer {
  records: GroupRecordJson[];
}

export interface CommitOffsetInput {
  topic: string;
  partition: number;
  offset: number;
  metadata?: string | null;
}

export interface CommittedJson {
  topic: string;
  partition: number;
  offset: number;
}

/** Times a poll re-reads the group after its position write lost a race. */
const POLL_ROUNDS_MAX = 16;

@Injectable()
export class GroupMembersService {
  /** Polls parked waiting, so that a draining node can answer them at once. */
  private readonly parked = new Set<AbortController>();
  private draining = false;

  constructor(
    private readonly groups: GroupCoordinator,
    private readonly positions: MemberPositions,
    private readonly fetcher: MemberFetcher,
    private readonly quotas: QuotaService,
    private readonly cache: MetadataCache,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async join(auth: TenantPrincipal, groupId: string, params: JoinParams): Promise<MemberAnswer> {
    checkGroup(auth, groupId, 'read');
    if ('topics' in params.subscription) {
      for (const name of params.subscription.topics) findTopic(this.cache, auth, name, 'read');
    }
    const { member } = await this.groups.join(
      auth.tenant.id,
      groupId,
      {
        memberId: randomUUID(),
        principal: auth.key.id,
        subscription: params.subscription,
        sessionTimeoutMs: params.sessionTimeoutMs,
        autoOffsetReset: params.autoOffsetReset,
        autoCommit: params.autoCommit,
        ...(params.instanceId === undefined ? {} : { instanceId: params.instanceId }),
      },
      params.assignor,
    );
    return {
      memberId: member.memberId,
      ...this.answer(member),
      heartbeatIntervalMs: heartbeatIntervalMs(member.sessionTimeoutMs),
    };
  }

  async heartbeat(auth: TenantPrincipal, groupId: string, memberId: string) {
    checkGroup(auth, groupId, 'read');
    const { member } = await this.groups.heartbeat(auth.tenant.id, groupId, memberId);
    return this.answer(member);
  }

  /**
   * Records from the member's partitions, from their server-side positions. With autoCommit,
   * the positions the previous poll returned are committed first (at-least-once). With nothing
   * to return the poll waits until a record arrives, another member's session runs out, or
   * maxWaitMs passes; it answers at once (without records) when the assignment changes.
   */
  poll(
    auth: TenantPrincipal,
    groupId: string,
    memberId: string,
    params: PollParams,
    signal: AbortSignal,
  ): Promise<PollAnswer> {
    return this.pollAs(auth, groupId, memberId, params, recordsAsJson(params), signal);
  }

  /**
   * poll, with each owned partition read as `readAs` makes it (WebSocket pushes). `commit`
   * false: this poll does not commit what the previous one returned (a member with autoCommit
   * pushed over a WebSocket commits on an interval instead, see ws-subscriptions.ts).
   */
  async pollAs<T>(
    auth: TenantPrincipal,
    groupId: string,
    memberId: string,
    params: Omit<PollParams, 'keyFormat' | 'valueFormat'>,
    readAs: ReadAs<T>,
    signal: AbortSignal,
    commit = true,
  ): Promise<HeartbeatAnswer & { records: T[] }> {
    checkGroup(auth, groupId, 'read');
    this.quotas.check(auth.tenant, 'fetch');
    const tenantId = auth.tenant.id;
    const clock = this.clock;
    const deadline = clock.monotonicMs() + (this.draining ? 0 : params.maxWaitMs);
    let autoCommit = commit;
    let epoch: number | undefined;
    // Woken by records, with the group as it was: the round goes on from what the last one
    // read and wrote, without another heartbeat (the first one's session covers the whole
    // poll) or another read of the positions.
    let unchanged:
      { view: GroupView; member: MemberState; positions: Map<string, number> } | undefined;
    for (let round = 0; ; round++) {
      let view: GroupView;
      let member: MemberState;
      let starts: { positions: Map<string, number>; resolved: Map<string, number> };
      if (unchanged !== undefined) {
        ({ view, member } = unchanged);
        starts = { positions: unchanged.positions, resolved: new Map() };
      } else {
        const waitMs = Math.max(0, Math.ceil(deadline - clock.monotonicMs()));
        ({ view, member } = await this.groups.heartbeat(tenantId, groupId, memberId, {
          waitMs,
          autoCommit,
        }));
        autoCommit = false;
        // The assignment changed while the poll waited: say so now rather than at the deadline.
        if (epoch !== undefined && member.memberEpoch !== epoch) {
          return { records: [], ...this.answer(member) };
        }
        epoch = member.memberEpoch;
        starts = await this.positions.startPositions(tenantId, groupId, member, view);
      }
      const fetched = await this.fetcher.fetchOwned(auth, member, starts.positions, params, readAs);
      // The caller gave up (a new poll of its may be under way): this one moves nothing.
      if (signal.aborted) return { records: [], ...this.answer(member) };
      const writes = new Map([...starts.resolved, ...fetched.advanced]);
      if (
        writes.size > 0 &&
        !(await this.groups.advancePositions(tenantId, groupId, view.version, writes))
      ) {
        // The group changed under this poll: what it read may no longer be the member's.
        if (round >= POLL_ROUNDS_MAX) throw busyGroup(groupId);
        continue;
      }
      const now = clock.monotonicMs();
      if (fetched.records.length > 0 || now >= deadline || signal.aborted || this.draining) {
        this.quotas.charge(auth.tenant, 'fetch', fetched.bytes);
        return { records: fetched.records, ...this.answer(member) };
      }
      const next = new Map(
        [...starts.positions].map(([key, offset]) => [key, fetched.advanced.get(key) ?? offset]),
      );
      const positions = [...next].map(([key, offset]) => ({ ...keyToTp(tenantId, key), offset }));
      const members = view.state?.members ?? [];
      const untilExpiry = nextExpiryMs(members, view.liveness, memberId, clock.nowMs());
      const woke = await this.waitForChange(tenantId, groupId, view.version, positions, {
        remainingMs: deadline - now,
        untilExpiryMs: untilExpiry,
        signal,
      });
      unchanged = woke === 'records' ? { view, member, positions: next } : undefined;
    }
  }

  /**
   * Commits the given offsets, or the member's current positions. Fenced: every partition
   * must be owned by the member (and memberEpoch, when given, current), else 409
   * STALE_MEMBER_EPOCH.
   */
  async commit(
    auth: TenantPrincipal,
    groupId: string,
    memberId: string,
    offsets: readonly CommitOffsetInput[] | undefined,
    memberEpoch: number | undefined,
  ): Promise<{ offsets: CommittedJson[]; memberEpoch: number; assignment: AssignmentJson[] }> {
    checkGroup(auth, groupId, 'read');
    const byTopicId =
      offsets === undefined
        ? undefined
        : () =>
            offsets.map((o) => {
              const topic = findTopic(this.cache, auth, o.topic, 'read');
              topicPartition(topic, o.partition);
              const { partition, offset, metadata } = o;
              return { topicId: topic.id, partition, offset, metadata };
            });
    const { commits, member } = await this.groups.commit(
      auth.tenant.id,
      groupId,
      memberId,
      memberEpoch,
      byTopicId,
    );
    return {
      offsets: commits.map((c) => ({
        topic: topicName(this.cache, c.topicId),
        partition: c.partition,
        offset: c.offset,
      })),
      ...this.answer(member),
    };
  }

  /** Moves the member's position on one of its partitions. */
  async seek(
    auth: TenantPrincipal,
    groupId: string,
    memberId: string,
    target: { topic: string; partition: number; to: number | OffsetSpec },
  ): Promise<{ topic: string; partition: number; offset: number }> {
    checkGroup(auth, groupId, 'read');
    const topic = findTopic(this.cache, auth, target.topic, 'read');
    const tp = topicPartition(topic, target.partition);
    const offset = await this.groups.seek(auth.tenant.id, groupId, memberId, tp, () =>
      this.positions.seekOffset(tp, target.to),
    );
    return { topic: topic.name, partition: tp.partition, offset };
  }

  /** The member leaves (with autoCommit, its positions are committed first). */
  async leave(auth: TenantPrincipal, groupId: string, memberId: string): Promise<void> {
    checkGroup(auth, groupId, 'read');
    await this.groups.leave(auth.tenant.id, groupId, memberId);
  }

  /** Shutting down: parked polls answer now with what they have, new ones do not wait. */
  drain(): void {
    this.draining = true;
    for (const abort of this.parked) abort.abort();
  }

  /** Waits for a record, a change of the group, the next session expiry, or the deadline. */
  private async waitForChange(
    tenantId: string,
    groupId: string,
    version: number,
    positions: readonly PartitionPosition[],
    wait: { remainingMs: number; untilExpiryMs: number | undefined; signal: AbortSignal },
  ): Promise<'records' | 'other'> {
    const waitMs = Math.max(1, Math.min(wait.remainingMs, wait.untilExpiryMs ?? Infinity));
    const endsAtMs = this.clock.monotonicMs() + waitMs;
    const { signal } = wait;
    const abort = new AbortController();
    const onAbort = () => abort.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const unwatch = this.groups.watch(tenantId, groupId, onAbort);
    this.parked.add(abort);
    try {
      // A change between the poll's read and the watch taking effect would otherwise be missed.
      await this.groups.whenWatching(tenantId, groupId);
      if ((await this.groups.read(tenantId, groupId)).version !== version) return 'other';
      if (positions.length === 0) {
        await deadlineOrAbort(waitMs, abort.signal);
        return 'other';
      }
      await this.fetcher.awaitRecords(positions, waitMs, abort.signal);
      // Records (or a change of a partition) before the wait ran out, with the group watched
      // and unchanged; a timeout may be another member's session ending: a full round.
      return abort.signal.aborted || this.clock.monotonicMs() >= endsAtMs ? 'other' : 'records';
    } finally {
      this.parked.delete(abort);
      unwatch();
      signal.removeEventListener('abort', onAbort);
    }
  }

  private answer(member: MemberState): HeartbeatAnswer {
    return heartbeatAnswer(this.cache, member);
  }
}
