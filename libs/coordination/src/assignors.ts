// Consumer-group partition assignors (Kafka's range, round-robin and uniform sticky, the last in
// sticky-assignor.ts), as pure functions. Members are ordered by (instanceId ?? memberId), topics
// by topicId and partitions by number before anything is decided, so one group state always
// yields one assignment whatever order its parts arrive in. Inside, partition g of the group is
// partition g - base[t] of topic t.
import { assert, BrokerError } from '@tributary/common';
import { type AssignorMember, type AssignorTopic, type Group } from './assignor-group';
import { stickyOwners } from './sticky-assignor';

export { type AssignorMember, type AssignorTopic } from './assignor-group';

export type AssignorName = 'range' | 'roundrobin' | 'sticky';
export const ASSIGNORS: readonly AssignorName[] = ['range', 'roundrobin', 'sticky'];

/** memberId -> topicId -> sorted partitions; every member appears (maybe with an empty map). */
export type GroupAssignment = Map<string, Map<string, number[]>>;

/** One run's limits: a group past them is refused rather than computed slowly. */
const ASSIGNOR_LIMITS = {
  membersMax: 10_000,
  topicsMax: 100_000,
  partitionsMax: 100_000,
  /** topicIds across all members' subscriptions. */
  subscriptionsMax: 1_000_000,
  /** Partition numbers across all members' current assignments. */
  claimsMax: 1_000_000,
} as const;

export function assign(
  name: AssignorName,
  members: readonly AssignorMember[],
  topics: readonly AssignorTopic[],
): GroupAssignment {
  refuseUnless(ASSIGNORS.includes(name), `unknown assignor '${String(name)}'`);
  const group = indexGroup(members, topics);
  const owner =
    name === 'range'
      ? rangeOwners(group)
      : name === 'roundrobin'
        ? roundRobinOwners(group)
        : stickyOwners(group);
  for (let g = 0; g < owner.length; g++) {
    const m = owner[g]!;
    const t = group.topicOf[g]!;
    assert(
      m === -1 ? group.subscribers[t]!.length === 0 : group.subscriptions[m]!.has(t),
      () => `partition ${g} went to ${m}, not to one of its topic's subscribers`,
    );
  }
  return toAssignment(group, owner);
}

function refuseUnless(condition: boolean, detail: string): asserts condition {
  if (!condition) throw new BrokerError('INVALID_REQUEST', detail);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function indexGroup(members: readonly AssignorMember[], topics: readonly AssignorTopic[]): Group {
  const limits = ASSIGNOR_LIMITS;
  refuseUnless(members.length <= limits.membersMax, `more than ${limits.membersMax} members`);
  refuseUnless(topics.length <= limits.topicsMax, `more than ${limits.topicsMax} topics`);
  const sortedTopics = [...topics].sort((a, b) => compare(a.topicId, b.topicId));
  const topicIndex = new Map<string, number>();
  const base = [0];
  sortedTopics.forEach((topic, t) => {
    const { topicId, partitions } = topic;
    refuseUnless(!topicIndex.has(topicId), `topic '${topicId}' is listed twice`);
    refuseUnless(
      Number.isSafeInteger(partitions) && partitions >= 0,
      `topic '${topicId}' has ${partitions} partitions`,
    );
    topicIndex.set(topicId, t);
    base.push(base[t]! + partitions);
    refuseUnless(
      base[t + 1]! <= limits.partitionsMax,
      `more than ${limits.partitionsMax} partitions`,
    );
  });
  const sortedMembers = [...members].sort(
    (a, b) =>
      compare(a.instanceId ?? a.memberId, b.instanceId ?? b.memberId) ||
      compare(a.memberId, b.memberId),
  );
  let subscriptionCount = 0;
  let claimCount = 0;
  for (const member of sortedMembers) {
    subscriptionCount += member.topics.length;
    for (const partitions of member.current.values()) claimCount += partitions.length;
  }
  refuseUnless(
    subscriptionCount <= limits.subscriptionsMax,
    `more than ${limits.subscriptionsMax} subscriptions`,
  );
  refuseUnless(claimCount <= limits.claimsMax, `more than ${limits.claimsMax} current partitions`);
  refuseUnless(
    new Set(members.map((m) => m.memberId)).size === members.length,
    'a memberId is listed twice',
  );
  return indexSubscriptions(sortedMembers, sortedTopics, topicIndex, base);
}

function indexSubscriptions(
  members: readonly AssignorMember[],
  topics: readonly AssignorTopic[],
  topicIndex: ReadonlyMap<string, number>,
  base: readonly number[],
): Group {
  const subscribers: number[][] = topics.map(() => []);
  const subscriptions = members.map((member, m) => {
    const subscribed = new Set<number>();
    for (const topicId of member.topics) {
      const t = topicIndex.get(topicId);
      // A topic without partitions has nothing to hand out, so it counts as no subscription.
      if (t !== undefined && topics[t]!.partitions > 0 && !subscribed.has(t)) {
        subscribed.add(t);
        subscribers[t]!.push(m);
      }
    }
    return subscribed;
  });
  const topicOf = new Int32Array(base[topics.length]!);
  topics.forEach((_, t) => topicOf.fill(t, base[t], base[t + 1]));
  return { members, topics, topicIndex, base, topicOf, subscribers, subscriptions };
}

function toAssignment(group: Group, owner: Int32Array): GroupAssignment {
  const perMember = group.members.map(() => new Map<string, number[]>());
  for (let g = 0; g < owner.length; g++) {
    const assigned = perMember[owner[g]!];
    if (assigned === undefined) continue;
    const t = group.topicOf[g]!;
    const topicId = group.topics[t]!.topicId;
    const partitions = assigned.get(topicId) ?? [];
    partitions.push(g - group.base[t]!);
    assigned.set(topicId, partitions);
  }
  return new Map(group.members.map((member, m) => [member.memberId, perMember[m]!]));
}

/** Kafka's RangeAssignor: per topic, contiguous ranges; the first partitions % n get one more. */
function rangeOwners(group: Group): Int32Array {
  const owner = new Int32Array(group.topicOf.length).fill(-1);
  group.topics.forEach((topic, t) => {
    const subscribers = group.subscribers[t]!;
    if (subscribers.length === 0) return;
    const each = Math.floor(topic.partitions / subscribers.length);
    const extra = topic.partitions % subscribers.length;
    let g = group.base[t]!;
    subscribers.forEach((m, i) => {
      const end = g + each + (i < extra ? 1 : 0);
      owner.fill(m, g, end);
      g = end;
    });
  });
  return owner;
}

/** Kafka's RoundRobinAssignor: one deal over all partitions, skipping members not subscribed. */
function roundRobinOwners(group: Group): Int32Array {
  const owner = new Int32Array(group.topicOf.length).fill(-1);
  let next = 0;
  group.topics.forEach((_, t) => {
    const subscribers = group.subscribers[t]!;
    if (subscribers.length === 0) return;
    for (let g = group.base[t]!; g < group.base[t + 1]!; g++) {
      const m = subscribers[firstAtLeast(subscribers, next)] ?? subscribers[0]!;
      owner[g] = m;
      next = m + 1;
    }
  });
  return owner;
}

/** The index of the first element >= value in an ascending array (its length if none). */
function firstAtLeast(ascending: readonly number[], value: number): number {
  let lo = 0;
  let hi = ascending.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ascending[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
