// Consumer-group members served by any gateway process (like Kafka's KIP-848): the group's
// membership, assignment and each partition's position live in the Coordinator, committed
// offsets in the metadata store, so two consecutive calls of one member may land on different
// processes, or on one process restarted in between. Every member call is a heartbeat: it
// expires members past their session, retargets when membership or the subscribed topics
// changed, and reconciles the calling member (it gives up what it lost, takes what is free).
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { BrokerError, LIMITS } from '@tributary/common';
import {
  addMember,
  type AssignorName,
  checkOwnership,
  emptyGroup,
  findMember,
  flatten,
  GroupStore,
  type GroupView,
  type MemberState,
  type OffsetReset,
  reconcile,
  removeMember,
  requireMember,
  retarget,
  type Subscription,
  topicsFingerprint,
  tpKey,
} from '@tributary/coordination';
import { type OffsetCommit } from '@tributary/metadata';
import { only, type OffsetSpec, type PartitionPosition } from '@tributary/partitions';
import { type TenantPrincipal } from '../auth/principal';
import { GATEWAY_CONTEXT, type GatewayContext } from '../gateway-context';
import { GatewayMetrics } from '../ops/gateway-metrics';
import { type ReadAs } from '../records/partition-reads';
import { QuotaService } from '../records/quotas';
import { type FetchedRecordJson, type Format } from '../records/record-codec';
import { findTopic, topicPartition } from '../topics/topic-access';
import {
  busyGroup,
  checkGroup,
  deadlineOrAbort,
  dropExpired,
  heartbeatInterval,
  liveMember,
  nextExpiryMs,
} from './group-calls';
import { MemberFetcher, recordsAsJson } from './member-fetcher';
import { checkInRange, keyToTp, MemberPositions, positionKeys } from './member-positions';
import { topicResolver } from './subscription';

export interface JoinParams {
  subscription: Subscription;
  sessionTimeoutMs: number;
  autoOffsetReset: OffsetReset;
  autoCommit: boolean;
  instanceId?: string;
  assignor?: AssignorName;
}

export interface AssignmentJson {
  topic: string;
  partitions: number[];
}

export interface MemberAnswer {
  memberId: string;
  memberEpoch: number;
  assignment: AssignmentJson[];
  heartbeatIntervalMs: number;
}

export interface HeartbeatAnswer {
  memberEpoch: number;
  assignment: AssignmentJson[];
}

export interface PollParams {
  maxRecords: number;
  maxBytes: number;
  maxWaitMs: number;
  keyFormat: Format;
  valueFormat: Format;
}

export type GroupRecordJson = FetchedRecordJson & { topic: string };

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

interface Synced {
  view: GroupView;
  member: MemberState;
}

@Injectable()
export class GroupMembersService {
  readonly store: GroupStore;
  private readonly positions: MemberPositions;
  private readonly fetcher: MemberFetcher;
  /** Polls parked waiting, so that a draining node can answer them at once. */
  private readonly parked = new Set<AbortController>();
  private draining = false;

  constructor(
    @Inject(GATEWAY_CONTEXT) private readonly ctx: GatewayContext,
    private readonly quotas: QuotaService,
    metrics: GatewayMetrics,
  ) {
    this.store = new GroupStore(ctx.coordinator);
    this.positions = new MemberPositions(ctx);
    this.fetcher = new MemberFetcher(ctx, metrics, this.positions);
  }

