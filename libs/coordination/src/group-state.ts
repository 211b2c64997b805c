// The server-side consumer-group protocol (like Kafka's KIP-848), as pure functions over the
// group document: members join and leave, sessions expire, the assignor computes a target
// assignment, and each member reconciles towards its target when it calls.
//
// A partition is never owned by two members at once: a member gives up a partition (its
// revocation is acknowledged) only on its own next call, and a partition is granted only when
// no other member owns it. Every change of a member's owned partitions raises its epoch;
// commits are fenced on ownership and epoch.
import { assert, BrokerError } from '@tributary/common';
import { type AssignorTopic } from './assignor-group';
import { assign, type AssignorName } from './assignors';
import { isExpired } from './member-session';

export type Subscription = { topics: string[] } | { pattern: string };
export type OffsetReset = 'earliest' | 'latest';
/** topicId -> sorted partitions */
export type PartitionsByTopic = Record<string, number[]>;

export interface MemberState {
  memberId: string;
  /** Who joined (an API key id): the subscription resolves to what it may read. */
  principal: string;
  instanceId?: string;
  subscription: Subscription;
  sessionTimeoutMs: number;
  autoOffsetReset: OffsetReset;
  autoCommit: boolean;
  memberEpoch: number;
  /** What the assignor wants this member to own. */
  target: PartitionsByTopic;
  /** What the member owns: told to it, and not yet given up on one of its calls. */
  owned: PartitionsByTopic;
  joinedAtMs: number;
}

export interface GroupState {
  /** Rises on every membership or subscription change. */
  groupEpoch: number;
  assignor: AssignorName;
  /** The subscribed topics and their partition counts when the targets were computed. */
  topicsFingerprint: string;
  members: MemberState[];
}

export type GroupStatus = 'Empty' | 'Reconciling' | 'Stable';

/** A topic a member's subscription resolves to. */
export interface ResolvedTopic extends AssignorTopic {
  name: string;
}

export type TopicResolver = (member: MemberState) => readonly ResolvedTopic[];

export interface TopicPartitionRef {
  topicId: string;
  partition: number;
}

export function emptyGroup(assignor: AssignorName): GroupState {
  return { groupEpoch: 0, assignor, topicsFingerprint: '', members: [] };
}

export function parseGroup(document: string): GroupState {
  const state = JSON.parse(document) as GroupState;
  assert(Array.isArray(state.members), 'a group document has members');
  return state;
}

export function findMember(state: GroupState, memberId: string): MemberState | undefined {
  return state.members.find((m) => m.memberId === memberId);
}

export function requireMember(state: GroupState | null, memberId: string): MemberState {
  const member = state === null ? undefined : findMember(state, memberId);
  if (member === undefined) throw unknownMember(memberId);
  return member;
}

export function unknownMember(memberId: string): BrokerError {
  return new BrokerError(
    'UNKNOWN_MEMBER',
    `member ${memberId} is not in the group (it left or its session expired); join again`,
  );
}

export function groupStatus(state: GroupState | null): GroupStatus {
  if (state === null || state.members.length === 0) return 'Empty';
  const settled = state.members.every((m) => samePartitions(m.owned, m.target));
  return settled ? 'Stable' : 'Reconciling';
}

/**
 * Removes members whose session deadline has passed (a member with no liveness entry counts
 * from its join). Returns the removed members.
 */
export function expireMembers(
  state: GroupState,
  liveness: ReadonlyMap<string, number>,
  nowMs: number,
): MemberState[] {
  const expired = state.members.filter((m) => isExpired(m, liveness, nowMs));
  if (expired.length > 0) {
    state.members = state.members.filter((m) => !expired.includes(m));
    state.groupEpoch += 1;
  }
  return expired;
}

/**
 * Adds a member. A static member (instanceId) that is still in the group is replaced by the
 * newcomer, which inherits its place, its target and what it owns: coming back within the
 * session timeout keeps the partitions. Returns the replaced member, if any.
 */
export function addMember(state: GroupState, member: MemberState): MemberState | undefined {
  let replaced: MemberState | undefined;
  if (member.instanceId !== undefined) {
    replaced = state.members.find((m) => m.instanceId === member.instanceId);
  }
  if (replaced !== undefined) {
    member.target = replaced.target;
    member.owned = replaced.owned;
    member.memberEpoch = replaced.memberEpoch + 1;
    state.members = state.members.filter((m) => m !== replaced);
  }
  state.members.push(member);
  state.groupEpoch += 1;
  return replaced;
}

export function removeMember(state: GroupState, memberId: string): MemberState | undefined {
  const member = findMember(state, memberId);
  if (member === undefined) return undefined;
  state.members = state.members.filter((m) => m !== member);
  state.groupEpoch += 1;
  return member;
}

/** The fingerprint of what the members' subscriptions resolve to now. */
export function topicsFingerprint(state: GroupState, resolve: TopicResolver): string {
  const topics = new Map<string, number>();
  for (const member of state.members) {
    for (const topic of resolve(member)) topics.set(topic.topicId, topic.partitions);
  }
  return [...topics]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, n]) => `${id}:${n}`)
    .join(',');
}

/**
 * Recomputes every member's target from the subscriptions as they resolve now. Called after a
 * membership change, or when the fingerprint shows added partitions or newly matching topics.
 */
