// The group coordinator's transitions as one state machine: a member joins, calls (every call is
// its heartbeat), leaves, or its session runs out. `transition` is the only way a group changes;
// it works on a private copy of the group (a GroupChange) and records what the store must write
// beside it (liveness, positions to drop), so the caller decides nothing but when to write.
// Commits change no group state; `liveMember` and `checkOwnership` fence them.
//
// The rules, in one place:
// - Any look at a group first removes the members whose session ran out, with their liveness and
//   the positions of what they owned (their last records may be unprocessed: the next owner
//   starts from the committed offset), and recomputes the targets.
// - A join needs the group's assignor (if it names one) and room in the group
//   (LIMITS.groupMembersMax), unless it is a static member coming back, which takes its
//   predecessor's place, target and partitions.
// - A call retargets when members expired or when what the subscriptions resolve to changed
//   (new partitions, new topics matching a pattern), then reconciles the caller: it gives up
//   what is no longer its target (those positions are dropped) and takes what is free.
// - A call renews the caller's session (member-session.ts); a caller whose session ran out is
//   gone and must join again (UNKNOWN_MEMBER).
// - A leave removes the member, its liveness and its positions, and retargets the rest.
import { assert, BrokerError, LIMITS } from '@tributary/common';
import { type AssignorName } from './assignors';
import { type GroupChange } from './group-store';
import {
  addMember,
  emptyGroup,
  expireMembers,
  flatten,
  type GroupState,
  type MemberState,
  positionKeys,
  reconcile,
  removeMember,
  requireMember,
  retarget,
  type TopicPartitionRef,
  type TopicResolver,
  topicsFingerprint,
  unknownMember,
} from './group-state';
import { isExpired, renewedDeadlineMs } from './member-session';

/** A member as it asks to join; the group sets its epoch, assignment and join time. */
export type NewMember = Pick<
  MemberState,
  | 'memberId'
  | 'principal'
  | 'instanceId'
  | 'subscription'
  | 'sessionTimeoutMs'
  | 'autoOffsetReset'
  | 'autoCommit'
>;

export type GroupEvent =
  | { type: 'join'; groupId: string; member: NewMember; assignor?: AssignorName }
  /** Any call of a member; `waitMs`: how long the call may wait before it answers. */
  | { type: 'heartbeat'; memberId: string; waitMs: number }
  | { type: 'leave'; memberId: string }
  /** A look at the group from outside (describe, list, delete): only expiry applies. */
  | { type: 'expire' };

/** When a transition happens and what the subscriptions resolve to then. */
export interface TransitionContext {
  nowMs: number;
  resolve: TopicResolver;
}

export interface Transition {
  /** Members removed because their session had run out. */
  expired: MemberState[];
  /** Join and heartbeat: the caller as it is now; undefined when its session had run out. */
  member?: MemberState;
  /** Join and heartbeat: the caller's renewed session deadline (ms since the epoch). */
  deadlineMs?: number;
  /** Heartbeat: what the caller gave up and what it took. */
  revoked: TopicPartitionRef[];
  granted: TopicPartitionRef[];
}

/**
 * Applies `event` to the group in `change` (whose liveness is `liveness`). Throws a coded error
 * when the event is refused (nothing is to be written then).
 */
export function transition(
  change: GroupChange,
  liveness: ReadonlyMap<string, number>,
  event: GroupEvent,
  at: TransitionContext,
): Transition {
  switch (event.type) {
    case 'join':
      return join(change, liveness, event, at);
    case 'heartbeat':
      return heartbeat(change, liveness, event.memberId, event.waitMs, at);
    case 'leave':
      return leave(change, liveness, event.memberId, at);
    case 'expire':
      return expire(change, liveness, at);
  }
}

/** The member, if it is in the group and its session has not run out; else UNKNOWN_MEMBER. */
export function liveMember(
  state: GroupState | null,
  liveness: ReadonlyMap<string, number>,
  memberId: string,
  nowMs: number,
): MemberState {
  const member = requireMember(state, memberId);
  if (isExpired(member, liveness, nowMs)) throw unknownMember(memberId);
  return member;
}

