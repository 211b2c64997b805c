// What the node hands the gateway, one injection token each, so that every service asks for the
// few it uses instead of the whole node (gateway.module.ts provides them from the
// GatewayContext). Classes are their own tokens (MetadataCache, the metadata repositories, the
// GroupCoordinator); the node's interfaces are described here, with a symbol each. This file
// imports nothing of the gateway's, so that anything may import it without a cycle.
import {
  type PartitionState,
  type BrokerState,
  type Topic,
  type TopicWithPartitions,
} from '@tributary/metadata';

/** Group membership, assignment and positions (a Coordinator: Redis, or this process). */
export const COORDINATOR = Symbol('Coordinator');
/** The way to partitions, wherever their leaders are (a BrokerClient). */
export const BROKER_CLIENT = Symbol('BrokerClient');
/** The node's Clock. */
export const CLOCK = Symbol('Clock');
/** The node's pino Logger. */
export const LOGGER = Symbol('Logger');
/** TopicHosting: this node serving (or no longer serving) a topic's partitions. */
export const TOPIC_HOSTING = Symbol('TopicHosting');
/** ClusterView: the cluster's nodes and controller as this node knows them. */
export const CLUSTER_VIEW = Symbol('ClusterView');
/** ClusterOperations: the operator's cluster operations. */
export const CLUSTER_OPERATIONS = Symbol('ClusterOperations');
/** Readiness: () => Promise<Record<string, boolean>>, every check by name. */
export const READINESS = Symbol('Readiness');
/** WsLimits: the WebSocket bounds, defaults with the node's overrides. */
export const WS_LIMITS = Symbol('WsLimits');

export type Readiness = () => Promise<Record<string, boolean>>;

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
