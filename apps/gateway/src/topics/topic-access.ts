// Finding a tenant's topic for a caller: the permission is checked first (so a key without
// rights learns nothing), then the name is looked up in the cache within the caller's tenant
// only (another tenant's topic is as missing as one that never existed).
import { BrokerError, resolveTopicConfig, type TopicConfig } from '@tributary/common';
import { type MetadataCache, type PermissionOperation, type Topic } from '@tributary/metadata';
import { type TopicPartition } from '@tributary/partitions';
import { allowsAny, authorize } from '../auth/permissions';
import { type TenantPrincipal } from '../auth/principal';

export function unknownTopic(name: string): BrokerError {
  return new BrokerError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${name} does not exist`);
}

export function findTopic(
  cache: MetadataCache,
  auth: TenantPrincipal,
  name: string,
  operation: PermissionOperation | 'any',
): Topic {
  if (operation !== 'any') authorize(auth.key, operation, 'topic', name);
  else if (!allowsAny(auth.key, 'topic', name)) authorize(auth.key, 'read', 'topic', name);
  const topic = cache.topicByName(auth.tenant.id, name);
  if (topic === undefined) throw unknownTopic(name);
  return topic;
}

export function topicPartition(topic: Topic, partition: number): TopicPartition {
  if (!Number.isInteger(partition) || partition < 0 || partition >= topic.partitionCount) {
    throw new BrokerError(
      'UNKNOWN_TOPIC_OR_PARTITION',
      `topic ${topic.name} has no partition ${partition} (it has ${topic.partitionCount})`,
    );
  }
  return { tenantId: topic.tenantId, topicId: topic.id, partition };
}

/**
 * The topic's settings in effect, parsed once per version of the topic: the cache replaces a
 * topic's (frozen) object on every change, so the object is the key.
 */
const configs = new WeakMap<Topic, TopicConfig>();

export function topicConfig(topic: Topic): TopicConfig {
  let config = configs.get(topic);
  if (config === undefined) {
    config = resolveTopicConfig(topic.configs);
    configs.set(topic, config);
  }
  return config;
}
