import { type PartitionState } from '@tributary/metadata';
import { decide } from './controller-decisions';

const row = (over: Partial<PartitionState> = {}): PartitionState => ({
  topicId: 't',
  partition: 0,
  leader: 1,
  leaderEpoch: 4,
  replicas: [1, 2, 3],
  isr: [1, 2, 3],
  version: 9,
  ...over,
});
const nodes = (alive: number[], settled = alive) => ({
  alive: new Set(alive),
  settled: new Set(settled),
});

describe('controller decisions', () => {
  it('leaves a healthy partition alone', () => {
    expect(decide(row(), nodes([1, 2, 3]))).toBeUndefined();
  });

  it('elects the first live ISR member when the leader dies, in the next epoch, without the dead', () => {
    expect(decide(row(), nodes([2, 3]))).toEqual({
      leader: 2,
      leaderEpoch: 5,
      isr: [2, 3],
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
      reason: 'preferred-leader',
    });
  });

  it('takes nothing from a node whose liveness is unknown, and gives it nothing', () => {
    const unknown = (alive: number[], unknownIds: number[]) => ({
      ...nodes(alive),
      unknown: new Set(unknownIds),
    });
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
      reason: 'leader-elected',
    });
    // Only unknown ISR members left: no one to elect yet, the ISR kept.
    expect(decide(row(), unknown([], [2]))).toEqual({
      leader: -1,
      leaderEpoch: 5,
      isr: [1, 2, 3],
      reason: 'leader-lost',
    });
    // A dead follower still leaves the ISR while another is unknown.
    expect(decide(row(), unknown([1], [2]))).toEqual({
      leader: 1,
      leaderEpoch: 4,
      isr: [1, 2],
      reason: 'isr-shrunk',
    });
  });
});
