export {
  type Acks,
  type BrokerClient,
  type FetchManyRequest,
  type FetchManyResult,
  type FetchRequest,
  type FetchResult,
  type OffsetLookup,
  type OffsetSpec,
  only,
  type Outcome,
  type PartitionPosition,
  type PartitionState,
  type ProduceRequest,
  type ProduceResult,
} from './broker-client';
export { type AlterIsr, type IsrChange, Partition, type PartitionAssignment } from './partition';
export {
  PARKED_WAITERS_MAX,
  PartitionManager,
  type PartitionManagerOptions,
  REPLICA_LAG_MS_DEFAULT,
  toLogConfig,
} from './partition-manager';
export {
  type ReplicaFetchAnswer,
  type ReplicaFetchPartition,
  type ReplicaFetchRequest,
} from './replica-fetch';
export { type LeaderEndpoint, ReplicaFetchers } from './replica-fetcher';
export { RpcClient, type RpcClientOptions } from './rpc-client';
export { HELLO_METHOD, RpcServer, type RpcServerOptions } from './rpc-server';
export { logName, partitionKey, type TopicPartition } from './topic-partition';
export { WaitSet, type WakeReason } from './wait-set';
export { BrokerMethod, RemoteBroker, serveBroker } from './broker-rpc';
export { type LeaderDirectory, RoutingBrokerClient } from './routing-broker-client';
