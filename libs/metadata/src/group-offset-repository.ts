// Committed consumer-group offsets. A commit is all-or-nothing: every offset in it names a
// partition of one of the tenant's topics, or none is stored.
import { assert, BrokerError, type Clock, systemClock } from '@tributary/common';
import { type PrismaClient } from './generated/prisma/client';
import { METADATA_LIMITS } from './metadata-limits';
import { isForeignKeyViolation } from './prisma-errors';
import { toGroupOffset } from './rows';
import { type GroupOffset } from './types';
import { checkGroupId, isUuid } from './validation';

export interface OffsetCommit {
  topicId: string;
  partition: number;
  /** The next offset to consume (Kafka's convention). */
  offset: number;
  metadata?: string | null;
}

const TRANSACTION = { timeout: 60_000, maxWait: 10_000 };

export class GroupOffsetRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly clock: Clock = systemClock,
  ) {}

  async commit(tenantId: string, groupId: string, offsets: readonly OffsetCommit[]): Promise<void> {
    checkGroupId(groupId);
    if (offsets.length === 0) return;
    if (offsets.length > METADATA_LIMITS.offsetsPerCommitMax) {
      throw new BrokerError(
        'INVALID_REQUEST',
        `at most ${METADATA_LIMITS.offsetsPerCommitMax} offsets per commit`,
      );
    }
    offsets.forEach(checkCommit);
    const now = new Date(this.clock.nowMs());
    try {
      await this.prisma.$transaction(async (tx) => {
        const topicIds = [...new Set(offsets.map((o) => o.topicId))];
        const topics = await tx.topic.findMany({
          where: { tenantId, id: { in: topicIds.filter(isUuid) } },
          select: { id: true, partitionCount: true },
        });
        const partitionCounts = new Map(topics.map((t) => [t.id, t.partitionCount]));
        for (const o of offsets) {
          const count = partitionCounts.get(o.topicId);
          if (count === undefined || o.partition >= count) throw unknownPartition(o);
        }
        for (const o of offsets) {
          const values = { offset: BigInt(o.offset), metadata: o.metadata ?? null, updatedAt: now };
          await tx.groupOffset.upsert({
            where: {
              tenantId_groupId_topicId_partition: {
                tenantId,
                groupId,
                topicId: o.topicId,
                partition: o.partition,
              },
            },
            create: { tenantId, groupId, topicId: o.topicId, partition: o.partition, ...values },
            update: values,
          });
        }
      }, TRANSACTION);
    } catch (error) {
      // The topic was deleted between the check and the write.
      if (isForeignKeyViolation(error)) {
        throw new BrokerError('UNKNOWN_TOPIC_OR_PARTITION', 'a committed topic was deleted', {
          cause: error,
        });
      }
      throw error;
    }
  }

  /** The group's committed offsets, optionally of one topic, by topic and partition. */
  async fetch(tenantId: string, groupId: string, topicId?: string): Promise<GroupOffset[]> {
    if (!isUuid(tenantId) || (topicId !== undefined && !isUuid(topicId))) return [];
    const rows = await this.prisma.groupOffset.findMany({
      where: { tenantId, groupId, ...(topicId === undefined ? {} : { topicId }) },
      orderBy: [{ topicId: 'asc' }, { partition: 'asc' }],
    });
    return rows.map(toGroupOffset);
  }

  /** Ids of the tenant's groups that have committed offsets, sorted. */
  async listGroups(tenantId: string): Promise<string[]> {
    if (!isUuid(tenantId)) return [];
    const rows = await this.prisma.groupOffset.findMany({
      where: { tenantId },
      distinct: ['groupId'],
      select: { groupId: true },
      orderBy: { groupId: 'asc' },
    });
    return rows.map((row) => row.groupId);
  }

  /** Deletes the group's committed offsets; returns how many there were. */
  async deleteGroup(tenantId: string, groupId: string): Promise<number> {
    if (!isUuid(tenantId)) return 0;
    const { count } = await this.prisma.groupOffset.deleteMany({ where: { tenantId, groupId } });
    return count;
  }
}

function checkCommit(o: OffsetCommit): void {
  assert(Number.isSafeInteger(o.offset) && o.offset >= 0, () => `bad offset ${o.offset}`);
  assert(Number.isInteger(o.partition) && o.partition >= 0, () => `bad partition ${o.partition}`);
  if (o.metadata != null && o.metadata.length > METADATA_LIMITS.offsetMetadataLengthMax) {
    throw new BrokerError(
      'INVALID_REQUEST',
      `offset metadata is longer than ${METADATA_LIMITS.offsetMetadataLengthMax} characters`,
    );
  }
  // Free text, as in Kafka, but a text column cannot hold NUL.
  if (o.metadata?.includes('\u0000') === true) {
    throw new BrokerError('INVALID_REQUEST', 'offset metadata must not contain U+0000 (NUL)');
  }
}

function unknownPartition(o: OffsetCommit): BrokerError {
  return new BrokerError(
    'UNKNOWN_TOPIC_OR_PARTITION',
    `partition ${o.partition} of topic ${o.topicId} does not exist`,
  );
}
