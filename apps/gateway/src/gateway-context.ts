// What the node hands the gateway: the metadata store, the way to partitions (BrokerClient),
// the way to make this node host a topic's partitions, and the process-wide services. The
// gateway owns none of them; the broker app opens and closes them.
import { type Clock } from '@tributary/common';
import { type Coordinator } from '@tributary/coordination';
import {
  type BrokerState,
  type MetadataStore,
  type PartitionState,
  type Topic,
  type TopicWithPartitions,
} from '@tributary/metadata';
import { type BrokerClient } from '@tributary/partitions';
import { type Logger } from 'pino';
import { type LoadShedderLimits } from './http/load-shedder';
import { type WsLimits } from './ws/ws-session';

export interface TopicHosting {
  /** Serves the topic's partitions this node leads (after create, add partitions, alter). */
  topicChanged(topic: TopicWithPartitions): Promise<void>;
  /** Stops serving the topic and removes its data from disk. */
  topicDeleted(topic: Topic): Promise<void>;
  /** Bytes on disk of the tenant's partitions hosted here (storage quota). */
  tenantStorageBytes(tenantId: string): number;
  /** Per-partition log sizes for /metrics. */
  logSizes(): Iterable<{ tenantId: string; topicId: string; partition: number; bytes: number }>;
}

/** A node of the cluster as the registry has it. */
export interface ClusterNode {
  id: number;
  host: string;
  port: number;
  rpcPort: number;
  /** Its broker session is alive. */
  alive: boolean;
  /** What it is doing: serving, shutting down (leading nothing) or draining (holding nothing). */
  state: BrokerState;
}

/** Why a preferred-leader election did or did not change a partition's leader. */
export type ElectionResult = 'elected' | 'not-needed' | 'not-available';

/** The operator's cluster operations (see apps/broker cluster-operations.ts). */
export interface ClusterOperations {
  /** Makes each partition's first replica its leader where it is alive, active and in sync. */
  electPreferredLeaders(
    partitions: readonly { topicId: string; partition: number }[],
  ): Promise<{ state: PartitionState; result: ElectionResult }[]>;
  /** Starts moving a partition to `replicas` (the first its preferred leader). */
  reassign(
    topicId: string,
    partition: number,
    replicas: readonly number[],
  ): Promise<PartitionState>;
  /** Starts or ends draining a registered node: every replica moves off it. */
  setDraining(nodeId: number, draining: boolean): Promise<void>;
  /** Removes a dead node holding no replica from the registry. */
  removeNode(nodeId: number): Promise<void>;
}

/** What the gateway knows of the cluster (standalone: a cluster of one). */
export interface ClusterView {
  readonly clusterId: string;
  /** The node acting as controller; null while none holds the lease. */
  controller(): number | null;
  nodes(): readonly ClusterNode[];
}

export interface GatewayContext {
  metadata: MetadataStore;
  broker: BrokerClient;
  /** Group membership, assignment and positions (Redis, or this process). */
  coordinator: Coordinator;
  hosting: TopicHosting;
  cluster: ClusterView;
  operations: ClusterOperations;
  /** This node's id: the leader of the partitions it creates. */
  nodeId: number;
  /** The operator's bearer token. */
  adminToken: string;
  clock: Clock;
  logger: Logger;
  /** Extra readiness checks (storage, coordination) by name. */
  readiness?: () => Promise<Record<string, boolean>>;
  /** Origins allowed to open WebSockets from a browser; empty: none. */
  allowedOrigins?: readonly string[];
  /** WebSocket bounds (tests shorten them). */
  wsLimits?: Partial<WsLimits>;
  /** Load-shedding bounds (tests shorten them). */
  loadShedding?: Partial<LoadShedderLimits>;
}

export const GATEWAY_CONTEXT = Symbol('GATEWAY_CONTEXT');