  async join(auth: TenantPrincipal, groupId: string, params: JoinParams): Promise<MemberAnswer> {
    checkGroup(auth, groupId, 'read');
    if ('topics' in params.subscription) {
      for (const name of params.subscription.topics) {
        findTopic(this.ctx.metadata.cache, auth, name, 'read');
      }
    }
    const tenantId = auth.tenant.id;
    const now = this.ctx.clock.nowMs();
    const resolve = topicResolver(this.ctx.metadata.cache, tenantId);
    const memberId = randomUUID();
    const { view } = await this.store.update(tenantId, groupId, (current, change) => {
      const state = change.state ?? emptyGroup(params.assignor ?? 'sticky');
      change.state = state;
      if (params.assignor !== undefined && params.assignor !== state.assignor) {
        throw new BrokerError(
          'INVALID_REQUEST',
          `assignor: group ${groupId} uses ${state.assignor}; members must agree`,
        );
      }
      dropExpired(state, current, change, now);
      const returning =
        params.instanceId !== undefined &&
        state.members.some((m) => m.instanceId === params.instanceId);
      if (!returning && state.members.length >= LIMITS.groupMembersMax) {
        throw new BrokerError(
          'GROUP_MAX_SIZE_REACHED',
          `group ${groupId} already has ${LIMITS.groupMembersMax} members`,
        );
      }
      const member: MemberState = {
        memberId,
        principal: auth.key.id,
        subscription: params.subscription,
        sessionTimeoutMs: params.sessionTimeoutMs,
        autoOffsetReset: params.autoOffsetReset,
        autoCommit: params.autoCommit,
        memberEpoch: 1,
        target: {},
        owned: {},
        joinedAtMs: now,
        ...(params.instanceId === undefined ? {} : { instanceId: params.instanceId }),
      };
      const replaced = addMember(state, member);
      if (replaced !== undefined) change.deleteLiveness.push(replaced.memberId);
      change.setLiveness.set(memberId, now + params.sessionTimeoutMs);
      retarget(state, resolve);
      reconcile(state, memberId);
      change.markDirty();
    });
    const member = requireMember(view.state, memberId);
    return {
      memberId,
      memberEpoch: member.memberEpoch,
      assignment: this.assignmentJson(member),
      heartbeatIntervalMs: heartbeatInterval(member.sessionTimeoutMs),
    };
  }

