// The shapes of the node's answers the console reads (see docs/API.md and /openapi.json).

export interface TopicSummary {
  name: string;
  partitions: number;
  replicationFactor: number;
}

export interface PartitionInfo {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  logStartOffset: number;
  highWatermark: number;
  logEndOffset: number;
}

export interface Topic {
  name: string;
  replicationFactor: number;
  partitions: PartitionInfo[];
  /** Every setting in effect, defaults included. */
  configs: Record<string, string>;
}

export interface Assignment {
  topic: string;
  partitions: number[];
}

export interface GroupSummary {
  group: string;
  state: string;
}

export interface GroupMember {
  memberId: string;
  instanceId: string | null;
  memberEpoch: number;
  subscription: { topics?: string[]; topicPattern?: string };
  assignment: Assignment[];
  targetAssignment: Assignment[];
  sessionTimeoutMs: number;
  autoCommit: boolean;
  lastHeartbeatAt: string;
  sessionExpiresAt: string;
}

export interface GroupOffset {
  topic: string;
  partition: number;
  committedOffset: number | null;
  position: number | null;
  highWatermark: number;
  lag: number | null;
}

export interface Group {
  group: string;
  state: string;
  groupEpoch: number;
  assignor: string | null;
  members: GroupMember[];
  offsets: GroupOffset[];
}

export interface ClusterNode {
  id: number;
  host: string;
  port: number;
  rpcPort: number;
  status: 'alive' | 'dead';
  state?: string;
  leaders: number;
  replicas: number;
}

export interface Cluster {
  clusterId: string;
  controller: number | null;
  nodes: ClusterNode[];
}

export interface RecordHeader {
  key: string;
  value: string | null;
}

/** A record as fetched or pushed; a json field that is not JSON comes as base64, flagged. */
export interface FetchedRecord {
  partition: number;
  offset: number;
  timestamp: number;
  key: unknown;
  value: unknown;
  headers: RecordHeader[];
  keyFormat?: 'binary';
  valueFormat?: 'binary';
}

export interface ProduceRecord {
  key?: string;
  value: unknown;
  partition?: number;
  headers?: RecordHeader[];
}

export interface ProducedOffset {
  partition: number;
  offset: number;
  timestamp: number;
}

/** Where a live tail starts, as the WebSocket's subscribe takes it. */
export type StartAt = 'earliest' | 'latest' | { offset: number } | { timestamp: number };
