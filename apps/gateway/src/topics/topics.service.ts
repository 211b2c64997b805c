// Topic administration for a tenant: create, list, describe, alter, delete, offsets and
// delete-records. Metadata changes go to the store; the hosting side then opens, reconfigures
// or removes the partition logs.
import { Inject, Injectable } from '@nestjs/common';
import { BrokerError, TOPIC_CONFIG_NAMES, validateTopicConfigs } from '@tributary/common';
import {
  AuditRepository,
  type JsonValue,
  METADATA_LIMITS,
  MetadataCache,
  placeReplicas,
  type Topic,
  TopicRepository,
  type TopicWithPartitions,
} from '@tributary/metadata';
import { type BrokerClient, type OffsetSpec } from '@tributary/partitions';
import { allowsAny, authorize } from '../auth/permissions';
import { type TenantPrincipal } from '../auth/principal';
import { invalid, isObject, objectBody, onlyFields, parseSafeInteger } from '../http/input';
import {
  BROKER_CLIENT,
  CLUSTER_VIEW,
  type ClusterView,
  TOPIC_HOSTING,
  type TopicHosting,
} from '../node-services';
import { quotaExceeded } from '../records/quotas';
import { findTopic, topicConfig, topicPartition } from './topic-access';

const UNKNOWN_OFFSETS = { logStartOffset: -1, highWatermark: -1, logEndOffset: -1 };
import {
  type DeleteRecordsResultDto,
  type OffsetDto,
  type TopicDto,
  type TopicSummaryDto,
} from './topics.dto';

/** Brokers a standalone node offers for replicas. */

@Injectable()
export class TopicsService {
  constructor(
    private readonly topics: TopicRepository,
    private readonly cache: MetadataCache,
    private readonly auditLog: AuditRepository,
    @Inject(TOPIC_HOSTING) private readonly hosting: TopicHosting,
    @Inject(BROKER_CLIENT) private readonly broker: BrokerClient,
    @Inject(CLUSTER_VIEW) private readonly cluster: ClusterView,
  ) {}

  async create(auth: TenantPrincipal, body: unknown): Promise<TopicDto> {
    const input = objectBody(body);
    onlyFields(input, ['name', 'partitions', 'replicationFactor', 'configs']);
    if (typeof input.name !== 'string') throw invalid('name', 'must be a string', 'INVALID_TOPIC');
    authorize(auth.key, 'admin', 'topic', input.name);
    const partitions =
      input.partitions === undefined
        ? 1
        : parseSafeInteger(input.partitions, 'partitions', {
            min: 1,
            max: METADATA_LIMITS.partitionsPerTopicMax,
            code: 'INVALID_PARTITIONS',
          });
    const replicationFactor =
      input.replicationFactor === undefined
        ? 1
        : parseSafeInteger(input.replicationFactor, 'replicationFactor', {
            min: 1,
            max: METADATA_LIMITS.replicationFactorMax,
          });
    const configs = validateTopicConfigs(input.configs);
    this.checkCountQuotas(auth, 1, partitions);
    const replicas = placeReplicas({
      nodes: this.aliveNodes(),
      from: 0,
      to: partitions,
      replicationFactor,
      startNode: this.leastLeadingNode(),
    });
    const created = await this.topics.create({
      tenantId: auth.tenant.id,
      name: input.name,
      partitionCount: partitions,
      replicationFactor,
      configs,
      replicas,
    });
    await this.hosting.topicChanged(created);
    await this.audit(auth, 'topic.create', created.topic, { partitions, configs });
    return this.describeTopic(created);
  }

  list(auth: TenantPrincipal): TopicSummaryDto[] {
    return this.cache
      .topics(auth.tenant.id)
      .filter((topic) => allowsAny(auth.key, 'topic', topic.name))
      .map((topic) => ({
        name: topic.name,
        partitions: topic.partitionCount,
        replicationFactor: topic.replicationFactor,
      }));
  }

  describe(auth: TenantPrincipal, name: string): Promise<TopicDto> {
    const topic = this.find(auth, name);
    return this.describeTopic({ topic, partitions: this.cache.partitions(topic.id) });
  }

  async update(auth: TenantPrincipal, name: string, body: unknown): Promise<TopicDto> {
    const input = objectBody(body);
    onlyFields(input, ['partitions', 'configs']);
    authorize(auth.key, 'admin', 'topic', name);
    let topic = this.find(auth, name);
    if (input.configs !== undefined) {
      if (!isObject(input.configs)) throw invalid('configs', 'must be an object', 'INVALID_CONFIG');
      const changes = Object.entries(input.configs);
      const set = validateTopicConfigs(Object.fromEntries(changes.filter(([, v]) => v !== null)));
      const removed = changes.filter(([, v]) => v === null).map(([k]) => k);
      for (const key of removed) {
        if (!(TOPIC_CONFIG_NAMES as readonly string[]).includes(key)) {
          throw new BrokerError('INVALID_CONFIG', `unknown topic setting ${JSON.stringify(key)}`);
        }
      }
      topic = await this.topics.updateConfigs(auth.tenant.id, name, {
        ...set,
        ...Object.fromEntries(removed.map((k) => [k, null])),
      });
    }
    if (input.partitions !== undefined) {
      const count = parseSafeInteger(input.partitions, 'partitions', {
        min: 1,
        max: METADATA_LIMITS.partitionsPerTopicMax,
        code: 'INVALID_PARTITIONS',
      });
      if (count > topic.partitionCount)
        this.checkCountQuotas(auth, 0, count - topic.partitionCount);
      const first = this.cache.partition(topic.id, 0);
      topic = (
        await this.topics.addPartitions({
          tenantId: auth.tenant.id,
          name,
          partitionCount: count,
          // The new partitions carry on the rotation where the topic's first one began it.
          place: (from, to) =>
            placeReplicas({
              nodes: this.aliveNodes(),
              from,
              to,
              replicationFactor: topic.replicationFactor,
              ...(first === undefined ? {} : { startNode: first.replicas[0] }),
            }),
        })
      ).topic;
    }
    const current = { topic, partitions: this.cache.partitions(topic.id) };
    await this.hosting.topicChanged(current);
    await this.audit(auth, 'topic.update', topic, input as JsonValue);
    return this.describeTopic(current);
  }