  async heartbeat(auth: TenantPrincipal, groupId: string, memberId: string) {
    checkGroup(auth, groupId, 'read');
    const { member } = await this.sync(auth, groupId, memberId, 0, false);
    return this.heartbeatAnswer(member);
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

  /** poll, with each owned partition read as `readAs` makes it (binary WebSocket pushes). */
  async pollAs<T>(
    auth: TenantPrincipal,
    groupId: string,
    memberId: string,
    params: Omit<PollParams, 'keyFormat' | 'valueFormat'>,
    readAs: ReadAs<T>,
    signal: AbortSignal,
  ): Promise<HeartbeatAnswer & { records: T[] }> {
    checkGroup(auth, groupId, 'read');
    this.quotas.check(auth.tenant, 'fetch');
    const clock = this.ctx.clock;
    const deadline = clock.monotonicMs() + (this.draining ? 0 : params.maxWaitMs);
    let autoCommit = true;
    let epoch: number | undefined;
    for (let round = 0; ; round++) {
      const remaining = Math.max(0, Math.ceil(deadline - clock.monotonicMs()));
      const { view, member } = await this.sync(auth, groupId, memberId, remaining, autoCommit);
      autoCommit = false;
      // The assignment changed while the poll waited: say so now rather than at the deadline.
      if (epoch !== undefined && member.memberEpoch !== epoch) {
        return { records: [], ...this.heartbeatAnswer(member) };
      }
      epoch = member.memberEpoch;
      const starts = await this.positions.startPositions(auth.tenant.id, groupId, member, view);
      const fetched = await this.fetcher.fetchOwned(auth, member, starts.positions, params, readAs);
      // The caller gave up (a new poll of its may be under way): this one moves nothing.
      if (signal.aborted) return { records: [], ...this.heartbeatAnswer(member) };
      const writes = new Map([...starts.resolved, ...fetched.advanced]);
      if (writes.size > 0) {
        // Forward only: a slower poll of this member that read earlier cannot move them back.
        const stored = await this.ctx.coordinator.setPositions(
          auth.tenant.id,
          groupId,
          view.version,
          writes,
          { forwardOnly: true },
        );
        if (!stored) {
          // The group changed under this poll: what it read may no longer be the member's.
          if (round >= POLL_ROUNDS_MAX) throw busyGroup(groupId);
          continue;
        }
      }
      const now = clock.monotonicMs();
      if (fetched.records.length > 0 || now >= deadline || signal.aborted || this.draining) {
        this.quotas.charge(auth.tenant, 'fetch', fetched.bytes);
        return { records: fetched.records, ...this.heartbeatAnswer(member) };
      }
      const positions = [...starts.positions].map(([key, offset]) => ({
        ...keyToTp(auth.tenant.id, key),
        offset: fetched.advanced.get(key) ?? offset,
      }));
      const untilExpiry = nextExpiryMs(view, memberId, clock.nowMs());
      await this.waitForChange(
        auth.tenant.id,
        groupId,
        view.version,
        positions,
        deadline - now,
        untilExpiry,
        signal,
      );
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
    const tenantId = auth.tenant.id;
    const view = await this.store.read(tenantId, groupId);
    const member = liveMember(view, memberId, this.ctx.clock.nowMs());
    let commits: OffsetCommit[];
    if (offsets === undefined) {
      checkOwnership(member, [], memberEpoch);
      commits = this.positions.currentPositions(member, view, false);
    } else {
      commits = offsets.map((o) => {
        const topic = findTopic(this.ctx.metadata.cache, auth, o.topic, 'read');
        topicPartition(topic, o.partition);
        return {
          topicId: topic.id,
          partition: o.partition,
          offset: o.offset,
          metadata: o.metadata,
        };
      });
      checkOwnership(member, commits, memberEpoch);
    }
    await this.positions.commitAndMark(tenantId, groupId, view.version, commits);
    const synced = await this.sync(auth, groupId, memberId, 0, false);
    return {
      offsets: commits.map((c) => ({
        topic: this.topicName(c.topicId),
        partition: c.partition,
        offset: c.offset,
      })),
      ...this.heartbeatAnswer(synced.member),
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
    const topic = findTopic(this.ctx.metadata.cache, auth, target.topic, 'read');
    const tp = topicPartition(topic, target.partition);
    for (let round = 0; round < POLL_ROUNDS_MAX; round++) {
      const { view, member } = await this.sync(auth, groupId, memberId, 0, false);
      checkOwnership(member, [tp]);
      const offset =
        typeof target.to === 'number'
          ? checkInRange(only(await this.ctx.broker.states([tp])), target.to)
          : (await this.ctx.broker.listOffset(tp, target.to)).offset;
      const stored = await this.ctx.coordinator.setPositions(
        auth.tenant.id,
        groupId,
        view.version,
        new Map([[tpKey(tp), offset]]),
      );
      if (stored) return { topic: topic.name, partition: tp.partition, offset };
    }
    throw busyGroup(groupId);
  }

  /** The member leaves (with autoCommit, its positions are committed first). */
  async leave(auth: TenantPrincipal, groupId: string, memberId: string): Promise<void> {
    checkGroup(auth, groupId, 'read');
    const tenantId = auth.tenant.id;
    const before = await this.store.read(tenantId, groupId);
    const leaving = liveMember(before, memberId, this.ctx.clock.nowMs());
    if (leaving.autoCommit) {
      await this.positions.commitAndMark(
        tenantId,
        groupId,
        before.version,
        this.positions.currentPositions(leaving, before),
      );
    }
    const resolve = topicResolver(this.ctx.metadata.cache, tenantId);
    await this.store.update(tenantId, groupId, (view, change) => {
      const state = change.state;
      const member = requireMember(state, memberId);
      removeMember(state!, memberId);
      change.deleteLiveness.push(memberId);
      change.deletePositions.push(...positionKeys(flatten(member.owned)));
      dropExpired(state!, view, change, this.ctx.clock.nowMs());
      retarget(state!, resolve);
      change.markDirty();
    });
  }

  /** Shutting down: parked polls answer now with what they have, new ones do not wait. */
  drain(): void {
    this.draining = true;
    for (const abort of this.parked) abort.abort();
  }

  /**
   * The heartbeat every member call makes: expires members past their session, retargets
   * after a membership change or when the subscribed topics changed, commits the positions the
   * previous poll returned (autoCommit) and reconciles the calling member.
   */
  private async sync(
    auth: TenantPrincipal,
    groupId: string,
    memberId: string,
    waitMs: number,
    autoCommit: boolean,
  ): Promise<Synced> {
    const tenantId = auth.tenant.id;
    const clock = this.ctx.clock;
    // The read for autoCommit also serves the update below, unless the commit changed it.
    let read: GroupView | undefined;
    if (autoCommit) {
      read = await this.store.read(tenantId, groupId);
      const member = read.state === null ? undefined : findMember(read.state, memberId);
      const commits =
        member?.autoCommit === true ? this.positions.currentPositions(member, read) : [];
      if (commits.length > 0) {
        await this.positions.commitAndMark(tenantId, groupId, read.version, commits);
        read = undefined;
      }
    }
    const resolve = topicResolver(this.ctx.metadata.cache, tenantId);
    const now = clock.nowMs();
    waitMs = Math.ceil(waitMs);
    const update = await this.store.update(
      tenantId,
      groupId,
      (view, change) => {
        const state = change.state;
        if (state === null) return { expiredSelf: true };
        const expired = dropExpired(state, view, change, now);
        if (expired.some((m) => m.memberId === memberId)) {
          retarget(state, resolve);
          return { expiredSelf: true };
        }
        const member = requireMember(state, memberId);
        const fingerprint = topicsFingerprint(state, resolve);
        if (expired.length > 0 || fingerprint !== state.topicsFingerprint) {
          if (expired.length === 0) state.groupEpoch += 1;
          retarget(state, resolve);
          change.markDirty();
        }
        const { revoked, granted } = reconcile(state, memberId);
        if (revoked.length > 0 || granted.length > 0) {
          change.deletePositions.push(...positionKeys(revoked));
          change.markDirty();
        }
        change.setLiveness.set(memberId, now + waitMs + member.sessionTimeoutMs);
        return { expiredSelf: false };
      },
      read,
    );
    if (update.result.expiredSelf) requireMember(null, memberId);
    const member = requireMember(update.view.state, memberId);
    if (!update.written) {
      await this.ctx.coordinator.touchMember(
        tenantId,
        groupId,
        memberId,
        now + waitMs + member.sessionTimeoutMs,
      );
    }
    return { view: update.view, member };
  }

  /** Waits for a record, a change of the group, the next session expiry, or the deadline. */
  private async waitForChange(
    tenantId: string,
    groupId: string,
    version: number,
    positions: readonly PartitionPosition[],
    remainingMs: number,
    untilExpiryMs: number | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    const waitMs = Math.max(1, Math.min(remainingMs, untilExpiryMs ?? Infinity));
    const abort = new AbortController();
    const onAbort = () => abort.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const unwatch = this.ctx.coordinator.watchGroup(tenantId, groupId, onAbort);
    this.parked.add(abort);
    try {
      // A change between the poll's read and the watch taking effect would otherwise be missed.
      await this.ctx.coordinator.whenWatching(tenantId, groupId);
      if ((await this.store.read(tenantId, groupId)).version !== version) return;
      if (positions.length > 0) {
        await this.ctx.broker.awaitRecords(positions, waitMs, abort.signal);
      } else {
        await deadlineOrAbort(waitMs, abort.signal);
      }
    } finally {
      this.parked.delete(abort);
      unwatch();
      signal.removeEventListener('abort', onAbort);
    }
  }

  heartbeatAnswer(member: MemberState): HeartbeatAnswer {
    return { memberEpoch: member.memberEpoch, assignment: this.assignmentJson(member) };
  }

  assignmentJson(member: MemberState): AssignmentJson[] {
    const out: AssignmentJson[] = [];
    for (const [topicId, partitions] of Object.entries(member.owned)) {
      const topic = this.ctx.metadata.cache.topic(topicId);
      if (topic !== undefined) out.push({ topic: topic.name, partitions: [...partitions] });
    }
    return out.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
  }

  topicName(topicId: string): string {
    return this.ctx.metadata.cache.topic(topicId)?.name ?? topicId;
  }
}
