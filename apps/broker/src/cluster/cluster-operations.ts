// The operator's cluster operations. Each is a write to Postgres that the controller then
// carries out (a reassignment's steps, a drain's reassignments), or, for a preferred-leader
// election, the write itself: a compare-and-set on the partition's row against the version it
// was decided from, like every other partition write, so a concurrent change wins or loses
// whole. Each write is announced on the `brokers` channel (the controller looks again at once)
// and on `metadata` (every node reloads).
import { BrokerError } from '@tributary/common';
import { type Coordinator } from '@tributary/coordination';
import { type MetadataStore, type PartitionState } from '@tributary/metadata';
import {
  type ClusterOperations,
  type ClusterView,
  type ElectionResult,
} from '../../../gateway/src/index';
import { type LiveNodes, preferredLeader } from './controller-decisions';

export interface ClusterOperationsOptions {
  metadata: MetadataStore;
  coordinator: Coordinator;
  view: ClusterView & { refresh(): Promise<void> };
}

/** A compare-and-set that lost to a concurrent change is decided again, this many times. */
const ATTEMPTS = 5;

export class NodeClusterOperations implements ClusterOperations {
  constructor(private readonly options: ClusterOperationsOptions) {}

  private liveNodes(): LiveNodes {
    const nodes = this.options.view.nodes();
    const alive = nodes.filter((n) => n.alive).map((n) => n.id);
    return {
      alive: new Set(alive),
      settled: new Set(alive),
      eligible: new Set(nodes.filter((n) => n.alive && n.state === 'active').map((n) => n.id)),
      draining: new Set(nodes.filter((n) => n.state === 'draining').map((n) => n.id)),
    };
  }

  private async announce(): Promise<void> {
    const { coordinator } = this.options;
    await coordinator.notifyCluster('brokers').catch(() => undefined);
    await coordinator.notifyCluster('metadata').catch(() => undefined);
  }

  private async current(topicId: string, partition: number): Promise<PartitionState> {
    const row = await this.options.metadata.partitions.get(topicId, partition);
    if (row === undefined) {
      throw new BrokerError('UNKNOWN_TOPIC_OR_PARTITION', `partition ${partition} does not exist`);
    }
    return row;
  }

  async electPreferredLeaders(
    partitions: readonly { topicId: string; partition: number }[],
  ): Promise<{ state: PartitionState; result: ElectionResult }[]> {
    const nodes = this.liveNodes();
    const results: { state: PartitionState; result: ElectionResult }[] = [];
    for (const { topicId, partition } of partitions) {
      const { state, result } = await this.retry(topicId, partition, (row) => {
        const decision = preferredLeader(row, nodes, false);
        if (typeof decision === 'string') return decision;
        const { reason: _reason, ...change } = decision;
        return change;
      });
      results.push({ state, result: result === 'changed' ? 'elected' : result });
    }
    if (results.some((r) => r.result === 'elected')) await this.announce();
    return results;
  }

  /**
   * Decides a change from the partition's current row and writes it if the row is still the
   * one decided from; otherwise decides again. A string is a decision to change nothing.
   */
  private async retry<R extends string>(
    topicId: string,
    partition: number,
    decide: (row: PartitionState) =>
      | R
      | {
          leader: number;
          leaderEpoch: number;
          replicas: number[];
          isr: number[];
          targetReplicas: number[];
        },
  ): Promise<{ state: PartitionState; result: R | 'changed' }> {
    const { metadata } = this.options;
    for (let attempt = 1; ; attempt++) {
      const row = await this.current(topicId, partition);
      const change = decide(row);
      if (typeof change === 'string') return { state: row, result: change };
      const written = await metadata.partitions.compareAndSet(
        topicId,
        partition,
        row.version,
        change,
      );
      if (written.applied) return { state: written.partition, result: 'changed' };
      if (attempt >= ATTEMPTS) {
        throw new BrokerError(
          'UNAVAILABLE',
          `partition ${partition} kept changing while this operation ran; retry`,
        );
      }
    }
  }

  async reassign(
    topicId: string,
    partition: number,
    replicas: readonly number[],
  ): Promise<PartitionState> {
    const nodes = this.options.view.nodes();
    const invalid = (why: string) =>
      new BrokerError('INVALID_REPLICA_ASSIGNMENT', `partition ${partition}: ${why}`);
    if (replicas.length === 0) throw invalid('replicas must name at least one node');
    if (new Set(replicas).size !== replicas.length) throw invalid('replicas repeat a node');
    for (const id of replicas) {
      const node = nodes.find((n) => n.id === id);
      if (node === undefined) throw invalid(`node ${id} is not a node of this cluster`);
      if (node.state === 'draining') throw invalid(`node ${id} is draining`);
    }
    const { state } = await this.retry(topicId, partition, (row) => {
      const same =
        row.targetReplicas.length === 0 &&
        row.replicas.length === replicas.length &&
        row.replicas.every((id, i) => id === replicas[i]);
      if (same) return 'not-needed';
      const { leader, leaderEpoch, isr } = row;
      return {
        leader,
        leaderEpoch,
        isr: [...isr],
        replicas: [...row.replicas],
        targetReplicas: [...replicas],
      };
    });
    await this.announce();
    return state;
  }

  async setDraining(nodeId: number, draining: boolean): Promise<void> {
    const { metadata, view } = this.options;
    const found = await metadata.cluster.setBrokerState(nodeId, draining ? 'draining' : 'active');
    if (!found) throw new BrokerError('UNKNOWN_NODE', `node ${nodeId} is not registered`);
    await this.announce();
    await view.refresh();
  }

  async removeNode(nodeId: number): Promise<void> {
    const { metadata, view } = this.options;
    await view.refresh();
    const node = view.nodes().find((n) => n.id === nodeId);
    if (node === undefined)
      throw new BrokerError('UNKNOWN_NODE', `node ${nodeId} is not registered`);
    if (node.alive) {
      throw new BrokerError('NODE_IN_USE', `node ${nodeId} is alive; stop it before removing it`);
    }
    const holding = (await metadata.partitions.listAll()).filter(
      (row) => row.replicas.includes(nodeId) || row.targetReplicas.includes(nodeId),
    );
    if (holding.length > 0) {
      throw new BrokerError(
        'NODE_IN_USE',
        `node ${nodeId} still holds ${holding.length} partition replica(s); drain it first`,
      );
    }
    if (!(await metadata.cluster.removeBroker(nodeId))) {
      throw new BrokerError('UNKNOWN_NODE', `node ${nodeId} is not registered`);
    }
    await this.announce();
    await view.refresh();
  }
}
