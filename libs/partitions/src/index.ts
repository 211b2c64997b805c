export {
  type Acks,
  type BrokerClient,
  type FetchRequest,
  type FetchResult,
  type OffsetLookup,
  type OffsetSpec,
  type PartitionPosition,
  type PartitionState,
  type ProduceRequest,
  type ProduceResult,
} from './broker-client';
export {
  PARKED_WAITERS_MAX,
  PartitionManager,
  type PartitionManagerOptions,
  toLogConfig,
} from './partition-manager';
export { logName, partitionKey, type TopicPartition } from './topic-partition';
export { WaitSet, type WakeReason } from './wait-set';
