import { type PartitionState } from '@tributary/metadata';
import { decide, type LiveNodes, preferredLeader } from './controller-decisions';

const row = (over: Partial<PartitionState> = {}): PartitionState => ({
  topicId: 't',
  partition: 0,
  leader: 1,
  leaderEpoch: 4,
  replicas: [1, 2, 3],
  isr: [1, 2, 3],
  version: 9,
  targetReplicas: [],
  ...over,
});
const nodes = (
  alive: number[],
  settled = alive,
  over: Partial<Pick<LiveNodes, 'replacement' | 'autoPreferredLeader'>> & {
    shuttingDown?: number[];
    draining?: number[];
  } = {},
): LiveNodes => {
  const { shuttingDown = [], draining = [], ...rest } = over;
  return {
    alive: new Set(alive),
    settled: new Set(settled),
    eligible: new Set(alive.filter((id) => !shuttingDown.includes(id) && !draining.includes(id))),
    draining: new Set(draining),
    ...rest,
  };
};

describe('controller decisions', () => {
  it('leaves a healthy partition alone', () => {
    expect(decide(row(), nodes([1, 2, 3]))).toBeUndefined();
  });

  it('elects the first live ISR member when the leader dies, in the next epoch, without the dead', () => {
    expect(decide(row(), nodes([2, 3]))).toEqual({
      leader: 2,
      leaderEpoch: 5,
      isr: [2, 3],
      replicas: [1, 2, 3],
      targetReplicas: [],
      reason: 'leader-elected',
    });
    // Replica order decides among the candidates, not ISR order.
    expect(decide(row({ isr: [3, 1, 2] }), nodes([3, 2]))?.leader).toBe(2);
  });

  it('never elects a replica outside the ISR; with none alive the partition has no leader', () => {
    expect(decide(row({ isr: [1] }), nodes([2, 3]))).toEqual({
      leader: -1,
      leaderEpoch: 5,
      isr: [1],
      replicas: [1, 2, 3],
      targetReplicas: [],
      reason: 'leader-lost',
    });
    // Still no one: nothing to write.
    expect(decide(row({ leader: -1, leaderEpoch: 5, isr: [1] }), nodes([2, 3]))).toBeUndefined();
    // The ISR member comes back: it leads.
    expect(decide(row({ leader: -1, leaderEpoch: 5, isr: [1] }), nodes([1, 2, 3]))).toMatchObject({
      leader: 1,
      leaderEpoch: 6,
      isr: [1],
    });
  });

  it('drops dead followers from the ISR without a new leader epoch', () => {
    expect(decide(row(), nodes([1, 2]))).toEqual({
      leader: 1,
      leaderEpoch: 4,
      isr: [1, 2],
      replicas: [1, 2, 3],
      targetReplicas: [],
      reason: 'isr-shrunk',
    });
  });

  it('gives the preferred leader its partition back once it is settled and in sync', () => {
    const moved = row({ leader: 2, isr: [2, 3, 1] });
    expect(decide(moved, nodes([1, 2, 3], [2, 3]))).toBeUndefined(); // 1 not settled yet
    expect(decide(row({ leader: 2, isr: [2, 3] }), nodes([1, 2, 3]))).toBeUndefined(); // not in sync
    expect(decide(moved, nodes([1, 2, 3]))).toEqual({
      leader: 1,
      leaderEpoch: 5,
      isr: [2, 3, 1],
      replicas: [1, 2, 3],
      targetReplicas: [],
      reason: 'preferred-leader',
    });
    // Unless the operator turned that off, or the preferred leader may not lead.
    expect(decide(moved, nodes([1, 2, 3], [1, 2, 3], { autoPreferredLeader: false }))).toBe(
      undefined,
    );
    expect(decide(moved, nodes([1, 2, 3], [1, 2, 3], { shuttingDown: [1] }))).toBeUndefined();
  });

  it("the operator's preferred-leader election skips the wait and says why it did nothing", () => {
    const moved = row({ leader: 2, isr: [2, 3, 1] });
    expect(preferredLeader(moved, nodes([1, 2, 3], [2, 3]), false)).toMatchObject({
      leader: 1,
      leaderEpoch: 5,
    });
    expect(preferredLeader(row(), nodes([1, 2, 3]), false)).toBe('not-needed');
    expect(preferredLeader(row({ leader: 2, isr: [2, 3] }), nodes([1, 2, 3]), false)).toBe(
      'not-available',
    );
    expect(preferredLeader(moved, nodes([2, 3]), false)).toBe('not-available');
  });

  it('moves the leadership of a node shutting down to an in-sync replica that may lead', () => {
    expect(decide(row(), nodes([1, 2, 3], [1, 2, 3], { shuttingDown: [1, 2] }))).toMatchObject({
      leader: 3,
      leaderEpoch: 5,
      isr: [1, 2, 3],
      reason: 'leader-moved',
    });
    // No other in-sync replica: it keeps leading rather than leave the partition without one.
    expect(decide(row({ isr: [1] }), nodes([1, 2, 3], [1, 2, 3], { shuttingDown: [1] }))).toBe(
      undefined,
    );
    // A dead leader's partition goes to one that may lead before one shutting down.
    expect(decide(row(), nodes([2, 3], [2, 3], { shuttingDown: [2] }))?.leader).toBe(3);
    expect(
      decide(row({ isr: [1, 2] }), nodes([2, 3], [2, 3], { shuttingDown: [2] })),
    ).toMatchObject({ leader: 2, reason: 'leader-elected' });
  });

  it('reassigns in steps: add the targets, wait for them to sync, move the leader, finish', () => {
    const live = nodes([1, 2, 3, 4, 5]);
    const asked = row({ replicas: [1, 2, 3], isr: [1, 2, 3], targetReplicas: [4, 5, 2] });
    expect(decide(asked, live)).toMatchObject({
      leader: 1,
      leaderEpoch: 4,
      replicas: [4, 5, 2, 1, 3],
      isr: [1, 2, 3],
      targetReplicas: [4, 5, 2],
      reason: 'reassignment-started',
    });
    const copying = row({
      replicas: [4, 5, 2, 1, 3],
      isr: [1, 2, 3, 4],
      targetReplicas: [4, 5, 2],
    });
    expect(decide(copying, live)).toBeUndefined();
    const synced = row({ ...copying, isr: [1, 2, 3, 4, 5] });
    expect(decide(synced, live)).toMatchObject({
      leader: 4,
      leaderEpoch: 5,
      replicas: [4, 5, 2, 1, 3],
      reason: 'reassignment-leader-moved',
    });
    const moved = row({ ...synced, leader: 4, leaderEpoch: 5 });
    expect(decide(moved, live)).toEqual({
      leader: 4,
      leaderEpoch: 5,
      replicas: [4, 5, 2],
      isr: [2, 4, 5],
      targetReplicas: [],
      reason: 'reassignment-done',
    });
    // Raising the replication factor: the leader stays, the replicas grow.
    const raise = row({ replicas: [1], isr: [1], targetReplicas: [1, 2, 3] });
    expect(decide(raise, live)).toMatchObject({ replicas: [1, 2, 3], isr: [1] });
    expect(
      decide(row({ replicas: [1, 2, 3], isr: [1, 2, 3], targetReplicas: [1, 2, 3] }), live),
    ).toMatchObject({ replicas: [1, 2, 3], isr: [1, 2, 3], targetReplicas: [] });
  });

  it('gives each replica on a draining node a replacement, and moves its leadership first', () => {
    const used: number[][] = [];
    const replacement = (exclude: readonly number[]) => {
      used.push([...exclude]);
      return [4, 5].find((id) => !exclude.includes(id));
    };
    const live = nodes([1, 2, 3, 4, 5], undefined, { draining: [1, 3], replacement });
    expect(decide(row(), live)).toMatchObject({ leader: 2, reason: 'leader-moved' });
    expect(decide(row({ leader: 2 }), live)).toMatchObject({
      leader: 2,
      replicas: [1, 2, 3],
      targetReplicas: [4, 2, 5],
      reason: 'drain',
    });
    expect(used).toEqual([
      [1, 2, 3],
      [1, 2, 3, 4, 2],
    ]);
    // No node can take a replica: nothing moves.
    const stuck = nodes([1, 2, 3], undefined, { draining: [3], replacement: () => undefined });
    expect(decide(row(), stuck)).toBeUndefined();
  });

  it('takes nothing from a node whose liveness is unknown, and gives it nothing', () => {
    const unknown = (alive: number[], unknownIds: number[]) => ({
      ...nodes(alive),
      unknown: new Set(unknownIds),
    });
    const same = { replicas: [1, 2, 3], targetReplicas: [] };
    // No lease seen yet for anyone (Redis just lost its keys): nothing moves.
    expect(decide(row(), unknown([], [1, 2, 3]))).toBeUndefined();
    // The leader unknown, a follower unknown: neither loses anything.
    expect(decide(row(), unknown([2], [1, 3]))).toBeUndefined();
    // The leader dead: an alive ISR member is elected, never an unknown one, and the unknown
    // member keeps its ISR place.
    expect(decide(row(), unknown([3], [2]))).toEqual({
      leader: 3,
      leaderEpoch: 5,
      isr: [2, 3],
      ...same,
      reason: 'leader-elected',
    });
    // Only unknown ISR members left: no one to elect yet, the ISR kept.
    expect(decide(row(), unknown([], [2]))).toEqual({
      leader: -1,
      leaderEpoch: 5,
      isr: [1, 2, 3],
      ...same,
      reason: 'leader-lost',
    });
    // A dead follower still leaves the ISR while another is unknown.
    expect(decide(row(), unknown([1], [2]))).toEqual({
      leader: 1,
      leaderEpoch: 4,
      isr: [1, 2],
      ...same,
      reason: 'isr-shrunk',
    });
  });
});
