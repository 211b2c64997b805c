// The group coordinator: runs the group state machine (group-machine.ts) against the groups a
// Coordinator keeps, so that any process may serve any member's call. Each transition is a
// compare-and-set write of the group (GroupStore); a plain heartbeat only touches the member's
// liveness entry. Positions (where each owned partition is read from next) are written fenced
// by the group version their caller read. Committed offsets are durable elsewhere (the metadata
// store, through `commitOffsets`); beside each position the coordinator keeps the autoCommit
// mark, the position last committed on the member's behalf, so that only what moved is
// committed again.
import { BrokerError, type Clock } from '@tributary/common';
import { type AssignorName } from './assignors';
import { type Coordinator, type Unsubscribe } from './coordinator';
import { liveMember, type NewMember, transition } from './group-machine';
import {
  checkOwnership,
  commitMarkKey,
  findMember,
  flatten,
  type MemberState,
  requireMember,
  type TopicPartitionRef,
  type TopicResolver,
  tpKey,
  unknownMember,
} from './group-state';
import { GroupStore, type GroupView } from './group-store';

/** Rounds a seek makes while its position write loses races with changes of the group. */
const SEEK_ROUNDS_MAX = 16;

/** An offset committed for a partition. */
export interface PositionCommit extends TopicPartitionRef {
  /** The next offset to consume (Kafka's convention). */
  offset: number;
  metadata?: string | null;
}

export interface GroupCoordinatorOptions {
  coordinator: Coordinator;
  clock: Clock;
  /** What members' subscriptions resolve to in a tenant, now. */
  resolver(tenantId: string): TopicResolver;
  /** False for a deleted topic: its positions are neither read nor committed. */
  topicExists(topicId: string): boolean;
  /** Commits offsets durably (the metadata store). */
  commitOffsets(
    tenantId: string,
    groupId: string,
    commits: readonly PositionCommit[],
  ): Promise<void>;
}

/** A member as a call left it, and the group it saw. */
export interface MemberView {
  view: GroupView;
  member: MemberState;
}

export class GroupCoordinator {
  readonly store: GroupStore;
  private readonly coordinator: Coordinator;
  private readonly clock: Clock;

  constructor(private readonly options: GroupCoordinatorOptions) {
    this.coordinator = options.coordinator;
    this.clock = options.clock;
    this.store = new GroupStore(options.coordinator);
  }

  read(tenantId: string, groupId: string): Promise<GroupView> {
    return this.store.read(tenantId, groupId);
  }

  /** Ids of the tenant's groups that have members, sorted. */
  list(tenantId: string): Promise<string[]> {
    return this.coordinator.listGroups(tenantId);
  }

  /**
   * Calls `listener` whenever the group changes, from any process; the watch is in effect once
   * `whenWatching` resolves (a caller that watches, waits for that, then reads, misses nothing).
   */
  watch(tenantId: string, groupId: string, listener: () => void): Unsubscribe {
    return this.coordinator.watchGroup(tenantId, groupId, listener);
  }

  whenWatching(tenantId: string, groupId: string): Promise<void> {
    return this.coordinator.whenWatching(tenantId, groupId);
  }

  /** The group with expired members removed (written back, so every process sees it). */
  async refresh(tenantId: string, groupId: string): Promise<GroupView> {
    const nowMs = this.clock.nowMs();
    const resolve = this.options.resolver(tenantId);
    const { view } = await this.store.update(tenantId, groupId, (current, change) =>
      transition(change, current.liveness, { type: 'expire' }, { nowMs, resolve }),
    );
    return view;
  }

  async join(
    tenantId: string,
    groupId: string,
    member: NewMember,
    assignor?: AssignorName,
  ): Promise<MemberView> {
    const nowMs = this.clock.nowMs();
    const resolve = this.options.resolver(tenantId);
    const event = {
      type: 'join' as const,
      groupId,
      member,
      ...(assignor === undefined ? {} : { assignor }),
    };
    const { view } = await this.store.update(tenantId, groupId, (current, change) =>
      transition(change, current.liveness, event, { nowMs, resolve }),
    );
    return { view, member: requireMember(view.state, member.memberId) };
  }

  /**
   * A member's call: renews its session and reconciles it (see group-machine.ts). `waitMs`: how
   * long the call may wait before it answers (a poll). `autoCommit`: first commit the positions
   * the member's previous poll returned, if the member commits automatically.
   */
  async heartbeat(
    tenantId: string,
    groupId: string,
    memberId: string,
    options: { waitMs?: number; autoCommit?: boolean } = {},
  ): Promise<MemberView> {
    // The read for autoCommit also serves the update below, unless the commit changed it.
    let read: GroupView | undefined;
    if (options.autoCommit === true) {
      read = await this.store.read(tenantId, groupId);
      const member = read.state === null ? undefined : findMember(read.state, memberId);
      const commits = member?.autoCommit === true ? this.positions(member, read, true) : [];
      if (commits.length > 0) {
        await this.commitAndMark(tenantId, groupId, read.version, commits);
        read = undefined;
      }
    }
    const resolve = this.options.resolver(tenantId);
    const nowMs = this.clock.nowMs();
    const event = { type: 'heartbeat' as const, memberId, waitMs: Math.ceil(options.waitMs ?? 0) };
    const update = await this.store.update(
      tenantId,
      groupId,
      (view, change) => transition(change, view.liveness, event, { nowMs, resolve }),
      read,
    );
    const { deadlineMs } = update.result;
    // Its session ran out: the expiry is written (above), and the member must join again.
    if (deadlineMs === undefined) throw unknownMember(memberId);
    const member = requireMember(update.view.state, memberId);
    if (!update.written) {
      await this.coordinator.touchMember(tenantId, groupId, memberId, deadlineMs);
    }
    return { view: update.view, member };
  }

