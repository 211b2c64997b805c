// @tributary/client: a TypeScript client for Tributary's public API, for Node 20 and browsers
// (global fetch; WebSocket and EventSource passed in or taken from the browser). No Node
// built-ins, so a bundler takes it as it is.
export { type ClientOptions, TributaryClient } from './client';
export { CLIENT_DEFAULTS } from './defaults';
export {
  CLIENT_ERRORS,
  type ClientErrorCode,
  isRetriable,
  isTributaryError,
  type Problem,
  TributaryError,
} from './errors';
export {
  type EventHandler,
  EventStream,
  type EventStreamOptions,
  parseCursor,
} from './event-stream';
export {
  type BatchContext,
  type BatchHandler,
  GroupConsumer,
  type GroupConsumerOptions,
  nextOffsets,
} from './group-consumer';
export { type FetchFunction } from './http';
export {
  type EventSourceConstructor,
  type EventSourceLike,
  type WebSocketConstructor,
  type WebSocketLike,
} from './platform';
export {
  Producer,
  type ProducerOptions,
  type ProducerStats,
  type RecordMetadata,
} from './producer';
export { type RetryPolicy } from './retry';
export { type SseBlock, SseParser } from './sse-parser';
export {
  type Format,
  type Acks,
  type HeadersInput,
  type Header,
  type ProduceRecord,
  type RecordOffset,
  type ProduceOptions,
  type ProduceResult,
  type FetchedRecord,
  type GroupRecord,
  type ReadOptions,
  type FetchOptions,
  type FetchResult,
  type TopicSummary,
  type PartitionInfo,
  type Topic,
  type CreateTopic,
  type AlterTopic,
  type OffsetAt,
  type PartitionOffset,
  type Assignment,
  type JoinGroup,
  type MemberState,
  type JoinedMember,
  type PollResult,
  type CommitOffset,
  type CommitResult,
  type SeekTarget,
  type GroupSummary,
  type GroupMember,
  type GroupOffset,
  type Group,
  type ResetTarget,
  type ResetOffsets,
  type ClusterNode,
  type Cluster,
  type WsTicket,
} from './types';
export {
  type RecordsHandler,
  WsConsumer,
  type WsConsumerOptions,
  type WsStart,
} from './ws-consumer';
