// The group state machine's transitions, one rule at a time, without a store or a network: each
// test builds a group, applies events, and checks the group and what the store is asked to
// write (liveness set and removed, positions dropped, whether anything must be written at all).
import { LIMITS } from '@tributary/common';
import { type GroupEvent, liveMember, type NewMember, transition } from './group-machine';
import {
  checkOwnership,
  emptyGroup,
  findMember,
  type GroupState,
  type MemberState,
  type ResolvedTopic,
  positionKeys,
} from './group-state';
import { GroupChange } from './group-store';

const T0 = 1_700_000_000_000;
const SESSION_MS = 10_000;

/** One topic of four partitions, or more after `grow`. */
let topics: ResolvedTopic[];
const resolve = (member: MemberState) =>
  'topics' in member.subscription && member.subscription.topics.includes('orders') ? topics : [];

function newMember(memberId: string, extra: Partial<NewMember> = {}): NewMember {
  return {
    memberId,
    principal: 'key-1',
    subscription: { topics: ['orders'] },
    sessionTimeoutMs: SESSION_MS,
    autoOffsetReset: 'earliest',
    autoCommit: true,
    ...extra,
  };
}

/** A group as the store would hold it: the state and the liveness map, changed by events. */
class Group {
  state: GroupState | null = null;
  liveness = new Map<string, number>();
  last!: GroupChange;

  apply(event: GroupEvent, nowMs: number) {
    const change = new GroupChange(this.state === null ? null : structuredClone(this.state));
    const result = transition(change, this.liveness, event, { nowMs, resolve });
    this.last = change;
    if (change.dirty) {
      this.state = change.state !== null && change.state.members.length > 0 ? change.state : null;
      for (const id of change.deleteLiveness) this.liveness.delete(id);
    }
    // A heartbeat that writes nothing still touches its liveness entry.
    for (const [id, deadline] of change.setLiveness) this.liveness.set(id, deadline);
    return result;
  }

  member(memberId: string): MemberState {
    const member = this.state === null ? undefined : findMember(this.state, memberId);
    expect(member).toBeDefined();
    return member!;
  }

  owned(memberId: string): number[] {
    return this.member(memberId).owned.t1 ?? [];
  }
}

const join = (member: NewMember, groupId = 'g'): GroupEvent => ({ type: 'join', groupId, member });
const heartbeat = (memberId: string, waitMs = 0): GroupEvent => ({
  type: 'heartbeat',
  memberId,
  waitMs,
});

beforeEach(() => {
  topics = [{ topicId: 't1', name: 'orders', partitions: 4 }];
});

