// The WebSocket operations that reach the rest of the gateway: subscribing (to explicit
// partitions, or as a group member) and producing. Frames are validated here with the same
// rules and error codes as the HTTP routes.
import { Inject, Injectable } from '@nestjs/common';
import { BrokerError, LIMITS } from '@tributary/common';
import { checkGroupId, MetadataCache } from '@tributary/metadata';
import { type BrokerClient, only, type OffsetSpec } from '@tributary/partitions';
import { type TenantPrincipal } from '../auth/principal';
import { parseResetTarget } from '../groups/group-input';
import { GroupMembersService } from '../groups/group-members.service';
import { checkInRange } from '../groups/member-positions';
import { invalid, type JsonObject, oneOf, onlyFields, parseSafeInteger } from '../http/input';
import { BROKER_CLIENT } from '../node-services';
import { ProduceService, type RecordOffset } from '../records/produce.service';
import { FORMATS, type Format } from '../records/record-codec';
import { findTopic, topicPartition } from '../topics/topic-access';
import {
  binaryPush,
  jsonGroupPush,
  jsonPartitionPush,
  PUSH_FORMATS,
  type PushFormat,
  type RecordsPush,
} from './records-push';
import {
  type Formats,
  GroupSubscription,
  PartitionSubscription,
  type SubscriptionSession,
  type WsSubscription,
} from './ws-subscriptions';

export type StartAt = 'earliest' | 'latest' | { offset: number } | { timestamp: number };

export interface WsSubscribe {
  topic: string;
  group?: string;
  partitions?: number[];
  from: StartAt;
  credit: number | null;
  /** JSON records frames, or binary frames of stored batches. */
  format: PushFormat;
  /** Of JSON records. */
  formats: Formats;
  sessionTimeoutMs: number;
  autoCommit: boolean;
}

export interface WsProduce {
  topic: string;
  acks: string | undefined;
  body: JsonObject;
  bodyBytes: number;
}

const SUBSCRIBE_FIELDS = [
  'op',
  'id',
  'topic',
  'group',
  'partitions',
  'from',
  'credit',
  'format',
  'keyFormat',
  'valueFormat',
  'sessionTimeoutMs',
  'autoCommit',
];

export function parseWsSubscribe(frame: JsonObject): WsSubscribe {
  onlyFields(frame, SUBSCRIBE_FIELDS, 'frame');
  if (typeof frame.topic !== 'string') throw invalid('topic', 'must be a topic name');
  if (frame.group !== undefined) {
    if (typeof frame.group !== 'string') throw invalid('group', 'must be a group id');
    checkGroupId(frame.group);
  }
  if (frame.group !== undefined && frame.partitions !== undefined) {
    throw invalid('partitions', 'a group assigns the partitions; give one or the other');
  }
  if (frame.autoCommit !== undefined && typeof frame.autoCommit !== 'boolean') {
    throw invalid('autoCommit', 'must be true or false');
  }
  let partitions: number[] | undefined;
  if (frame.partitions !== undefined) {
    if (!Array.isArray(frame.partitions) || frame.partitions.length === 0) {
      throw invalid('partitions', 'must be a non-empty list of partition numbers');
    }
    partitions = [
      ...new Set(
        frame.partitions.map((p, i) =>
          parseSafeInteger(p, `partitions[${i}]`, { max: 2 ** 31 - 1 }),
        ),
      ),
    ];
  }
  const from = frame.from === undefined ? 'latest' : parseResetTarget(frame.from, 'from');
  if (frame.group !== undefined && typeof from === 'object') {
    throw invalid('from', 'with a group, from is earliest or latest (where nothing is committed)');
  }
  return {
    topic: frame.topic,
    ...(frame.group === undefined ? {} : { group: frame.group }),
    ...(partitions === undefined ? {} : { partitions }),
    from,
    credit:
      frame.credit === undefined
        ? null
        : parseSafeInteger(frame.credit, 'credit', { min: 0, max: 1_000_000 }),
    format: parseFormat(frame),
    formats: parseFormats(frame),
    sessionTimeoutMs:
      frame.sessionTimeoutMs === undefined
        ? LIMITS.sessionTimeoutMsDefault
        : parseSafeInteger(frame.sessionTimeoutMs, 'sessionTimeoutMs', {
            min: LIMITS.sessionTimeoutMsMin,
            max: LIMITS.sessionTimeoutMsMax,
          }),
    autoCommit: frame.autoCommit ?? true,
  };
}

