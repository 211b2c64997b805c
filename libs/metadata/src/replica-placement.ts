// Where a topic's partition replicas go (Kafka's rack-unaware assignment): partition p's first
// replica, its preferred leader, on node (start + p) of the sorted nodes, so leaders go round
// the nodes; its other replicas on the nodes after it, at a distance that shifts by one each
// time the partitions have gone round all nodes, so no two nodes share all their partitions.
// `start` is the node to begin with: the caller picks the one leading least, so leaders stay
// balanced across topics.
import { assert, BrokerError } from '@tributary/common';

export interface PlacementInput {
  /** The nodes to place on (alive ones), any order. */
  nodes: readonly number[];
  /** Partitions [from, to) get replicas. */
  from: number;
  to: number;
  replicationFactor: number;
  /** The node that leads partition `from`, if it is among `nodes`. */
  startNode?: number;
}

/** The replica list of each partition from `from` to `to`; the first replica leads. */
export function placeReplicas(input: PlacementInput): number[][] {
  const nodes = [...new Set(input.nodes)].sort((a, b) => a - b);
  const n = nodes.length;
  const rf = input.replicationFactor;
  if (rf < 1 || rf > n) {
    throw new BrokerError(
      'INVALID_REPLICATION_FACTOR',
      `replication factor ${rf} is not between 1 and the ${n} node(s) alive`,
    );
  }
  const start = Math.max(0, input.startNode === undefined ? 0 : nodes.indexOf(input.startNode));
  const placed: number[][] = [];
  for (let p = input.from; p < input.to; p++) {
    const first = (start + p) % n;
    const shift = Math.floor(p / n);
    const replicas = [nodes[first]!];
    for (let j = 0; j < rf - 1; j++) {
      replicas.push(nodes[(first + 1 + ((shift + j) % (n - 1))) % n]!);
    }
    assert(new Set(replicas).size === rf, () => `placement repeated a node: ${replicas.join(',')}`);
    placed.push(replicas);
  }
  return placed;
}
