// The shapes of the public API's requests and answers (docs/API.md; openapi/openapi.json is
// the reference). Written out here rather than imported, so the client stays a small library
// with no dependency on the server's code.

/** How a key or value travels: any JSON value, UTF-8 text, or base64 bytes. */
export type Format = 'json' | 'string' | 'binary';

export type Acks = 'all' | 1 | 0;

/** Headers as sent: an object of strings, or a list of pairs for repeated keys. */
export type HeadersInput = Record<string, string> | { key: string; value: string | null }[];

export interface Header {
  key: string;
  value: string | null;
}

export interface ProduceRecord {
  key?: unknown;
  /** In the value format; null is a tombstone. */
  value: unknown;
  headers?: HeadersInput;
  partition?: number;
  /** Create time, ms since the epoch; the server's clock when absent. */
  timestamp?: number;
}

export interface RecordOffset {
  partition: number;
  /** -1 with acks=0. */
  offset: number;
  timestamp: number;
}

export interface ProduceOptions {
  acks?: Acks;
  keyFormat?: Format;
  valueFormat?: Format;
  /** A retry with the same key and body writes nothing again and gets the first answer. */
  idempotencyKey?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface ProduceResult {
  offsets: RecordOffset[];
  /** True when the server answered a repeated Idempotency-Key without writing. */
  replayed: boolean;
}

export interface FetchedRecord {
  partition: number;
  offset: number;
  timestamp: number;
  key: unknown;
  value: unknown;
  headers: Header[];
  /** 'binary' when a json-format key or value was not JSON and came as base64. */
  keyFormat?: 'binary';
  valueFormat?: 'binary';
}

export interface GroupRecord extends FetchedRecord {
  topic: string;
}

export interface ReadOptions {
  maxRecords?: number;
  maxBytes?: number;
  /** Long-poll: wait up to this long (0-30000) for a record when there is none. */
  maxWaitMs?: number;
  keyFormat?: Format;
  valueFormat?: Format;
  signal?: AbortSignal;
}

export interface FetchOptions extends ReadOptions {
  offset: number;
}

export interface FetchResult {
  records: FetchedRecord[];
  nextOffset: number;
  highWatermark: number;
  logStartOffset: number;
}

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
  configs: Record<string, string>;
}

export interface CreateTopic {
  name: string;
  partitions?: number;
  replicationFactor?: number;
  configs?: Record<string, string | number>;
}

export interface AlterTopic {
  partitions?: number;
  /** null restores a setting's default. */
  configs?: Record<string, string | number | null>;
}

/** earliest, latest, or a timestamp in ms (the first offset at or after it). */
export type OffsetAt = 'earliest' | 'latest' | number;

export interface PartitionOffset {
  partition: number;
  offset: number;
  timestamp?: number;
}

export interface Assignment {
  topic: string;
  partitions: number[];
}

export interface JoinGroup {
  topics?: string[];
  topicPattern?: string;
  sessionTimeoutMs?: number;
  autoOffsetReset?: 'earliest' | 'latest';
  autoCommit?: boolean;
  instanceId?: string;
  assignor?: 'sticky' | 'range' | 'roundrobin';
}

export interface MemberState {
  memberEpoch: number;
  assignment: Assignment[];
}

export interface JoinedMember extends MemberState {
  memberId: string;
  heartbeatIntervalMs: number;
}

export interface PollResult extends MemberState {
  records: GroupRecord[];
}

export interface CommitOffset {
  topic: string;
  partition: number;
  /** The next offset to consume (Kafka's convention). */
  offset: number;
  metadata?: string | null;
}

export interface CommitResult extends MemberState {
  offsets: { topic: string; partition: number; offset: number }[];
}

export interface SeekTarget {
  topic: string;
  partition: number;
  offset?: number;
  at?: OffsetAt;
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
  metadata: string | null;
}

export interface Group {
  group: string;
  state: string;
  groupEpoch: number;
  assignor: string | null;
  members: GroupMember[];
  offsets: GroupOffset[];
}

export type ResetTarget = 'earliest' | 'latest' | { offset: number } | { timestamp: number };

export interface ResetOffsets {
  topic: string;
  partitions?: number[];
  to: ResetTarget;
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

export interface WsTicket {
  ticket: string;
  expiresAt: string;
}
