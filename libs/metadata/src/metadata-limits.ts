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
  /**
   * Postgres: a connection, or a free one from the pool, not there by then fails the call with
   * UNAVAILABLE rather than parking it (a refused connection fails at once anyway).
   */
  connectTimeoutMs: 2_000,
  /**
   * Postgres: a statement not answered by then fails with UNAVAILABLE, so a server or network
   * that stopped answering fails requests instead of hanging them. Metadata statements are
   * small; the cache reload reads every row, still far below this.
   */
  queryTimeoutMs: 10_000,
  /** Postgres: TCP keepalive probes start after this long idle, to find connections gone dead. */
  keepAliveDelayMs: 10_000,
  /** How long one migration's transaction (and each of its statements) may run, lock wait included. */
  migrationTimeoutMs: 120_000,
  /** Pause between attempts to reload the cache after an outage: first, and at most. */
  reloadRetryMsMin: 100,
  reloadRetryMsMax: 2_000,
} as const;