describe('join', () => {
  test('the first member creates the group and is assigned every partition at once', () => {
    const g = new Group();
    const joined = g.apply(join(newMember('a')), T0);
    expect(g.last.dirty).toBe(true);
    expect(g.state).toMatchObject({ groupEpoch: 1, assignor: 'sticky', topicsFingerprint: 't1:4' });
    expect(g.owned('a')).toEqual([0, 1, 2, 3]);
    expect(joined.granted).toHaveLength(4);
    // Epoch 1 at the join, raised by taking the partitions.
    expect(g.member('a')).toMatchObject({ memberEpoch: 2, joinedAtMs: T0 });
    expect(joined.deadlineMs).toBe(T0 + SESSION_MS);
    expect(g.liveness.get('a')).toBe(T0 + SESSION_MS);
  });

  test('a second member gets a target at once, and the partitions once the first gives them up', () => {
    const g = new Group();
    g.apply(join(newMember('a')), T0);
    const second = g.apply(join(newMember('b')), T0 + 1);
    expect(second.granted).toEqual([]); // all still owned by a
    expect(g.member('b').target.t1).toHaveLength(2);
    expect(g.state!.groupEpoch).toBe(2);
    const gaveUp = g.apply(heartbeat('a'), T0 + 2);
    expect(gaveUp.revoked).toHaveLength(2);
    // The revoked partitions' positions and autoCommit marks are dropped.
    expect(g.last.deletePositions).toEqual(
      positionKeys(gaveUp.revoked.map((tp) => ({ topicId: tp.topicId, partition: tp.partition }))),
    );
    expect(g.apply(heartbeat('b'), T0 + 3).granted).toEqual(gaveUp.revoked);
    expect([...g.owned('a'), ...g.owned('b')].sort()).toEqual([0, 1, 2, 3]);
  });

  test('a member naming another assignor than the group uses is refused', () => {
    const g = new Group();
    g.apply({ type: 'join', groupId: 'g', member: newMember('a'), assignor: 'range' }, T0);
    expect(g.state!.assignor).toBe('range');
    expect(() =>
      g.apply({ type: 'join', groupId: 'g', member: newMember('b'), assignor: 'sticky' }, T0),
    ).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
  });

  test('a full group refuses a new member but takes back a static member', () => {
    const g = new Group();
    g.state = emptyGroup('sticky');
    for (let i = 0; i < LIMITS.groupMembersMax; i++) {
      g.state.members.push({
        ...newMember(`m${i}`, { instanceId: `host-${i}` }),
        memberEpoch: 1,
        target: {},
        owned: {},
        joinedAtMs: T0,
      });
    }
    expect(() => g.apply(join(newMember('extra')), T0)).toThrow(
      expect.objectContaining({ code: 'GROUP_MAX_SIZE_REACHED', retriable: true }),
    );
    g.apply(join(newMember('m0-again', { instanceId: 'host-0' })), T0);
    expect(g.state.members).toHaveLength(LIMITS.groupMembersMax);
  });

  test('a static member coming back replaces its predecessor and keeps its partitions', () => {
    const g = new Group();
    g.apply(join(newMember('a1', { instanceId: 'host-a' })), T0);
    g.apply(join(newMember('b', { instanceId: 'host-b' })), T0);
    g.apply(heartbeat('a1'), T0);
    g.apply(heartbeat('b'), T0);
    const before = g.member('a1');
    g.apply(join(newMember('a2', { instanceId: 'host-a' })), T0 + 5);
    expect(g.last.deleteLiveness).toEqual(['a1']);
    expect(g.state!.members.map((m) => m.memberId).sort()).toEqual(['a2', 'b']);
    expect(g.member('a2').owned).toEqual(before.owned);
    expect(g.member('a2').memberEpoch).toBe(before.memberEpoch + 1);
  });
});

describe('heartbeat', () => {
  test("extends the session past the call: now + the call's wait + the session timeout", () => {
    const g = new Group();
    g.apply(join(newMember('a')), T0);
    const beat = g.apply(heartbeat('a', 5_000), T0 + 7_000);
    expect(beat.deadlineMs).toBe(T0 + 7_000 + 5_000 + SESSION_MS);
    expect(g.liveness.get('a')).toBe(beat.deadlineMs);
    // Nothing else changed: the store only touches the liveness entry.
    expect(g.last.dirty).toBe(false);
  });

  test('removes a member whose session ran out, with its positions, and rebalances', () => {
    const g = new Group();
    g.apply(join(newMember('a')), T0);
    g.apply(join(newMember('b')), T0);
    g.apply(heartbeat('a'), T0);
    g.apply(heartbeat('b'), T0);
    const ownedByA = g.owned('a');
    expect(ownedByA).toHaveLength(2);
    g.apply(heartbeat('b', 0), T0 + SESSION_MS); // a stays silent
    const epoch = g.state!.groupEpoch;
    const beat = g.apply(heartbeat('b'), T0 + SESSION_MS + 1);
    expect(beat.expired.map((m) => m.memberId)).toEqual(['a']);
    expect(g.last.dirty).toBe(true);
    expect(g.last.deleteLiveness).toEqual(['a']);
    expect(g.last.deletePositions).toEqual(
      positionKeys(ownedByA.map((partition) => ({ topicId: 't1', partition }))),
    );
    expect(g.state!.groupEpoch).toBe(epoch + 1);
    expect(g.owned('b')).toEqual([0, 1, 2, 3]);
  });

  test('a member whose own session ran out is removed and told it is gone', () => {
    const g = new Group();
    g.apply(join(newMember('a')), T0);
    const late = g.apply(heartbeat('a'), T0 + SESSION_MS + 1);
    expect(late.member).toBeUndefined();
    expect(late.deadlineMs).toBeUndefined();
    expect(late.expired.map((m) => m.memberId)).toEqual(['a']);
    expect(g.last.dirty).toBe(true); // the expiry is written
    expect(g.state).toBeNull();
  });

  test('a member not in the group is UNKNOWN_MEMBER, and nothing is written', () => {
    const g = new Group();
    g.apply(join(newMember('a')), T0);
    expect(() => g.apply(heartbeat('stranger'), T0)).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_MEMBER' }),
    );
    // Without a group at all the member is gone too (the caller answers UNKNOWN_MEMBER).
    expect(new Group().apply(heartbeat('a'), T0).member).toBeUndefined();
  });

  test('added partitions reach the assignment on the next call, with a new group epoch', () => {
    const g = new Group();
    g.apply(join(newMember('a')), T0);
    const epoch = g.state!.groupEpoch;
    topics = [{ topicId: 't1', name: 'orders', partitions: 6 }];
    const beat = g.apply(heartbeat('a'), T0 + 1);
    expect(beat.granted.map((tp) => tp.partition)).toEqual([4, 5]);
    expect(g.state).toMatchObject({ groupEpoch: epoch + 1, topicsFingerprint: 't1:6' });
  });
});

