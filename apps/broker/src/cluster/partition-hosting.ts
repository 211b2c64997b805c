// Which partition replicas this node hosts, and as what: every partition whose row names this
// node among its replicas is hosted as the row says (leader or follower, epoch, ISR); every
// other log on disk is removed (a deleted topic, a partition moved away, or the orphan a crash
// between the metadata delete and the data delete left). `sync` runs after every metadata
// reload; `topicChanged` after this node's own changes to a topic.
import { eachLimited, resolveTopicConfig } from '@tributary/common';
import {
  type MetadataStore,
  type PartitionState,
  type Topic,
  type TopicWithPartitions,
} from '@tributary/metadata';
import {
  logName,
  partitionKey,
  type PartitionManager,
  type TopicPartition,
} from '@tributary/partitions';
import { type LogManager } from '@tributary/storage';
import { type Logger } from 'pino';
import { type TopicHosting } from '../../../gateway/src/index';
import { Coalesced } from './coalesced';

const LOG_NAME = /^([0-9a-f-]{36})\/([0-9a-f-]{36})-(\d+)$/;
/** Partitions whose logs a sync opens (recovers) at the same time. */
const PARTITIONS_OPENED_AT_ONCE = 16;

export class PartitionHosting implements TopicHosting {
  /** Syncs run one at a time; a request during one runs once more after it. */
  private readonly syncs = new Coalesced(() => this.serial(() => this.syncNow()));
  /** Every change of what is hosted runs after the one before it (a sync never undoes a delete). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly partitions: PartitionManager,
    private readonly logs: LogManager,
    private readonly metadata: MetadataStore,
    private readonly logger: Logger,
  ) {}

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  topicChanged({ topic, partitions }: TopicWithPartitions): Promise<void> {
    return this.serial(async () => {
      for (const state of partitions) await this.apply(topic, state);
    });
  }

  topicDeleted(topic: Topic): Promise<void> {
    return this.serial(async () => {
      for (let partition = 0; partition < topic.partitionCount; partition++) {
        await this.partitions.unhost(
          { tenantId: topic.tenantId, topicId: topic.id, partition },
          true,
        );
      }
    });
  }

  tenantStorageBytes(tenantId: string): number {
    return this.partitions.tenantSizeBytes(tenantId);
  }

  *logSizes(): Iterable<{ tenantId: string; topicId: string; partition: number; bytes: number }> {
    for (const { tp, sizeBytes } of this.partitions.hostedPartitions()) {
      yield { ...tp, bytes: sizeBytes };
    }
  }

  private async apply(topic: Topic, state: PartitionState): Promise<void> {
    const tp = { tenantId: topic.tenantId, topicId: topic.id, partition: state.partition };
    // Deleted since the caller read it: hosting it now would bring its log back.
    if (this.metadata.cache.topic(topic.id) === undefined) return;
    if (!state.replicas.includes(this.partitions.nodeId)) {
      if (this.partitions.isHosted(tp)) await this.partitions.unhost(tp, true);
      return;
    }
    const { leader, leaderEpoch, replicas, isr, version } = state;
    await this.partitions.apply(
      tp,
      { leader, leaderEpoch, replicas, isr, version },
      resolveTopicConfig(topic.configs),
    );
  }

  /** Brings the hosted partitions in line with the cached metadata; returns how many it hosts. */
  sync(): Promise<number> {
    return this.syncs.run();
  }

  private async syncNow(): Promise<number> {
    const { cache } = this.metadata;
    const wanted = new Set<string>();
    const all: { topic: Topic; state: PartitionState }[] = [];
    for (const tenant of cache.tenants()) {
      for (const topic of cache.topics(tenant.id)) {
        for (const state of cache.partitions(topic.id)) {
          all.push({ topic, state });
          if (state.replicas.includes(this.partitions.nodeId)) {
            wanted.add(
              partitionKey({
                tenantId: topic.tenantId,
                topicId: topic.id,
                partition: state.partition,
              }),
            );
          }
        }
      }
    }
    // Partitions are independent: several open at once, so a start with many of them waits on
    // the disk in parallel rather than on each file operation in turn.
    await eachLimited(all, PARTITIONS_OPENED_AT_ONCE, ({ topic, state }) =>
      this.apply(topic, state),
    );
    for (const partition of this.partitions.partitions()) {
      if (!wanted.has(partitionKey(partition.tp))) {
        this.logger.info({ log: logName(partition.tp) }, 'no longer a replica here; removing');
        await this.partitions.unhost(partition.tp, true);
      }
    }
    for (const name of await this.logs.listOnDisk()) {
      const tp = parseLogName(name);
      if (tp !== undefined && !wanted.has(partitionKey(tp)) && !this.partitions.isHosted(tp)) {
        this.logger.warn({ log: name }, 'removing the log of a partition not hosted here');
        await this.partitions.unhost(tp, true);
      }
    }
    return wanted.size;
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
