// Partitions are addressed by ids, never names: a topic deleted and created again under the same
// name is a different topic with different logs.

export interface TopicPartition {
  tenantId: string;
  topicId: string;
  partition: number;
}

export function partitionKey(tp: TopicPartition): string {
  return `${tp.topicId}-${tp.partition}`;
}

/** The log's directory under the data dir: one folder per tenant. */
export function logName(tp: TopicPartition): string {
  return `${tp.tenantId}/${tp.topicId}-${tp.partition}`;
}
