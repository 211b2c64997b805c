// TributaryClient: one typed method per route of the public API (docs/API.md). Each method is
// a single call: it does not retry (Producer, GroupConsumer, WsConsumer and EventStream, built
// on it, do where a retry is safe) and fails with a TributaryError.
import { CLIENT_DEFAULTS } from './defaults';
import { type Answer, type FetchFunction, HttpTransport } from './http';
import { type EventSourceConstructor, type WebSocketConstructor } from './platform';
import {
  type AlterTopic,
  type Cluster,
  type CommitOffset,
  type CommitResult,
  type CreateTopic,
  type FetchOptions,
  type FetchResult,
  type Group,
  type GroupSummary,
  type JoinedMember,
  type JoinGroup,
  type MemberState,
  type OffsetAt,
  type PartitionOffset,
  type PollResult,
  type ProduceOptions,
  type ProduceRecord,
  type ProduceResult,
  type ReadOptions,
  type ResetOffsets,
  type SeekTarget,
  type Topic,
  type TopicSummary,
  type WsTicket,
} from './types';

export interface ClientOptions {
  /** The node's base URL (any node of a cluster), e.g. http://localhost:8080. */
  url: string;
  /** A tenant API key, sent as `Authorization: Bearer <key>`. */
  apiKey?: string;
  /** Default: the global fetch. */
  fetch?: FetchFunction;
  /** Default 30000; long-polls add their wait to it. */
  requestTimeoutMs?: number;
  /** Sent with every HTTP call. */
  headers?: Record<string, string>;
  /** For WebSocket consumers. Default: globalThis.WebSocket (browsers); in Node pass `ws`. */
  WebSocket?: WebSocketConstructor;
  /** For event streams. Default: globalThis.EventSource when there is one. */
  EventSource?: EventSourceConstructor;
}

const seg = encodeURIComponent;
const topicPath = (topic: string) => `/v1/topics/${seg(topic)}`;
const groupPath = (group: string) => `/v1/groups/${seg(group)}`;
const memberPath = (group: string, memberId: string) =>
  `${groupPath(group)}/members/${seg(memberId)}`;

export class TributaryClient {
  readonly http: HttpTransport;

  constructor(readonly options: ClientOptions) {
    this.http = new HttpTransport(options);
  }

  // Topics

  async listTopics(): Promise<TopicSummary[]> {
    return (await this.get<{ topics: TopicSummary[] }>('/v1/topics')).topics;
  }

  async createTopic(topic: CreateTopic): Promise<Topic> {
    return this.body(this.http.call<Topic>('POST', '/v1/topics', { body: topic }));
  }

  describeTopic(topic: string): Promise<Topic> {
    return this.get<Topic>(topicPath(topic));
  }

  alterTopic(topic: string, change: AlterTopic): Promise<Topic> {
    return this.body(this.http.call<Topic>('PATCH', topicPath(topic), { body: change }));
  }

  async deleteTopic(topic: string): Promise<void> {
    await this.http.call('DELETE', topicPath(topic));
  }

  /** The first offset at or after `at` (earliest, latest, or a timestamp in ms). */
  listOffset(topic: string, partition: number, at: OffsetAt = 'latest'): Promise<PartitionOffset> {
    return this.body(
      this.http.call<PartitionOffset>(
        'GET',
        `${topicPath(topic)}/partitions/${partition}/offsets`,
        {
          query: { at },
        },
      ),
    );
  }

  /** Deletes the records below `beforeOffset` (-1: the high watermark); the new log start. */
  deleteRecords(
    topic: string,
    partition: number,
    beforeOffset: number,
  ): Promise<{ partition: number; logStartOffset: number }> {
    return this.body(
      this.http.call('POST', `${topicPath(topic)}/partitions/${partition}/delete-records`, {
        body: { beforeOffset },
      }),
    );
  }

  // Records

  /** One produce request (all-or-nothing per partition); offsets in request order. */
  async produce(
    topic: string,
    records: ProduceRecord[],
    options: ProduceOptions = {},
  ): Promise<ProduceResult> {
    const body = JSON.stringify({
      ...(options.keyFormat === undefined ? {} : { keyFormat: options.keyFormat }),
      ...(options.valueFormat === undefined ? {} : { valueFormat: options.valueFormat }),
      records,
    });
    return this.produceBody(topic, body, options);
  }

