// How a standalone node hosts topics: it leads every partition, so a metadata change is
// applied to the local PartitionManager at once. At start it hosts every partition the
// metadata says it leads and removes logs whose topic no longer exists (a crash between the
// metadata delete and the data delete leaves such orphans).
import { resolveTopicConfig } from '@tributary/common';
import { type MetadataStore, type Topic, type TopicWithPartitions } from '@tributary/metadata';
import { logName, type PartitionManager, type TopicPartition } from '@tributary/partitions';
import { type LogManager } from '@tributary/storage';
import { type Logger } from 'pino';
import { type TopicHosting } from '../../gateway/src/index';

const LOG_NAME = /^([0-9a-f-]{36})\/([0-9a-f-]{36})-(\d+)$/;

export class LocalHosting implements TopicHosting {
  constructor(
    private readonly partitions: PartitionManager,
    private readonly logs: LogManager,
    private readonly metadata: MetadataStore,
    private readonly logger: Logger,
  ) {}

  async topicChanged({ topic, partitions }: TopicWithPartitions): Promise<void> {
    const config = resolveTopicConfig(topic.configs);
    for (const state of partitions) {
      if (state.leader !== this.partitions.nodeId) continue;
      const tp = { tenantId: topic.tenantId, topicId: topic.id, partition: state.partition };
      await this.partitions.host(tp, config, state.leaderEpoch);
    }
  }

  async topicDeleted(topic: Topic): Promise<void> {
    for (let partition = 0; partition < topic.partitionCount; partition++) {
      await this.partitions.unhost(
        { tenantId: topic.tenantId, topicId: topic.id, partition },
        true,
      );
    }
  }

  tenantStorageBytes(tenantId: string): number {
    return this.partitions.tenantSizeBytes(tenantId);
  }

  *logSizes(): Iterable<{ tenantId: string; topicId: string; partition: number; bytes: number }> {
    for (const { tp, sizeBytes } of this.partitions.hostedPartitions()) {
      yield { ...tp, bytes: sizeBytes };
    }
  }

  /** Hosts every partition this node leads (recovering its log) and drops orphaned logs. */
  async hostAll(): Promise<number> {
    const { cache } = this.metadata;
    let hosted = 0;
    for (const tenant of cache.tenants()) {
      for (const topic of cache.topics(tenant.id)) {
        await this.topicChanged({ topic, partitions: cache.partitions(topic.id) });
        hosted += topic.partitionCount;
      }
    }
    for (const name of await this.logs.listOnDisk()) {
      const tp = parseLogName(name);
      const topic = tp === undefined ? undefined : cache.topic(tp.topicId);
      if (tp !== undefined && (topic === undefined || tp.partition >= topic.partitionCount)) {
        this.logger.warn({ log: name }, 'removing the log of a deleted topic');
        await this.partitions.unhost(tp, true);
      }
    }
    return hosted;
  }
}

function parseLogName(name: string): TopicPartition | undefined {
  const match = LOG_NAME.exec(name);
  if (match === null) return undefined;
  const tp = {
    tenantId: match[1] as string,
    topicId: match[2] as string,
    partition: Number(match[3]),
  };
  return logName(tp) === name ? tp : undefined;
}
