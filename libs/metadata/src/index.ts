export { type AppendAuditInput, AuditRepository, type ListAuditOptions } from './audit-repository';
export { ApiKeyRepository, type CreateApiKeyInput, hashSecret } from './api-key-repository';
export {
  type Database,
  type DatabaseKind,
  openDatabase,
  type OpenDatabaseOptions,
} from './database';
export { GroupOffsetRepository, type OffsetCommit } from './group-offset-repository';
export { MetadataCache, type MetadataSnapshot } from './metadata-cache';
export { METADATA_LIMITS } from './metadata-limits';
export { MetadataStore, type MetadataStoreOptions } from './metadata-store';
export { isDatabaseOutage, metadataOutage } from './outage-errors';
export {
  defaultMigrationsDir,
  findRepoRoot,
  migrate,
  type MigrateOptions,
  type Migration,
  MigrationError,
  type MigrationResult,
  readMigrations,
} from './migrator';
export {
  type CompareAndSetResult,
  type ControllerFence,
  type PartitionChange,
  PartitionRepository,
} from './partition-repository';
export { type CreateTenantInput, TenantRepository } from './tenant-repository';
export {
  type AddPartitionsInput,
  type CreateTopicInput,
  type TopicConfigChanges,
  TopicRepository,
} from './topic-repository';
export {
  type ApiKey,
  type ApiKeyPermission,
  type AuditEntry,
  type GroupOffset,
  type JsonValue,
  type PartitionState,
  type PatternType,
  type PermissionOperation,
  type PermissionResource,
  type Tenant,
  type TenantQuotas,
  type Topic,
  type TopicConfigs,
  type TopicWithPartitions,
} from './types';
export {
  openTestStore,
  soleReplicas,
  prepareTestDatabase,
  TEST_DATABASE_KINDS,
  TEST_DATABASE_URL_DEFAULT,
  type TestDatabaseTarget,
  testDatabaseUrl,
  type TestStore,
} from './test-databases';
export { checkGroupId } from './validation';
export { placeReplicas, type PlacementInput } from './replica-placement';
export {
  BROKER_STATES,
  type BrokerRegistration,
  type BrokerState,
  type ClusterIdentity,
  ClusterRepository,
  type ControllerState,
  type RegisteredBroker,
} from './cluster-repository';