export function retarget(state: GroupState, resolve: TopicResolver): void {
  const topics = new Map<string, ResolvedTopic>();
  const subscribed = new Map<string, string[]>();
  for (const member of state.members) {
    const resolved = resolve(member);
    for (const topic of resolved) topics.set(topic.topicId, topic);
    subscribed.set(
      member.memberId,
      resolved.map((t) => t.topicId),
    );
  }
  const assignment = assign(
    state.assignor,
    state.members.map((m) => ({
      memberId: m.memberId,
      ...(m.instanceId === undefined ? {} : { instanceId: m.instanceId }),
      topics: subscribed.get(m.memberId) ?? [],
      current: new Map(Object.entries(m.target)),
    })),
    [...topics.values()],
  );
  for (const member of state.members) {
    member.target = Object.fromEntries(assignment.get(member.memberId) ?? []);
  }
  state.topicsFingerprint = topicsFingerprint(state, resolve);
}

export interface Reconciliation {
  revoked: TopicPartitionRef[];
  granted: TopicPartitionRef[];
}

/**
 * The member is calling: it gives up what is no longer its target (its call acknowledges the
 * revocation) and takes whatever of its target no other member still owns. Raises its epoch
 * when what it owns changes.
 */
export function reconcile(state: GroupState, memberId: string): Reconciliation {
  const member = requireMember(state, memberId);
  const ownedByOthers = new Set<string>();
  for (const other of state.members) {
    if (other === member) continue;
    for (const tp of flatten(other.owned)) ownedByOthers.add(tpKey(tp));
  }
  const targetKeys = new Set(flatten(member.target).map(tpKey));
  const revoked = flatten(member.owned).filter((tp) => !targetKeys.has(tpKey(tp)));
  const ownedKeys = new Set(flatten(member.owned).map(tpKey));
  const granted = flatten(member.target).filter(
    (tp) => !ownedKeys.has(tpKey(tp)) && !ownedByOthers.has(tpKey(tp)),
  );
  if (revoked.length > 0 || granted.length > 0) {
    const revokedKeys = new Set(revoked.map(tpKey));
    const owned = flatten(member.owned).filter((tp) => !revokedKeys.has(tpKey(tp)));
    member.owned = group([...owned, ...granted]);
    member.memberEpoch += 1;
  }
  return { revoked, granted };
}

/** Throws STALE_MEMBER_EPOCH unless the member owns every partition (and, if given, its epoch). */
export function checkOwnership(
  member: MemberState,
  partitions: readonly TopicPartitionRef[],
  memberEpoch?: number,
): void {
  if (memberEpoch !== undefined && memberEpoch !== member.memberEpoch) {
    throw new BrokerError(
      'STALE_MEMBER_EPOCH',
      `member epoch ${memberEpoch} is not the current ${member.memberEpoch}`,
      { extra: { memberEpoch: member.memberEpoch } },
    );
  }
  const owned = new Set(flatten(member.owned).map(tpKey));
  const foreign = partitions.find((tp) => !owned.has(tpKey(tp)));
  if (foreign !== undefined) {
    throw new BrokerError(
      'STALE_MEMBER_EPOCH',
      `the member does not own partition ${foreign.partition} of topic ${foreign.topicId} ` +
        `(epoch ${member.memberEpoch})`,
      { extra: { memberEpoch: member.memberEpoch } },
    );
  }
}

/** The key of a partition in a group's positions (and in sets of partitions). */
export function tpKey(tp: TopicPartitionRef): string {
  return `${tp.topicId}:${tp.partition}`;
}

/** The partition a `tpKey` names. */
export function parseTpKey(key: string): TopicPartitionRef {
  const colon = key.lastIndexOf(':');
  assert(colon > 0, () => `a partition key is "topicId:partition" (got "${key}")`);
  return { topicId: key.slice(0, colon), partition: Number(key.slice(colon + 1)) };
}

/**
 * The key of a partition's autoCommit mark in a group's positions: the position last committed
 * on its owner's behalf, kept beside the position so that a poll commits only what moved.
 */
export function commitMarkKey(tp: TopicPartitionRef): string {
  return `c:${tpKey(tp)}`;
}

/** The keys of the partitions' positions and autoCommit marks. */
export function positionKeys(partitions: readonly TopicPartitionRef[]): string[] {
  return partitions.flatMap((tp) => [tpKey(tp), commitMarkKey(tp)]);
}

export function flatten(byTopic: PartitionsByTopic): TopicPartitionRef[] {
  const out: TopicPartitionRef[] = [];
  for (const [topicId, partitions] of Object.entries(byTopic)) {
    for (const partition of partitions) out.push({ topicId, partition });
  }
  return out;
}

function group(partitions: readonly TopicPartitionRef[]): PartitionsByTopic {
  const out: PartitionsByTopic = {};
  for (const tp of partitions) (out[tp.topicId] ??= []).push(tp.partition);
  for (const list of Object.values(out)) list.sort((a, b) => a - b);
  return out;
}

function samePartitions(a: PartitionsByTopic, b: PartitionsByTopic): boolean {
  const left = flatten(a).map(tpKey).sort();
  const right = flatten(b).map(tpKey).sort();
  return left.length === right.length && left.every((key, i) => key === right[i]);
}