function join(
  change: GroupChange,
  liveness: ReadonlyMap<string, number>,
  event: Extract<GroupEvent, { type: 'join' }>,
  at: TransitionContext,
): Transition {
  const state = change.state ?? emptyGroup(event.assignor ?? 'sticky');
  change.state = state;
  if (event.assignor !== undefined && event.assignor !== state.assignor) {
    throw new BrokerError(
      'INVALID_REQUEST',
      `assignor: group ${event.groupId} uses ${state.assignor}; members must agree`,
    );
  }
  const expired = dropExpired(state, liveness, change, at.nowMs);
  const { instanceId } = event.member;
  const returning =
    instanceId !== undefined && state.members.some((m) => m.instanceId === instanceId);
  if (!returning && state.members.length >= LIMITS.groupMembersMax) {
    throw new BrokerError(
      'GROUP_MAX_SIZE_REACHED',
      `group ${event.groupId} already has ${LIMITS.groupMembersMax} members`,
    );
  }
  const member: MemberState = {
    ...event.member,
    memberEpoch: 1,
    target: {},
    owned: {},
    joinedAtMs: at.nowMs,
  };
  const replaced = addMember(state, member);
  if (replaced !== undefined) change.deleteLiveness.push(replaced.memberId);
  const deadlineMs = renewedDeadlineMs(member, at.nowMs);
  change.setLiveness.set(member.memberId, deadlineMs);
  retarget(state, at.resolve);
  const { revoked, granted } = reconcile(state, member.memberId);
  change.markDirty();
  return { expired, member, deadlineMs, revoked, granted };
}

function heartbeat(
  change: GroupChange,
  liveness: ReadonlyMap<string, number>,
  memberId: string,
  waitMs: number,
  at: TransitionContext,
): Transition {
  const state = change.state;
  if (state === null) return { expired: [], revoked: [], granted: [] };
  const expired = dropExpired(state, liveness, change, at.nowMs);
  if (expired.some((m) => m.memberId === memberId)) {
    retarget(state, at.resolve);
    return { expired, revoked: [], granted: [] };
  }
  const member = requireMember(state, memberId);
  if (expired.length > 0 || topicsFingerprint(state, at.resolve) !== state.topicsFingerprint) {
    // An expiry raised the group epoch already; a change of the subscribed topics raises it here.
    if (expired.length === 0) state.groupEpoch += 1;
    retarget(state, at.resolve);
    change.markDirty();
  }
  const { revoked, granted } = reconcile(state, memberId);
  if (revoked.length > 0 || granted.length > 0) {
    change.deletePositions.push(...positionKeys(revoked));
    change.markDirty();
  }
  // Not a reason to write by itself: a plain heartbeat only touches the liveness entry.
  const deadlineMs = renewedDeadlineMs(member, at.nowMs, waitMs);
  change.setLiveness.set(memberId, deadlineMs);
  return { expired, member, deadlineMs, revoked, granted };
}

function leave(
  change: GroupChange,
  liveness: ReadonlyMap<string, number>,
  memberId: string,
  at: TransitionContext,
): Transition {
  const member = requireMember(change.state, memberId);
  const state = change.state;
  assert(state !== null, 'a group with a member has a state');
  removeMember(state, memberId);
  change.deleteLiveness.push(memberId);
  change.deletePositions.push(...positionKeys(flatten(member.owned)));
  const expired = dropExpired(state, liveness, change, at.nowMs);
  retarget(state, at.resolve);
  change.markDirty();
  return { expired, revoked: [], granted: [] };
}

function expire(
  change: GroupChange,
  liveness: ReadonlyMap<string, number>,
  at: TransitionContext,
): Transition {
  if (change.state === null) return { expired: [], revoked: [], granted: [] };
  const expired = dropExpired(change.state, liveness, change, at.nowMs);
  if (expired.length > 0) retarget(change.state, at.resolve);
  return { expired, revoked: [], granted: [] };
}

/** Removes expired members, with their liveness and the positions of what they owned. */
function dropExpired(
  state: GroupState,
  liveness: ReadonlyMap<string, number>,
  change: GroupChange,
  nowMs: number,
): MemberState[] {
  const expired = expireMembers(state, liveness, nowMs);
  for (const member of expired) {
    change.deleteLiveness.push(member.memberId);
    // Their last records may not have been processed: the next owner starts from the commit.
    change.deletePositions.push(...positionKeys(flatten(member.owned)));
  }
  if (expired.length > 0) change.markDirty();
  return expired;
}
