// What the controller does to one partition, given which nodes are alive and what each is
// doing: a pure function, so every rule is unit-tested without a database or a network. The
// controller writes the answer as a compare-and-set on the partition's row, fenced by its
// controller epoch; one change per partition per round, the next round sees the result.
//
// - A partition whose leader is dead (or that has none) gets the first of its replicas that is
//   in the ISR and alive (one that may lead, before one shutting down or draining), in the next
//   leader epoch. Never a replica outside the ISR: with none alive, it stays without a leader
//   (the ISR kept as it was, so that one of those nodes can lead again when it returns) rather
//   than lose what only the ISR had.
// - Dead members leave the ISR at once (the leader would drop them only after the replica
//   lag), so acks=all stops waiting for them, except the last one standing.
// - A leader shutting down or draining hands its leadership to an in-sync replica that may
//   lead (controlled shutdown); with none, it keeps it.
// - A reassignment (target replicas set) first adds the target replicas, which copy the log as
//   followers; once all of them are in the ISR the leadership moves into the target (if it is
//   not there already), then the replicas become the target and the others are dropped.
// - A replica on a draining node is reassigned to another node that may take it.
// - The preferred leader (the first replica) takes the leadership back once it is alive, may
//   lead, is in the ISR, and has been alive for a while (no flapping with a node that keeps
//   restarting); the operator's election skips the wait.
// - A node whose liveness is unknown (no lease yet, just after Redis lost its keys or a new
//   controller started looking) is not dead: it keeps its leaderships and its ISR places, but
//   is not elected either.
import { type PartitionState } from '@tributary/metadata';

export type DecisionReason =
  | 'leader-lost'
  | 'leader-elected'
  | 'isr-shrunk'
  | 'leader-moved'
  | 'reassignment-started'
  | 'reassignment-leader-moved'
  | 'reassignment-done'
  | 'drain'
  | 'preferred-leader';

export interface PartitionDecision {
  leader: number;
  leaderEpoch: number;
  isr: number[];
  replicas: number[];
  targetReplicas: number[];
  reason: DecisionReason;
}

export interface LiveNodes {
  /** Nodes whose broker session is alive. */
  alive: ReadonlySet<number>;
  /** Nodes alive long enough to be given a preferred leadership back. */
  settled: ReadonlySet<number>;
  /** Nodes neither alive nor known dead: nothing is taken from them, nothing given. */
  unknown?: ReadonlySet<number>;
  /** Alive nodes that may lead: neither shutting down nor draining. */
  eligible: ReadonlySet<number>;
  /** Nodes every replica moves away from. */
  draining: ReadonlySet<number>;
  /** A node to take a draining node's replica, not one of `exclude`; undefined when none can. */
  replacement?: (exclude: readonly number[]) => number | undefined;
  /** Whether preferred leaders take their leadership back by themselves (default true). */
  autoPreferredLeader?: boolean;
}

export function decide(row: PartitionState, nodes: LiveNodes): PartitionDecision | undefined {
  const { alive, eligible } = nodes;
  const same = {
    leader: row.leader,
    leaderEpoch: row.leaderEpoch,
    isr: [...row.isr],
    replicas: [...row.replicas],
    targetReplicas: [...row.targetReplicas],
  };
  const dead = (id: number) => !alive.has(id) && nodes.unknown?.has(id) !== true;
  const liveIsr = row.isr.filter((id) => !dead(id));
  const newLeader = (leader: number, reason: DecisionReason): PartitionDecision => ({
    ...same,
    leader,
    leaderEpoch: row.leaderEpoch + 1,
    reason,
  });

  if (row.leader < 0 || dead(row.leader)) {
    const candidate =
      row.replicas.find((id) => liveIsr.includes(id) && eligible.has(id)) ??
      row.replicas.find((id) => liveIsr.includes(id) && alive.has(id));
    if (candidate !== undefined) return { ...newLeader(candidate, 'leader-elected'), isr: liveIsr };
    if (row.leader < 0) return undefined; // still no one to elect
    return newLeader(-1, 'leader-lost');
  }
  if (liveIsr.length < row.isr.length) return { ...same, isr: liveIsr, reason: 'isr-shrunk' };
  if (alive.has(row.leader) && !eligible.has(row.leader)) {
    const candidate = row.replicas.find((id) => row.isr.includes(id) && eligible.has(id));
    if (candidate !== undefined) return newLeader(candidate, 'leader-moved');
  }
  if (row.targetReplicas.length > 0) return reassign(row, nodes, same, newLeader);
  if (row.replicas.some((id) => nodes.draining.has(id))) {
    const target = drainTarget(row.replicas, nodes);
    if (target !== undefined) return { ...same, targetReplicas: target, reason: 'drain' };
  }
  if (nodes.autoPreferredLeader === false) return undefined;
  const preferred = preferredLeader(row, nodes, true);
  return typeof preferred === 'string' ? undefined : preferred;
}

/** The step a reassignment is at: add the targets, move the leader into them, or finish. */
function reassign(
  row: PartitionState,
  nodes: LiveNodes,
  same: Omit<PartitionDecision, 'reason'>,
  newLeader: (leader: number, reason: DecisionReason) => PartitionDecision,
): PartitionDecision | undefined {
  const target = row.targetReplicas;
  if (target.some((id) => !row.replicas.includes(id))) {
    // The target first, so that its first replica is the preferred leader from now on.
    const replicas = [...target, ...row.replicas.filter((id) => !target.includes(id))];
    return { ...same, replicas, reason: 'reassignment-started' };
  }
  if (!target.every((id) => row.isr.includes(id))) return undefined; // still copying
  if (!target.includes(row.leader)) {
    const candidate =
      target.find((id) => nodes.eligible.has(id)) ?? target.find((id) => nodes.alive.has(id));
    return candidate === undefined ? undefined : newLeader(candidate, 'reassignment-leader-moved');
  }
  return {
    ...same,
    replicas: [...target],
    isr: row.isr.filter((id) => target.includes(id)),
    targetReplicas: [],
    reason: 'reassignment-done',
  };
}

/** The replicas with each draining node replaced, or undefined when one has no replacement. */
function drainTarget(replicas: readonly number[], nodes: LiveNodes): number[] | undefined {
  const target: number[] = [];
  for (const id of replicas) {
    if (!nodes.draining.has(id)) {
      target.push(id);
      continue;
    }
    const replacement = nodes.replacement?.([...replicas, ...target]);
    if (replacement === undefined) return undefined;
    target.push(replacement);
  }
  return target;
}

/**
 * The preferred leader's election: a decision, or why there is none (`not-needed`: it leads
 * already; `not-available`: it is dead, may not lead, or is out of the ISR). `settledOnly`
 * waits until it has been alive for a while (the controller's own rule).
 */
export function preferredLeader(
  row: PartitionState,
  nodes: LiveNodes,
  settledOnly: boolean,
): PartitionDecision | 'not-needed' | 'not-available' {
  const preferred = row.replicas[0];
  if (preferred === undefined || preferred === row.leader) return 'not-needed';
  if (
    !nodes.eligible.has(preferred) ||
    (settledOnly && !nodes.settled.has(preferred)) ||
    !row.isr.includes(preferred)
  ) {
    return 'not-available';
  }
  return {
    leader: preferred,
    leaderEpoch: row.leaderEpoch + 1,
    isr: [...row.isr],
    replicas: [...row.replicas],
    targetReplicas: [...row.targetReplicas],
    reason: 'preferred-leader',
  };
}
