// What the node hands the gateway: the metadata store, the way to partitions (BrokerClient),
// the way to make this node host a topic's partitions, and the process-wide services. The
// gateway owns none of them; the broker app opens and closes them. createGateway takes them as
// one bundle; gateway.module.ts gives each service only the parts it uses (node-services.ts).
import { type Clock } from '@tributary/common';
import { type Coordinator } from '@tributary/coordination';
import { type MetadataStore } from '@tributary/metadata';
import { type BrokerClient } from '@tributary/partitions';
import { type Logger } from 'pino';
import { type LoadShedderLimits } from './http/load-shedder';
import { type ClusterOperations, type ClusterView, type TopicHosting } from './node-services';
import { type WsLimits } from './ws/ws-session';

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
