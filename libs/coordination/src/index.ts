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
  commitMarkKey,
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
  parseTpKey,
  type PartitionsByTopic,
  positionKeys,
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
  unknownMember,
} from './group-state';
export {
  type GroupEvent,
  liveMember,
  type NewMember,
  transition,
  type Transition,
  type TransitionContext,
} from './group-machine';
export {
  busyGroup,
  GroupCoordinator,
  type GroupCoordinatorOptions,
  type MemberView,
  type PositionCommit,
} from './group-coordinator';
export {
  heartbeatIntervalMs,
  isExpired,
  lastHeartbeatMs,
  nextExpiryMs,
  renewedDeadlineMs,
  sessionDeadlineMs,
  type SessionMember,
} from './member-session';
export { GroupChange, GroupStore, type GroupUpdate, type GroupView } from './group-store';
