// Named bounds of the metadata library, kept in one place. Units are last in every name.

export const METADATA_LIMITS = {
  /** Partitions one topic may have (Kafka has no hard cap; ours keeps one topic's rows small). */
  partitionsPerTopicMax: 10_000,
  /** Replication factor ceiling. */
  replicationFactorMax: 16,
  /** Length of a consumer group id. */
  groupIdLengthMax: 255,
  /** Offsets one commit may carry. */
  offsetsPerCommitMax: 10_000,
  /** Length of a committed offset's metadata (Kafka's offset.metadata.max.bytes is 4096). */
  offsetMetadataLengthMax: 4096,
  /** Length of an API key's name. */
  apiKeyNameLengthMax: 255,
  /** Permissions one API key may carry. */
  permissionsPerKeyMax: 100,
  /** Length of a permission pattern (a topic or group name, or a prefix of one). */
  permissionPatternLengthMax: 255,
  /** Topic configs one topic may set. */
  topicConfigsMax: 100,
  /** Length of a topic config name and of its value. */
  topicConfigNameLengthMax: 255,
  topicConfigValueLengthMax: 4096,
  /** Audit entries one list call returns. */
  auditListMax: 1_000,
  /** Size of an audit entry's detail, as JSON text. */
  auditDetailBytesMax: 64 * 1024,
} as const;
