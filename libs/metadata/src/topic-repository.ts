// Topics and the partition rows that go with them. Every change that touches both (create,
// add partitions) is one transaction; changes to an existing topic first lock its row (an
// UPDATE of updated_at) so concurrent admin calls on the same topic apply one after another.
import { assert, BrokerError, type Clock, systemClock } from '@tributary/common';
import { type Prisma, type PrismaClient } from './generated/prisma/client';
import { type MetadataCache } from './metadata-cache';
import { METADATA_LIMITS } from './metadata-limits';
import { isForeignKeyViolation, isUniqueViolation } from './prisma-errors';
import { toPartitionState, toTopic } from './rows';
import { unknownTenant } from './tenant-repository';
import { type Topic, type TopicConfigs, type TopicWithPartitions } from './types';
import { checkTopicConfigs, checkTopicName, isUuid } from './validation';

export interface CreateTopicInput {
  tenantId: string;
  name: string;
  partitionCount: number;
  replicationFactor: number;
  /** Only the configs set explicitly. */
  configs?: TopicConfigs;
  /** Each partition's replicas, the preferred leader first (see placeReplicas). */
  replicas: readonly (readonly number[])[];
}

export interface AddPartitionsInput {
  tenantId: string;
  name: string;
  /** The new total; partitions only grow. */
  partitionCount: number;
  /**
   * The replicas of each new partition, the preferred leader first, for partitions [from, to)
   * (the topic's count as the transaction found it, and the new total).
   */
  place: (from: number, to: number) => readonly (readonly number[])[];
}

/** Config name -> new value, or null to remove the explicit setting. */
export type TopicConfigChanges = Readonly<Record<string, string | null>>;

const TRANSACTION = { timeout: 30_000, maxWait: 10_000 };

