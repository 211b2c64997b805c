export {
  type Coordinator,
  type GroupSnapshot,
  type GroupWrite,
  type ClusterTopic,
  type Unsubscribe,
} from './coordinator';
export { InProcessCoordinator, type InProcessCoordinatorOptions } from './in-process-coordinator';
export { coordinationOutage, isRedisOutage } from './redis-errors';
export {
  REDIS_COORDINATOR_DEFAULTS,
  RedisCoordinator,
  type RedisCoordinatorOptions,
} from './redis-coordinator';
export {
  ASSIGNORS,
  assign,
  type AssignorMember,
  type AssignorName,
  type AssignorTopic,
  type GroupAssignment,
} from './assignors';
export {
  addMember,
  checkOwnership,
  emptyGroup,
  expireMembers,
  findMember,
  flatten,
  type GroupState,
  type GroupStatus,
  groupStatus,
  type MemberState,
  type OffsetReset,
  parseGroup,
  type PartitionsByTopic,
  reconcile,
  type Reconciliation,
  removeMember,
  requireMember,
  type ResolvedTopic,
  retarget,
  type Subscription,
  type TopicPartitionRef,
  type TopicResolver,
  topicsFingerprint,
  tpKey,
} from './group-state';
export { GroupChange, GroupStore, type GroupUpdate, type GroupView } from './group-store';
