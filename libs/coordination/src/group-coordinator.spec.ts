// The group coordinator over each Coordinator (in-process, and a real Redis under a key prefix
// of its own): the state machine's transitions as they are written and read back. Time is a
// ManualClock; committed offsets go to a recorder standing for the metadata store.
import { randomUUID } from 'node:crypto';
import { ManualClock } from '@tributary/common';
import { type Coordinator } from './coordinator';
import { GroupCoordinator, type PositionCommit } from './group-coordinator';
import { type NewMember } from './group-machine';
import { commitMarkKey, type MemberState, type ResolvedTopic, tpKey } from './group-state';
import { InProcessCoordinator } from './in-process-coordinator';
import { RedisCoordinator } from './redis-coordinator';
import { deleteKeys, TEST_REDIS_URL, testRedis } from '../../../test/support/redis';

const SESSION_MS = 10_000;
const TOPICS: ResolvedTopic[] = [{ topicId: 't1', name: 'orders', partitions: 4 }];
const tp = (partition: number) => ({ topicId: 't1', partition });

function newMember(memberId: string, autoCommit = true): NewMember {
  return {
    memberId,
    principal: 'key-1',
    subscription: { topics: ['orders'] },
    sessionTimeoutMs: SESSION_MS,
    autoOffsetReset: 'earliest',
    autoCommit,
  };
}

const owned = (member: MemberState) => member.owned.t1 ?? [];

