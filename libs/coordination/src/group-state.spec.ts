// The group protocol as pure functions: whatever order members join, leave, expire and call
// in, no partition is ever owned by two members, every owned partition is in its owner's
// target, and once every member has called twice the group is stable with every subscribed
// partition owned.
import { seededRandom } from '../../../test/support/random';
import { ASSIGNORS } from './assignors';
import {
  addMember,
  emptyGroup,
  expireMembers,
  flatten,
  type GroupState,
  groupStatus,
  type MemberState,
  reconcile,
  removeMember,
  type ResolvedTopic,
  retarget,
  tpKey,
} from './group-state';

const TOPICS: ResolvedTopic[] = [
  { topicId: 'a', name: 'orders', partitions: 5 },
  { topicId: 'b', name: 'payments', partitions: 3 },
];
const resolve = (member: MemberState) =>
  'topics' in member.subscription
    ? TOPICS.filter((t) => (member.subscription as { topics: string[] }).topics.includes(t.name))
    : TOPICS;

function newMember(id: string, topics: string[], instanceId?: string): MemberState {
  return {
    memberId: id,
    principal: 'key',
    subscription: { topics },
    sessionTimeoutMs: 1000,
    autoOffsetReset: 'latest',
    autoCommit: true,
    memberEpoch: 1,
    target: {},
    owned: {},
    joinedAtMs: 0,
    ...(instanceId === undefined ? {} : { instanceId }),
  };
}

function checkInvariants(state: GroupState): void {
  const owners = new Map<string, string>();
  for (const member of state.members) {
    for (const tp of flatten(member.owned)) {
      const key = tpKey(tp);
      expect(owners.get(key)).toBeUndefined();
      owners.set(key, member.memberId);
    }
  }
}

describe('group protocol', () => {
  test.each(ASSIGNORS)('random joins, leaves, expiries and calls never double-own (%s)', (name) => {
    for (let seed = 1; seed <= 200; seed++) {
      const random = seededRandom(seed);
      const state = emptyGroup(name);
      let next = 0;
      for (let step = 0; step < 40; step++) {
        const roll = random();
        if (roll < 0.25 || state.members.length === 0) {
          const topics = random() < 0.7 ? ['orders', 'payments'] : ['orders'];
          addMember(state, newMember(`m${next++}`, topics));
          retarget(state, resolve);
        } else if (roll < 0.35) {
          const victim = state.members[Math.floor(random() * state.members.length)]!;
          removeMember(state, victim.memberId);
          retarget(state, resolve);
        } else if (roll < 0.4) {
          const victim = state.members[Math.floor(random() * state.members.length)]!;
          expireMembers(state, new Map([[victim.memberId, -1]]), 0);
          retarget(state, resolve);
        } else {
          const caller = state.members[Math.floor(random() * state.members.length)]!;
          reconcile(state, caller.memberId);
        }
        checkInvariants(state);
      }
      // Every member calls twice: the first call gives up, the second takes.
      for (let round = 0; round < 2; round++) {
        for (const member of state.members) reconcile(state, member.memberId);
      }
      checkInvariants(state);
      expect(groupStatus(state)).toBe(state.members.length === 0 ? 'Empty' : 'Stable');
      const owned = state.members.flatMap((m) => flatten(m.owned).map(tpKey));
      const subscribed = new Set(state.members.flatMap((m) => resolve(m).map((t) => t.topicId)));
      const expected = TOPICS.filter((t) => subscribed.has(t.topicId)).reduce(
        (n, t) => n + t.partitions,
        0,
      );
      expect(owned).toHaveLength(expected);
    }
  });

  test('a partition moves only after its owner called; the epoch rises with every change', () => {
    const state = emptyGroup('sticky');
    addMember(state, newMember('a', ['payments']));
    retarget(state, resolve);
    reconcile(state, 'a');
    expect(state.members[0]!.owned).toEqual({ b: [0, 1, 2] });
    expect(state.members[0]!.memberEpoch).toBe(2);
    addMember(state, newMember('b', ['payments']));
    retarget(state, resolve);
    expect(reconcile(state, 'b').granted).toEqual([]);
    expect(groupStatus(state)).toBe('Reconciling');
    const revoked = reconcile(state, 'a').revoked;
    expect(revoked).toHaveLength(1);
    expect(reconcile(state, 'b').granted).toEqual(revoked);
    expect(groupStatus(state)).toBe('Stable');
  });

  test('a static member replaced by its successor hands over what it owned', () => {
    const state = emptyGroup('range');
    addMember(state, newMember('a1', ['orders'], 'host-a'));
    addMember(state, newMember('b', ['orders'], 'host-b'));
    retarget(state, resolve);
    reconcile(state, 'a1');
    reconcile(state, 'b');
    const before = state.members.find((m) => m.memberId === 'a1')!.owned;
    const replaced = addMember(state, newMember('a2', ['orders'], 'host-a'));
    expect(replaced?.memberId).toBe('a1');
    retarget(state, resolve);
    const successor = state.members.find((m) => m.memberId === 'a2')!;
    expect(successor.owned).toEqual(before);
    expect(reconcile(state, 'a2')).toEqual({ revoked: [], granted: [] });
  });
});
