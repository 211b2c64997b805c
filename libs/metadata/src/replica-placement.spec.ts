import { placeReplicas } from './replica-placement';

describe('placeReplicas', () => {
  it('spreads replicas over distinct nodes with leaders going round', () => {
    const placed = placeReplicas({ nodes: [3, 1, 2], from: 0, to: 6, replicationFactor: 3 });
    expect(placed.map((r) => r[0])).toEqual([1, 2, 3, 1, 2, 3]);
    for (const replicas of placed) expect(new Set(replicas).size).toBe(3);
  });

  it('balances followers: each node holds the same number of replicas', () => {
    const placed = placeReplicas({ nodes: [1, 2, 3, 4], from: 0, to: 12, replicationFactor: 2 });
    const counts = new Map<number, number>();
    for (const replica of placed.flat()) counts.set(replica, (counts.get(replica) ?? 0) + 1);
    expect([...counts.values()]).toEqual([6, 6, 6, 6]);
    // Second replicas shift once the partitions have gone round: not always the next node.
    expect(new Set(placed.map((r) => (r[1]! - r[0]! + 4) % 4)).size).toBeGreaterThan(1);
  });

  it('starts where asked and continues added partitions where the topic left off', () => {
    expect(
      placeReplicas({ nodes: [1, 2, 3], from: 0, to: 2, replicationFactor: 1, startNode: 3 }),
    ).toEqual([[3], [1]]);
    expect(placeReplicas({ nodes: [1, 2, 3], from: 2, to: 4, replicationFactor: 1 })).toEqual([
      [3],
      [1],
    ]);
  });

  it('refuses a replication factor above the nodes alive', () => {
    expect(() => placeReplicas({ nodes: [1, 2], from: 0, to: 1, replicationFactor: 3 })).toThrow(
      expect.objectContaining({ code: 'INVALID_REPLICATION_FACTOR' }),
    );
  });
});
