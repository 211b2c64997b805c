// What the controller does to one partition, given which nodes are alive: a pure function, so
// every rule is unit-tested without a database or a network. The controller writes the answer
// as a compare-and-set on the partition's row, fenced by its controller epoch.
//
// - A partition whose leader is dead (or that has none) gets the first of its replicas that is
//   in the ISR and alive, in the next leader epoch. Never a replica outside the ISR: with none
//   alive, it stays without a leader (the ISR kept as it was, so that one of those nodes can
//   lead again when it returns) rather than lose what only the ISR had.
// - Dead members leave the ISR at once (the leader would drop them only after the replica
//   lag), so acks=all stops waiting for them, except the last one standing.
// - The preferred leader (the first replica) takes the leadership back once it is alive, in
//   the ISR, and has been alive for a while (no flapping with a node that keeps restarting).
// - A node whose liveness is unknown (no lease yet, just after Redis lost its keys or a new
//   controller started looking) is not dead: it keeps its leaderships and its ISR places, but
//   is not elected either.
import { type PartitionState } from '@tributary/metadata';

export interface PartitionDecision {
  leader: number;
  leaderEpoch: number;
  isr: number[];
  reason: 'leader-lost' | 'leader-elected' | 'isr-shrunk' | 'preferred-leader';
}

export interface LiveNodes {
  /** Nodes whose broker session is alive. */
  alive: ReadonlySet<number>;
  /** Nodes alive long enough to be given a preferred leadership back. */
  settled: ReadonlySet<number>;
  /** Nodes neither alive nor known dead: nothing is taken from them, nothing given. */
  unknown?: ReadonlySet<number>;
}

export function decide(row: PartitionState, nodes: LiveNodes): PartitionDecision | undefined {
  const { alive } = nodes;
  const dead = (id: number) => !alive.has(id) && nodes.unknown?.has(id) !== true;
  const liveIsr = row.isr.filter((id) => !dead(id));
  if (row.leader < 0 || dead(row.leader)) {
    const candidate = row.replicas.find((id) => liveIsr.includes(id) && alive.has(id));
    if (candidate !== undefined) {
      return {
        leader: candidate,
        leaderEpoch: row.leaderEpoch + 1,
        isr: liveIsr,
        reason: 'leader-elected',
      };
    }
    if (row.leader < 0) return undefined; // still no one to elect
    return {
      leader: -1,
      leaderEpoch: row.leaderEpoch + 1,
      isr: [...row.isr],
      reason: 'leader-lost',
    };
  }
  if (liveIsr.length < row.isr.length) {
    return { leader: row.leader, leaderEpoch: row.leaderEpoch, isr: liveIsr, reason: 'isr-shrunk' };
  }
  const preferred = row.replicas[0];
  if (
    preferred !== undefined &&
    preferred !== row.leader &&
    nodes.settled.has(preferred) &&
    row.isr.includes(preferred)
  ) {
    return {
      leader: preferred,
      leaderEpoch: row.leaderEpoch + 1,
      isr: [...row.isr],
      reason: 'preferred-leader',
    };
  }
  return undefined;
}