/** `frameBytes`: the frame's size as received, charged to the produce quota. */
export function parseWsProduce(frame: JsonObject, frameBytes: number): WsProduce {
  onlyFields(frame, ['op', 'id', 'topic', 'records', 'acks', 'keyFormat', 'valueFormat'], 'frame');
  if (typeof frame.topic !== 'string') throw invalid('topic', 'must be a topic name');
  const acks =
    frame.acks === undefined ? undefined : JSON.stringify(frame.acks).replace(/^"|"$/g, '');
  const { op: _op, id: _id, topic: _topic, acks: _acks, ...body } = frame;
  return { topic: frame.topic, acks, body, bodyBytes: frameBytes };
}

function parseFormat(frame: JsonObject): PushFormat {
  if (frame.format === undefined) return 'json';
  const format = oneOf<PushFormat>(frame.format, 'format', PUSH_FORMATS);
  for (const field of ['keyFormat', 'valueFormat'] as const) {
    if (format === 'binary' && frame[field] !== undefined) {
      throw invalid(field, 'binary frames carry keys and values as stored; leave it out');
    }
  }
  return format;
}

function parseFormats(frame: JsonObject): Formats {
  return {
    keyFormat:
      frame.keyFormat === undefined
        ? 'string'
        : oneOf<Format>(frame.keyFormat, 'keyFormat', FORMATS),
    valueFormat:
      frame.valueFormat === undefined
        ? 'json'
        : oneOf<Format>(frame.valueFormat, 'valueFormat', FORMATS),
  };
}

@Injectable()
export class WsOperations {
  constructor(
    @Inject(BROKER_CLIENT) private readonly broker: BrokerClient,
    private readonly cache: MetadataCache,
    private readonly groups: GroupMembersService,
    private readonly producer: ProduceService,
  ) {}

  async subscribe(session: SubscriptionSession, params: WsSubscribe): Promise<WsSubscription> {
    const auth = session.auth;
    const topic = findTopic(this.cache, auth, params.topic, 'read');
    const id = session.nextSubscriptionId();
    if (params.group !== undefined) {
      const joined = await this.groups.join(auth, params.group, {
        subscription: { topics: [topic.name] },
        sessionTimeoutMs: params.sessionTimeoutMs,
        autoOffsetReset: params.from === 'earliest' ? 'earliest' : 'latest',
        autoCommit: params.autoCommit,
      });
      const group = params.group;
      const member = <T>(push: RecordsPush<T>) =>
        new GroupSubscription(
          id,
          session,
          params.credit,
          this.groups,
          auth,
          group,
          topic,
          joined.memberId,
          push,
        );
      const subscription =
        params.format === 'binary'
          ? member(binaryPush(session.limits.wsPushBytesMax))
          : member(jsonGroupPush(params.formats));
      // The first push tells the client what it owns (the loop announces changes after).
      queueMicrotask(() => subscription.announce(joined.assignment));
      return subscription;
    }
    const partitions = params.partitions ?? [...Array(topic.partitionCount).keys()];
    const positions = new Map<number, number>();
    for (const partition of partitions) {
      const tp = topicPartition(topic, partition);
      positions.set(partition, await this.startOffset(tp, params.from));
    }
    const reader = <T>(push: RecordsPush<T>) =>
      new PartitionSubscription(id, session, params.credit, this.broker, topic, positions, push);
    return params.format === 'binary'
      ? reader(binaryPush(session.limits.wsPushBytesMax))
      : reader(jsonPartitionPush(params.formats));
  }

  async produce(auth: TenantPrincipal, params: WsProduce): Promise<RecordOffset[]> {
    if (params.bodyBytes > LIMITS.wsFrameBytesMax) {
      throw new BrokerError('RECORD_LIST_TOO_LARGE', 'the produce frame is too large');
    }
    const answer = await this.producer.produce(auth, {
      topic: params.topic,
      acks: params.acks,
      body: params.body,
      ndjson: false,
      bodyBytes: params.bodyBytes,
      keyFormat: undefined,
      valueFormat: undefined,
      idempotencyKey: undefined,
    });
    return answer.body.offsets;
  }

  private async startOffset(
    tp: { tenantId: string; topicId: string; partition: number },
    from: StartAt,
  ): Promise<number> {
    if (typeof from === 'object' && 'offset' in from) {
      return checkInRange(only(await this.broker.states([tp])), from.offset);
    }
    const spec: OffsetSpec = from;
    return (await this.broker.listOffset(tp, spec)).offset;
  }
}