describe('leave', () => {
  test('removes the member, its liveness and its positions, and rebalances the rest', () => {
    const g = new Group();
    g.apply(join(newMember('a')), T0);
    g.apply(join(newMember('b')), T0);
    g.apply(heartbeat('a'), T0);
    g.apply(heartbeat('b'), T0);
    const ownedByA = g.owned('a');
    g.apply({ type: 'leave', memberId: 'a' }, T0 + 1);
    expect(g.last.deleteLiveness).toEqual(['a']);
    expect(g.last.deletePositions).toEqual(
      positionKeys(ownedByA.map((partition) => ({ topicId: 't1', partition }))),
    );
    expect(g.member('b').target).toEqual({ t1: [0, 1, 2, 3] });
    g.apply(heartbeat('b'), T0 + 2);
    expect(g.owned('b')).toEqual([0, 1, 2, 3]);
  });

  test('the last member leaving empties the group; a second leave is UNKNOWN_MEMBER', () => {
    const g = new Group();
    g.apply(join(newMember('a')), T0);
    g.apply({ type: 'leave', memberId: 'a' }, T0 + 1);
    expect(g.state).toBeNull();
    expect(() => g.apply({ type: 'leave', memberId: 'a' }, T0 + 2)).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_MEMBER' }),
    );
  });
});

describe('expire (a look from outside)', () => {
  test('writes nothing while every session is alive, and removes those that ran out', () => {
    const g = new Group();
    g.apply(join(newMember('a')), T0);
    g.apply(join(newMember('b', { sessionTimeoutMs: 60_000 })), T0);
    g.apply({ type: 'expire' }, T0 + SESSION_MS);
    expect(g.last.dirty).toBe(false);
    const looked = g.apply({ type: 'expire' }, T0 + SESSION_MS + 1);
    expect(looked.expired.map((m) => m.memberId)).toEqual(['a']);
    expect(g.member('b').target).toEqual({ t1: [0, 1, 2, 3] });
  });
});

describe('commit fencing', () => {
  const owner = () => {
    const g = new Group();
    g.apply(join(newMember('a')), T0);
    return g;
  };

  test('a live member that owns the partitions at its current epoch may commit', () => {
    const g = owner();
    const member = liveMember(g.state, g.liveness, 'a', T0 + 1);
    expect(() =>
      checkOwnership(member, [{ topicId: 't1', partition: 0 }], member.memberEpoch),
    ).not.toThrow();
  });

  test('a stale epoch, or a partition the member does not own, is STALE_MEMBER_EPOCH', () => {
    const g = owner();
    const member = liveMember(g.state, g.liveness, 'a', T0 + 1);
    const stale = { code: 'STALE_MEMBER_EPOCH', extra: { memberEpoch: member.memberEpoch } };
    expect(() => checkOwnership(member, [], member.memberEpoch - 1)).toThrow(
      expect.objectContaining(stale),
    );
    expect(() => checkOwnership(member, [{ topicId: 't1', partition: 9 }])).toThrow(
      expect.objectContaining(stale),
    );
  });

  test('a member whose session ran out cannot commit: UNKNOWN_MEMBER', () => {
    const g = owner();
    expect(() => liveMember(g.state, g.liveness, 'a', T0 + SESSION_MS + 1)).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_MEMBER' }),
    );
  });
});