  async delete(auth: TenantPrincipal, name: string): Promise<void> {
    authorize(auth.key, 'admin', 'topic', name);
    this.find(auth, name);
    const deleted = await this.topics.delete(auth.tenant.id, name);
    await this.hosting.topicDeleted(deleted);
    await this.audit(auth, 'topic.delete', deleted, null);
  }

  async offset(
    auth: TenantPrincipal,
    name: string,
    partition: number,
    at: string | undefined,
  ): Promise<OffsetDto> {
    const topic = this.find(auth, name);
    const tp = topicPartition(topic, partition);
    const found = await this.broker.listOffset(tp, parseAt(at));
    return { partition, ...found };
  }

  async deleteRecords(
    auth: TenantPrincipal,
    name: string,
    partition: number,
    body: unknown,
  ): Promise<DeleteRecordsResultDto> {
    const input = objectBody(body);
    onlyFields(input, ['beforeOffset']);
    authorize(auth.key, 'admin', 'topic', name);
    const topic = this.find(auth, name);
    const tp = topicPartition(topic, partition);
    const before = parseSafeInteger(input.beforeOffset, 'beforeOffset', { min: -1 });
    const logStartOffset = await this.broker.deleteRecords(tp, before);
    await this.audit(auth, 'topic.delete-records', topic, { partition, beforeOffset: before });
    return { partition, logStartOffset };
  }

  /** Describing needs any right on the topic; callers check narrower rights first. */
  private find(auth: TenantPrincipal, name: string): Topic {
    return findTopic(this.cache, auth, name, 'any');
  }

  /**
   * The topic with each partition as its leader has it: leadership, ISR and offsets (where no
   * leader answers, the metadata's leadership and -1 offsets).
   */
  private async describeTopic({ topic, partitions }: TopicWithPartitions): Promise<TopicDto> {
    const config = topicConfig(topic);
    const states = await this.broker.states(
      partitions.map((p) => topicPartition(topic, p.partition)),
    );
    return {
      name: topic.name,
      replicationFactor: topic.replicationFactor,
      partitions: partitions.map((p, i) => {
        const outcome = states[i];
        // The leader's own view when it answers (what it enforces), else the metadata's.
        const leader = outcome?.ok === true ? outcome.value : p;
        const state = outcome?.ok === true ? outcome.value : UNKNOWN_OFFSETS;
        return {
          partition: p.partition,
          leader: leader.leader,
          leaderEpoch: leader.leaderEpoch,
          replicas: [...leader.replicas],
          isr: [...leader.isr],
          logStartOffset: state.logStartOffset,
          highWatermark: state.highWatermark,
          logEndOffset: state.logEndOffset,
        };
      }),
      configs: Object.fromEntries(Object.entries(config).map(([k, v]) => [k, String(v)])),
    };
  }

  private checkCountQuotas(auth: TenantPrincipal, addTopics: number, addPartitions: number): void {
    const { quotas } = auth.tenant;
    const topics = this.cache.topics(auth.tenant.id);
    if (quotas.maxTopics !== undefined && topics.length + addTopics > quotas.maxTopics) {
      throw quotaExceeded(`the tenant may have at most ${quotas.maxTopics} topics`, 60);
    }
    const partitions = topics.reduce((sum, t) => sum + t.partitionCount, 0);
    if (quotas.maxPartitions !== undefined && partitions + addPartitions > quotas.maxPartitions) {
      throw quotaExceeded(`the tenant may have at most ${quotas.maxPartitions} partitions`, 60);
    }
  }

  private aliveNodes(): number[] {
    return this.cluster
      .nodes()
      .filter((node) => node.alive && node.state === 'active')
      .map((node) => node.id);
  }

  /** The alive node leading the fewest partitions: where a new topic's leaders begin. */
  private leastLeadingNode(): number | undefined {
    const { cache } = this;
    const leading = new Map(this.aliveNodes().map((id) => [id, 0]));
    for (const tenant of cache.tenants()) {
      for (const topic of cache.topics(tenant.id)) {
        for (const { leader } of cache.partitions(topic.id)) {
          const count = leading.get(leader);
          if (count !== undefined) leading.set(leader, count + 1);
        }
      }
    }
    let best: number | undefined;
    for (const [id, count] of leading)
      if (best === undefined || count < leading.get(best)!) best = id;
    return best;
  }

  private async audit(auth: TenantPrincipal, action: string, topic: Topic, detail: JsonValue) {
    await this.auditLog.append({
      actor: `key:${auth.key.id}`,
      action,
      target: `tenant/${auth.tenant.name}/topic/${topic.name}`,
      detail,
    });
  }
}

function parseAt(at: string | undefined): OffsetSpec {
  if (at === undefined || at === 'latest') return 'latest';
  if (at === 'earliest') return 'earliest';
  const timestamp = parseSafeInteger(at, 'at', { min: 0 });
  return { timestamp };
}