describe.each([
  ['in-process', () => ({ coordinator: new InProcessCoordinator(), keyPrefix: undefined })],
  [
    'redis',
    () => {
      const { keyPrefix } = testRedis();
      return { coordinator: new RedisCoordinator({ url: TEST_REDIS_URL, keyPrefix }), keyPrefix };
    },
  ],
])('group coordinator over the %s coordinator', (_kind, open) => {
  let coordinator: Coordinator;
  let keyPrefix: string | undefined;
  let clock: ManualClock;
  let committed: { groupId: string; commits: PositionCommit[] }[];
  let groups: GroupCoordinator;
  let tenant: string;

  beforeAll(() => ({ coordinator, keyPrefix } = open()));
  afterAll(async () => {
    await coordinator.close();
    if (keyPrefix !== undefined) await deleteKeys(keyPrefix);
  });
  beforeEach(() => {
    clock = new ManualClock();
    committed = [];
    tenant = randomUUID();
    groups = new GroupCoordinator({
      coordinator,
      clock,
      resolver: () => (member) =>
        'topics' in member.subscription && member.subscription.topics.includes('orders')
          ? TOPICS
          : [],
      topicExists: (topicId) => topicId === 't1',
      commitOffsets: async (_tenantId, groupId, commits) => {
        committed.push({ groupId, commits: [...commits] });
      },
    });
  });

  /** Two members that each own two partitions. */
  async function twoMembers(): Promise<void> {
    await groups.join(tenant, 'g', newMember('a'));
    await groups.join(tenant, 'g', newMember('b'));
    await groups.heartbeat(tenant, 'g', 'a');
    const { member } = await groups.heartbeat(tenant, 'g', 'b');
    expect(owned(member)).toHaveLength(2);
  }

  test('a join is answered with its assignment and stored with its session deadline', async () => {
    const { member, view } = await groups.join(tenant, 'g', newMember('a'));
    expect(owned(member)).toEqual([0, 1, 2, 3]);
    expect(view.liveness.get('a')).toBe(clock.nowMs() + SESSION_MS);
    expect((await groups.read(tenant, 'g')).state?.members).toHaveLength(1);
  });

  test('a heartbeat that changes nothing moves only the deadline, not the version', async () => {
    const joined = await groups.join(tenant, 'g', newMember('a'));
    clock.advance(3_000);
    await groups.heartbeat(tenant, 'g', 'a', { waitMs: 2_000 });
    const read = await groups.read(tenant, 'g');
    expect(read.version).toBe(joined.view.version);
    expect(read.liveness.get('a')).toBe(clock.nowMs() + 2_000 + SESSION_MS);
  });

  test("another member's call removes an expired member and takes its partitions", async () => {
    await twoMembers();
    clock.advance(SESSION_MS);
    await groups.heartbeat(tenant, 'g', 'b');
    clock.advance(1);
    const { member, view } = await groups.heartbeat(tenant, 'g', 'b');
    expect(owned(member)).toEqual([0, 1, 2, 3]);
    expect(view.state?.members.map((m) => m.memberId)).toEqual(['b']);
    expect(view.liveness.has('a')).toBe(false);
  });

  test('a member whose session ran out is UNKNOWN_MEMBER, and its expiry is written', async () => {
    await groups.join(tenant, 'g', newMember('a'));
    clock.advance(SESSION_MS + 1);
    await expect(groups.heartbeat(tenant, 'g', 'a')).rejects.toMatchObject({
      code: 'UNKNOWN_MEMBER',
    });
    expect(await groups.read(tenant, 'g')).toMatchObject({ version: 0, state: null });
  });

  test('a commit from a stale epoch or of a partition not owned is refused, writing nothing', async () => {
    await twoMembers();
    const { member } = await groups.heartbeat(tenant, 'g', 'a');
    const mine = owned(member)[0]!;
    const theirs = [0, 1, 2, 3].find((p) => !owned(member).includes(p))!;
    const stale = { code: 'STALE_MEMBER_EPOCH', extra: { memberEpoch: member.memberEpoch } };
    await expect(
      groups.commit(tenant, 'g', 'a', member.memberEpoch - 1, () => [{ ...tp(mine), offset: 5 }]),
    ).rejects.toMatchObject(stale);
    await expect(
      groups.commit(tenant, 'g', 'a', undefined, () => [{ ...tp(theirs), offset: 5 }]),
    ).rejects.toMatchObject(stale);
    expect(committed).toEqual([]);
    const done = await groups.commit(tenant, 'g', 'a', member.memberEpoch, () => [
      { ...tp(mine), offset: 5 },
    ]);
    expect(done.commits).toEqual([{ ...tp(mine), offset: 5 }]);
    expect(committed).toEqual([{ groupId: 'g', commits: [{ ...tp(mine), offset: 5 }] }]);
    expect((await groups.read(tenant, 'g')).positions.get(commitMarkKey(tp(mine)))).toBe(5);
  });

  test('autoCommit commits the positions a poll moved, once', async () => {
    const { view } = await groups.join(tenant, 'g', newMember('a'));
    const moved = new Map([[tpKey(tp(1)), 7]]);
    expect(await groups.advancePositions(tenant, 'g', view.version, moved)).toBe(true);
    await groups.heartbeat(tenant, 'g', 'a', { autoCommit: true });
    await groups.heartbeat(tenant, 'g', 'a', { autoCommit: true });
    expect(committed).toEqual([{ groupId: 'g', commits: [{ ...tp(1), offset: 7 }] }]);
  });

  test('positions move forward only, and not after the group changed', async () => {
    const { view } = await groups.join(tenant, 'g', newMember('a'));
    const at = (offset: number) => new Map([[tpKey(tp(0)), offset]]);
    expect(await groups.advancePositions(tenant, 'g', view.version, at(9))).toBe(true);
    expect(await groups.advancePositions(tenant, 'g', view.version, at(3))).toBe(true);
    expect((await groups.read(tenant, 'g')).positions.get(tpKey(tp(0)))).toBe(9);
    await groups.join(tenant, 'g', newMember('b'));
    expect(await groups.advancePositions(tenant, 'g', view.version, at(12))).toBe(false);
  });

  test('a leave commits (autoCommit) and hands the partitions to the others', async () => {
    await twoMembers();
    const { member, view } = await groups.heartbeat(tenant, 'g', 'a');
    const mine = owned(member)[0]!;
    await groups.advancePositions(tenant, 'g', view.version, new Map([[tpKey(tp(mine)), 4]]));
    await groups.leave(tenant, 'g', 'a');
    expect(committed).toEqual([{ groupId: 'g', commits: [{ ...tp(mine), offset: 4 }] }]);
    const after = await groups.heartbeat(tenant, 'g', 'b');
    expect(owned(after.member)).toEqual([0, 1, 2, 3]);
    expect(after.view.positions.has(tpKey(tp(mine)))).toBe(false);
    await expect(groups.leave(tenant, 'g', 'a')).rejects.toMatchObject({
      code: 'UNKNOWN_MEMBER',
    });
  });

  test('a seek moves the position of an owned partition only', async () => {
    await twoMembers();
    const { member } = await groups.heartbeat(tenant, 'g', 'a');
    const theirs = [0, 1, 2, 3].find((p) => !owned(member).includes(p))!;
    const mine = owned(member)[0]!;
    await expect(groups.seek(tenant, 'g', 'a', tp(theirs), async () => 1)).rejects.toMatchObject({
      code: 'STALE_MEMBER_EPOCH',
    });
    expect(await groups.seek(tenant, 'g', 'a', tp(mine), async () => 11)).toBe(11);
    expect((await groups.read(tenant, 'g')).positions.get(tpKey(tp(mine)))).toBe(11);
  });

  test('a look from outside removes the expired members', async () => {
    await twoMembers();
    clock.advance(SESSION_MS + 1);
    const view = await groups.refresh(tenant, 'g');
    expect(view.state).toBeNull();
    expect(await groups.read(tenant, 'g')).toMatchObject({ version: 0, state: null });
  });
});
