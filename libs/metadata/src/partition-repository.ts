// Partition leadership and ISR. Postgres is the authority on who leads a partition in which
// epoch: every change is a compare-and-set on the row's version, so of two controllers (or a
// controller and a stale one) acting on the same view, exactly one wins.
import { assert, BrokerError } from '@tributary/common';
import { type Prisma, type PrismaClient } from './generated/prisma/client';
import { type MetadataCache } from './metadata-cache';
import { toPartitionState } from './rows';
import { type PartitionState } from './types';
import { isUuid } from './validation';

export interface PartitionChange {
  /** Node id, or -1 for no leader. */
  leader: number;
  /** Never below the current epoch. */
  leaderEpoch: number;
  replicas: readonly number[];
  /** A subset of replicas that includes the leader (when there is one). */
  isr: readonly number[];
  /** A reassignment's target replicas (empty: none under way); unchanged when left out. */
  targetReplicas?: readonly number[];
}

export type CompareAndSetResult =
  | { readonly applied: true; readonly partition: PartitionState }
  | { readonly applied: false; readonly current: PartitionState };

/** A controller's write: applied only while the cluster's controller epoch is still this one. */
export interface ControllerFence {
  controllerEpoch: number;
}

export class PartitionRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly cache: MetadataCache,
  ) {}

  async get(topicId: string, partition: number): Promise<PartitionState | undefined> {
    if (!isUuid(topicId)) return undefined;
    const row = await this.prisma.partition.findUnique({
      where: { topicId_partition: { topicId, partition } },
    });
    return row === null ? undefined : toPartitionState(row);
  }

  async listByTopic(topicId: string): Promise<PartitionState[]> {
    if (!isUuid(topicId)) return [];
    const rows = await this.prisma.partition.findMany({
      where: { topicId },
      orderBy: { partition: 'asc' },
    });
    return rows.map(toPartitionState);
  }

  async listAll(): Promise<PartitionState[]> {
    const rows = await this.prisma.partition.findMany({
      orderBy: [{ topicId: 'asc' }, { partition: 'asc' }],
    });
    return rows.map(toPartitionState);
  }

  /**
   * Applies the change if the row is still at expectedVersion (the version becomes
   * expectedVersion + 1). Otherwise applies nothing and returns the current state, which
   * also refreshes the cache.
   */
  compareAndSet(
    topicId: string,
    partition: number,
    expectedVersion: number,
    change: PartitionChange,
  ): Promise<CompareAndSetResult>;
  /** The controller's: also 'fenced' (nothing written) once another controller's epoch began. */
  compareAndSet(
    topicId: string,
    partition: number,
    expectedVersion: number,
    change: PartitionChange,
    fence: ControllerFence,
  ): Promise<CompareAndSetResult | 'fenced'>;
  async compareAndSet(
    topicId: string,
    partition: number,
    expectedVersion: number,
    change: PartitionChange,
    fence?: ControllerFence,
  ): Promise<CompareAndSetResult | 'fenced'> {
    checkChange(change);
    if (!isUuid(topicId)) throw unknownPartition(topicId, partition);
    const written =
      fence === undefined
        ? await this.write(this.prisma, topicId, partition, expectedVersion, change)
        : await this.prisma.$transaction(async (tx) => {
            // A no-op update of the cluster row: it checks the epoch and holds the row until
            // commit, so a new controller's epoch bump waits for this write or fences it.
            const { count } = await tx.cluster.updateMany({
              where: { id: 1, controllerEpoch: fence.controllerEpoch },
              data: { controllerEpoch: fence.controllerEpoch },
            });
            if (count === 0) return 'fenced' as const;
            return this.write(tx, topicId, partition, expectedVersion, change);
          });
    if (written === 'fenced') return written;
    if (written !== undefined) {
      const state = toPartitionState(written);
      this.cache.putPartition(state);
      return { applied: true, partition: state };
    }
    const current = await this.get(topicId, partition);
    if (current === undefined) throw unknownPartition(topicId, partition);
    assert(
      current.version !== expectedVersion,
      () =>
        `leader epoch of ${topicId}/${partition} would go back ` +
        `from ${current.leaderEpoch} to ${change.leaderEpoch}`,
    );
    this.cache.putPartition(current);
    return { applied: false, current };
  }

  private async write(
    client: Prisma.TransactionClient,
    topicId: string,
    partition: number,
    expectedVersion: number,
    change: PartitionChange,
  ) {
    const [written] = await client.partition.updateManyAndReturn({
      where: {
        topicId,
        partition,
        version: expectedVersion,
        // Epochs never go back; a change that would is refused here and asserted below.
        leaderEpoch: { lte: change.leaderEpoch },
      },
      data: {
        leader: change.leader,
        leaderEpoch: change.leaderEpoch,
        replicas: [...change.replicas],
        isr: [...change.isr],
        ...(change.targetReplicas === undefined
          ? {}
          : { targetReplicas: [...change.targetReplicas] }),
        version: expectedVersion + 1,
      },
    });
    return written;
  }
}

function checkChange(change: PartitionChange): void {
  assert(Number.isInteger(change.leaderEpoch) && change.leaderEpoch >= 0, 'leader epoch < 0');
  assert(change.replicas.length > 0, 'a partition needs at least one replica');
  assert(new Set(change.replicas).size === change.replicas.length, 'replicas repeat a node');
  assert(new Set(change.isr).size === change.isr.length, 'isr repeats a node');
  assert(
    change.isr.every((id) => change.replicas.includes(id)),
    () => `isr [${change.isr.join(',')}] is not within replicas [${change.replicas.join(',')}]`,
  );
  const target = change.targetReplicas ?? [];
  assert(new Set(target).size === target.length, 'target replicas repeat a node');
  assert(
    change.leader === -1 || change.isr.includes(change.leader),
    () => `leader ${change.leader} is not in the isr [${change.isr.join(',')}]`,
  );
}

function unknownPartition(topicId: string, partition: number): BrokerError {
  return new BrokerError(
    'UNKNOWN_TOPIC_OR_PARTITION',
    `partition ${partition} of topic ${topicId} does not exist`,
  );
}