export class TopicRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly cache: MetadataCache,
    private readonly clock: Clock = systemClock,
  ) {}

  async create(input: CreateTopicInput): Promise<TopicWithPartitions> {
    checkTopicName(input.name);
    checkPartitionCount(input.partitionCount);
    checkReplicationFactor(input.replicationFactor);
    checkReplicas(input.replicas, input.partitionCount, input.replicationFactor);
    const configs = checkTopicConfigs(input.configs ?? {});
    if (!isUuid(input.tenantId)) throw unknownTenant(input.tenantId);
    const now = new Date(this.clock.nowMs());
    try {
      const created = await this.prisma.$transaction(async (tx) => {
        const row = await tx.topic.create({
          data: {
            tenantId: input.tenantId,
            name: input.name,
            partitionCount: input.partitionCount,
            replicationFactor: input.replicationFactor,
            configs,
            createdAt: now,
            updatedAt: now,
          },
        });
        await createPartitions(tx, row.id, 0, input.replicas);
        return readTopic(tx, row.id);
      }, TRANSACTION);
      this.write(created);
      return created;
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new BrokerError('TOPIC_ALREADY_EXISTS', `topic ${input.name} already exists`, {
          cause: error,
        });
      }
      if (isForeignKeyViolation(error)) throw unknownTenant(input.tenantId);
      throw error;
    }
  }

  async addPartitions(input: AddPartitionsInput): Promise<TopicWithPartitions> {
    checkPartitionCount(input.partitionCount);
    const updated = await this.prisma.$transaction(async (tx) => {
      const current = await this.lockTopic(tx, input.tenantId, input.name);
      if (input.partitionCount <= current.partitionCount) {
        throw new BrokerError(
          'INVALID_PARTITIONS',
          `topic ${input.name} has ${current.partitionCount} partitions; ` +
            `partitions can only be added (asked for ${input.partitionCount})`,
        );
      }
      const replicas = input.place(current.partitionCount, input.partitionCount);
      checkReplicas(
        replicas,
        input.partitionCount - current.partitionCount,
        current.replicationFactor,
      );
      await createPartitions(tx, current.id, current.partitionCount, replicas);
      await tx.topic.update({
        where: { id: current.id },
        data: { partitionCount: input.partitionCount },
      });
      return readTopic(tx, current.id);
    }, TRANSACTION);
    this.write(updated);
    return updated;
  }

  /** Sets and removes explicit configs; the others stay as they are. */
  async updateConfigs(tenantId: string, name: string, changes: TopicConfigChanges): Promise<Topic> {
    const set = checkTopicConfigs(
      Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== null)),
    );
    const updated = await this.prisma.$transaction(async (tx) => {
      const current = await this.lockTopic(tx, tenantId, name);
      const configs: Record<string, string> = { ...current.configs, ...set };
      for (const [key, value] of Object.entries(changes)) {
        if (value === null) delete configs[key];
      }
      checkTopicConfigs(configs);
      return toTopic(await tx.topic.update({ where: { id: current.id }, data: { configs } }));
    }, TRANSACTION);
    this.cache.putTopic(updated);
    return updated;
  }

  /** Deletes the topic with its partitions and committed offsets. */
  async delete(tenantId: string, name: string): Promise<Topic> {
    const deleted = await this.prisma.$transaction(async (tx) => {
      const current = await this.lockTopic(tx, tenantId, name);
      await tx.topic.delete({ where: { id: current.id } });
      return current;
    }, TRANSACTION);
    this.cache.removeTopic(deleted.id);
    return deleted;
  }

  async get(id: string): Promise<TopicWithPartitions | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await this.prisma.topic.findUnique({ where: { id } });
    return row === null ? undefined : readTopic(this.prisma, row.id);
  }

  async getByName(tenantId: string, name: string): Promise<TopicWithPartitions | undefined> {
    if (!isUuid(tenantId)) return undefined;
    const row = await this.prisma.topic.findUnique({
      where: { tenantId_name: { tenantId, name } },
    });
    return row === null ? undefined : readTopic(this.prisma, row.id);
  }

  async listByTenant(tenantId: string): Promise<Topic[]> {
    if (!isUuid(tenantId)) return [];
    const rows = await this.prisma.topic.findMany({
      where: { tenantId },
      orderBy: { name: 'asc' },
    });
    return rows.map(toTopic);
  }

  async listAll(): Promise<Topic[]> {
    const rows = await this.prisma.topic.findMany({
      orderBy: [{ tenantId: 'asc' }, { name: 'asc' }],
    });
    return rows.map(toTopic);
  }

  /** Locks the topic's row for the rest of the transaction and returns it. */
  private async lockTopic(
    tx: Prisma.TransactionClient,
    tenantId: string,
    name: string,
  ): Promise<Topic> {
    const [row] = isUuid(tenantId)
      ? await tx.topic.updateManyAndReturn({
          where: { tenantId, name },
          data: { updatedAt: new Date(this.clock.nowMs()) },
        })
      : [];
    if (row === undefined) {
      throw new BrokerError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${name} does not exist`);
    }
    return toTopic(row);
  }

  private write(written: TopicWithPartitions): void {
    this.cache.putTopic(written.topic);
    written.partitions.forEach((partition) => this.cache.putPartition(partition));
  }
}

/** New partitions from `from` on, led by their first replica, every replica in sync. */
async function createPartitions(
  tx: Prisma.TransactionClient,
  topicId: string,
  from: number,
  replicas: readonly (readonly number[])[],
): Promise<void> {
  const rows = replicas.map((nodes, i) => ({
    topicId,
    partition: from + i,
    leader: nodes[0]!,
    leaderEpoch: 0,
    replicas: [...nodes],
    isr: [...nodes],
  }));
  const { count } = await tx.partition.createMany({ data: rows });
  assert(count === replicas.length, () => `created ${count} of ${replicas.length} partitions`);
}

async function readTopic(
  tx: Prisma.TransactionClient | PrismaClient,
  topicId: string,
): Promise<TopicWithPartitions> {
  const row = await tx.topic.findUniqueOrThrow({ where: { id: topicId } });
  const partitions = await tx.partition.findMany({
    where: { topicId },
    orderBy: { partition: 'asc' },
  });
  const topic = toTopic(row);
  assert(
    partitions.length === topic.partitionCount && partitions.every((p, i) => p.partition === i),
    () => `topic ${topic.id}: ${partitions.length} partition rows for ${topic.partitionCount}`,
  );
  return Object.freeze({ topic, partitions: Object.freeze(partitions.map(toPartitionState)) });
}

function checkPartitionCount(count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > METADATA_LIMITS.partitionsPerTopicMax) {
    throw new BrokerError(
      'INVALID_PARTITIONS',
      `partitions must be an integer from 1 to ${METADATA_LIMITS.partitionsPerTopicMax}`,
    );
  }
}

function checkReplicationFactor(factor: number): void {
  if (!Number.isInteger(factor) || factor < 1 || factor > METADATA_LIMITS.replicationFactorMax) {
    throw new BrokerError(
      'INVALID_REQUEST',
      `replication factor must be an integer from 1 to ${METADATA_LIMITS.replicationFactorMax}`,
    );
  }
}

/** One replica list per partition, each of `factor` distinct node ids. */
function checkReplicas(
  replicas: readonly (readonly number[])[],
  partitions: number,
  factor: number,
): void {
  assert(
    replicas.length === partitions,
    () => `${replicas.length} replica lists for ${partitions}`,
  );
  for (const nodes of replicas) {
    assert(
      nodes.length === factor &&
        new Set(nodes).size === factor &&
        nodes.every((id) => Number.isInteger(id) && id >= 0),
      () => `bad replica list [${nodes.join(',')}] for factor ${factor}`,
    );
  }
}
