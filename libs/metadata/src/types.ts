// The library's domain types. Plain, immutable data: no Prisma type leaks out of libs/metadata,
// times are epoch milliseconds and offsets are numbers (safe integers, checked on every read).

export type JsonValue =
  string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export interface TenantQuotas {
  readonly produceBytesPerSec?: number;
  readonly fetchBytesPerSec?: number;
  readonly maxTopics?: number;
  readonly maxPartitions?: number;
  readonly maxStorageBytes?: number;
}

export interface Tenant {
  readonly id: string;
  /** `[a-z0-9-]{1,63}` */
  readonly name: string;
  readonly quotas: TenantQuotas;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

export type PermissionOperation = 'read' | 'write' | 'admin';
export type PermissionResource = 'topic' | 'group';
export type PatternType = 'literal' | 'prefixed';

export interface ApiKeyPermission {
  readonly operation: PermissionOperation;
  readonly resource: PermissionResource;
  readonly pattern: string;
  readonly patternType: PatternType;
}

export interface ApiKey {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  /** sha256 of the secret, lowercase hex (see hashSecret). */
  readonly secretHash: string;
  /** Empty: everything inside the tenant. */
  readonly permissions: readonly ApiKeyPermission[];
  readonly createdAtMs: number;
  readonly revokedAtMs: number | null;
}

/** Kafka config names to string values, only those set explicitly. */
export type TopicConfigs = Readonly<Record<string, string>>;

export interface Topic {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly partitionCount: number;
  readonly replicationFactor: number;
  readonly configs: TopicConfigs;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

/** Who leads a partition and which replicas are in sync; changed only by compare-and-set. */
export interface PartitionState {
  readonly topicId: string;
  readonly partition: number;
  /** Node id of the leader; -1 when there is none. */
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  /** Bumped by every change; the compare-and-set token. */
  readonly version: number;
  /** The replicas a reassignment moves the partition to; empty when none is under way. */
  readonly targetReplicas: readonly number[];
}

export interface TopicWithPartitions {
  readonly topic: Topic;
  readonly partitions: readonly PartitionState[];
}

export interface GroupOffset {
  readonly tenantId: string;
  readonly groupId: string;
  readonly topicId: string;
  readonly partition: number;
  readonly offset: number;
  readonly metadata: string | null;
  readonly updatedAtMs: number;
}

export interface AuditEntry {
  readonly id: number;
  readonly atMs: number;
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly detail: JsonValue;
}