  /** produce() with the body already serialized: a retry must send the same bytes. */
  async produceBody(topic: string, body: string, options: ProduceOptions): Promise<ProduceResult> {
    const answer = await this.http.call<{ offsets: ProduceResult['offsets'] }>(
      'POST',
      `${topicPath(topic)}/records`,
      {
        body,
        query: { acks: options.acks },
        headers:
          options.idempotencyKey === undefined ? {} : { 'idempotency-key': options.idempotencyKey },
        timeoutMs: options.timeoutMs ?? CLIENT_DEFAULTS.produceTimeoutMs,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      },
    );
    return {
      offsets: answer.body.offsets,
      replayed: answer.headers.get('idempotent-replayed') === 'true',
    };
  }

  /** Records of one partition from `offset`; with maxWaitMs, a long-poll. */
  fetchRecords(topic: string, partition: number, options: FetchOptions): Promise<FetchResult> {
    const { signal, ...query } = options;
    return this.body(
      this.http.call<FetchResult>('GET', `${topicPath(topic)}/partitions/${partition}/records`, {
        query: { ...query },
        timeoutMs: this.longPollTimeout(options.maxWaitMs),
        ...(signal === undefined ? {} : { signal }),
      }),
    );
  }

  // Consumer groups: administration

  async listGroups(): Promise<GroupSummary[]> {
    return (await this.get<{ groups: GroupSummary[] }>('/v1/groups')).groups;
  }

  describeGroup(group: string): Promise<Group> {
    return this.get<Group>(groupPath(group));
  }

  async deleteGroup(group: string): Promise<void> {
    await this.http.call('DELETE', groupPath(group));
  }

  /** Moves the committed offsets of an empty group. */
  async resetGroupOffsets(group: string, reset: ResetOffsets): Promise<CommitResult['offsets']> {
    const answer = await this.http.call<{ offsets: CommitResult['offsets'] }>(
      'POST',
      `${groupPath(group)}/offsets`,
      { body: reset },
    );
    return answer.body.offsets;
  }

  // Consumer groups: members (GroupConsumer runs this protocol for you)

  joinGroup(group: string, join: JoinGroup): Promise<JoinedMember> {
    return this.body(
      this.http.call<JoinedMember>('POST', `${groupPath(group)}/members`, { body: join }),
    );
  }

  poll(group: string, memberId: string, options: ReadOptions = {}): Promise<PollResult> {
    const { signal, ...query } = options;
    return this.body(
      this.http.call<PollResult>('GET', `${memberPath(group, memberId)}/records`, {
        query: { ...query },
        timeoutMs: this.longPollTimeout(options.maxWaitMs),
        ...(signal === undefined ? {} : { signal }),
      }),
    );
  }

  heartbeat(group: string, memberId: string): Promise<MemberState> {
    return this.body(
      this.http.call<MemberState>('POST', `${memberPath(group, memberId)}/heartbeat`),
    );
  }

  /** Commits the given offsets, or (none given) the member's current positions. */
  commit(
    group: string,
    memberId: string,
    offsets?: CommitOffset[],
    memberEpoch?: number,
  ): Promise<CommitResult> {
    const body = {
      ...(offsets === undefined ? {} : { offsets }),
      ...(memberEpoch === undefined ? {} : { memberEpoch }),
    };
    return this.body(
      this.http.call<CommitResult>('POST', `${memberPath(group, memberId)}/commit`, { body }),
    );
  }

  seek(group: string, memberId: string, target: SeekTarget): Promise<CommitResult['offsets'][0]> {
    return this.body(
      this.http.call('POST', `${memberPath(group, memberId)}/seek`, { body: target }),
    );
  }

  async leaveGroup(group: string, memberId: string): Promise<void> {
    await this.http.call('DELETE', memberPath(group, memberId));
  }

  // Cluster and tickets

  describeCluster(): Promise<Cluster> {
    return this.get<Cluster>('/v1/cluster');
  }

  /** A single-use ticket (60 s) that opens a WebSocket or an event stream without headers. */
  createWsTicket(): Promise<WsTicket> {
    return this.body(this.http.call<WsTicket>('POST', '/v1/ws/tickets'));
  }

  private longPollTimeout(maxWaitMs: number | undefined): number {
    return (this.options.requestTimeoutMs ?? CLIENT_DEFAULTS.requestTimeoutMs) + (maxWaitMs ?? 0);
  }

  private get<T>(path: string): Promise<T> {
    return this.body(this.http.call<T>('GET', path));
  }

  private async body<T>(answer: Promise<Answer<T>>): Promise<T> {
    return (await answer).body;
  }
}