  /**
   * Commits `offsets` (resolved once the member is known to be live), or else the member's
   * positions, then counts as a heartbeat. Fenced: every partition must be owned by the member
   * (and `memberEpoch`, when given, current), else 409 STALE_MEMBER_EPOCH.
   */
  async commit<C extends PositionCommit>(
    tenantId: string,
    groupId: string,
    memberId: string,
    memberEpoch: number | undefined,
    offsets: (() => C[]) | undefined,
  ): Promise<{ commits: PositionCommit[]; member: MemberState }> {
    const view = await this.store.read(tenantId, groupId);
    const member = liveMember(view.state, view.liveness, memberId, this.clock.nowMs());
    const commits = offsets === undefined ? this.positions(member, view, false) : offsets();
    checkOwnership(member, commits, memberEpoch);
    await this.commitAndMark(tenantId, groupId, view.version, commits);
    const synced = await this.heartbeat(tenantId, groupId, memberId);
    return { commits, member: synced.member };
  }

  /** The member leaves; with autoCommit its positions are committed first. */
  async leave(tenantId: string, groupId: string, memberId: string): Promise<void> {
    const before = await this.store.read(tenantId, groupId);
    const leaving = liveMember(before.state, before.liveness, memberId, this.clock.nowMs());
    if (leaving.autoCommit) {
      const commits = this.positions(leaving, before, true);
      await this.commitAndMark(tenantId, groupId, before.version, commits);
    }
    const resolve = this.options.resolver(tenantId);
    await this.store.update(tenantId, groupId, (view, change) =>
      transition(
        change,
        view.liveness,
        { type: 'leave', memberId },
        { nowMs: this.clock.nowMs(), resolve },
      ),
    );
  }

  /**
   * Moves the member's position on one of its partitions to what `offsetOf` answers (asked
   * after the member is found to own it). Returns the offset.
   */
  async seek(
    tenantId: string,
    groupId: string,
    memberId: string,
    tp: TopicPartitionRef,
    offsetOf: () => Promise<number>,
  ): Promise<number> {
    for (let round = 0; round < SEEK_ROUNDS_MAX; round++) {
      const { view, member } = await this.heartbeat(tenantId, groupId, memberId);
      checkOwnership(member, [tp]);
      const offset = await offsetOf();
      const positions = new Map([[tpKey(tp), offset]]);
      if (await this.coordinator.setPositions(tenantId, groupId, view.version, positions)) {
        return offset;
      }
    }
    throw busyGroup(groupId);
  }

  /**
   * Moves positions forward (what a poll read), fenced by the group version the poll read:
   * false, and nothing written, when the group changed since. Forward only, so that a slower
   * poll of the same member that read earlier cannot move them back.
   */
  advancePositions(
    tenantId: string,
    groupId: string,
    version: number,
    positions: ReadonlyMap<string, number>,
  ): Promise<boolean> {
    return this.coordinator.setPositions(tenantId, groupId, version, positions, {
      forwardOnly: true,
    });
  }

  /** The member's positions; `unmarkedOnly`: those not yet committed on its behalf. */
  private positions(member: MemberState, view: GroupView, unmarkedOnly: boolean): PositionCommit[] {
    const commits: PositionCommit[] = [];
    for (const tp of flatten(member.owned)) {
      const position = view.positions.get(tpKey(tp));
      if (position === undefined || !this.options.topicExists(tp.topicId)) continue;
      if (unmarkedOnly && view.positions.get(commitMarkKey(tp)) === position) continue;
      commits.push({ ...tp, offset: position });
    }
    return commits;
  }

  /** Commits durably, then marks the positions as committed (best effort: fenced). */
  private async commitAndMark(
    tenantId: string,
    groupId: string,
    version: number,
    commits: readonly PositionCommit[],
  ): Promise<void> {
    if (commits.length === 0) return;
    await this.options.commitOffsets(tenantId, groupId, commits);
    const marks = new Map(commits.map((c) => [commitMarkKey(c), c.offset]));
    await this.coordinator.setPositions(tenantId, groupId, version, marks);
  }
}

/** A call that lost too many races with changes of the group (retriable). */
export function busyGroup(groupId: string): BrokerError {
  return new BrokerError('UNAVAILABLE', `group ${groupId} is changing too fast; retry shortly`);
}
