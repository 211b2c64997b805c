// Reading the group routes' input: join bodies, poll queries, commit offsets, seek and reset
// targets. Each reader names the field in its error.
import { LIMITS } from '@tributary/common';
import { type AssignorName, ASSIGNORS } from '@tributary/coordination';
import { type OffsetSpec } from '@tributary/partitions';
import {
  invalid,
  isObject,
  type JsonObject,
  oneOf,
  onlyFields,
  parseSafeInteger,
} from '../http/input';
import { parseReadQuery } from '../records/fetch.service';
import { type ResetTarget } from './group-admin.service';
import { type CommitOffsetInput, type JoinParams } from './group-members.service';
import { type PollParams } from './member-fetcher';
import { parseSubscription } from './subscription';

const JOIN_FIELDS = [
  'topics',
  'topicPattern',
  'sessionTimeoutMs',
  'autoOffsetReset',
  'autoCommit',
  'instanceId',
  'assignor',
];

export function parseJoin(body: JsonObject): JoinParams {
  onlyFields(body, JOIN_FIELDS);
  if (body.autoCommit !== undefined && typeof body.autoCommit !== 'boolean') {
    throw invalid('autoCommit', 'must be true or false');
  }
  if (
    body.instanceId !== undefined &&
    (typeof body.instanceId !== 'string' || !/^[\w.-]{1,255}$/.test(body.instanceId))
  ) {
    throw invalid('instanceId', 'must be 1-255 characters of letters, digits, _ . -');
  }
  return {
    subscription: parseSubscription(body.topics, body.topicPattern),
    sessionTimeoutMs:
      body.sessionTimeoutMs === undefined
        ? LIMITS.sessionTimeoutMsDefault
        : parseSafeInteger(body.sessionTimeoutMs, 'sessionTimeoutMs', {
            min: LIMITS.sessionTimeoutMsMin,
            max: LIMITS.sessionTimeoutMsMax,
          }),
    autoOffsetReset:
      body.autoOffsetReset === undefined
        ? 'latest'
        : oneOf(body.autoOffsetReset, 'autoOffsetReset', ['latest', 'earliest'] as const),
    autoCommit: body.autoCommit ?? true,
    ...(body.instanceId === undefined ? {} : { instanceId: body.instanceId }),
    ...(body.assignor === undefined
      ? {}
      : { assignor: oneOf<AssignorName>(body.assignor, 'assignor', ASSIGNORS) }),
  };
}

export function parsePollQuery(query: Record<string, unknown>): PollParams {
  return parseReadQuery(query);
}

export function parseCommitOffsets(raw: unknown): CommitOffsetInput[] {
  if (!Array.isArray(raw) || raw.length > 10_000) {
    throw invalid('offsets', 'must be a list of at most 10000 {topic, partition, offset}');
  }
  return raw.map((entry, i) => {
    const where = `offsets[${i}]`;
    if (!isObject(entry)) throw invalid(where, 'must be an object');
    onlyFields(entry, ['topic', 'partition', 'offset', 'metadata'], where);
    if (
      entry.metadata !== undefined &&
      entry.metadata !== null &&
      typeof entry.metadata !== 'string'
    ) {
      throw invalid(`${where}.metadata`, 'must be a string or null');
    }
    return {
      topic: requireString(entry.topic, `${where}.topic`),
      partition: parseSafeInteger(entry.partition, `${where}.partition`, { max: 2 ** 31 - 1 }),
      offset: parseSafeInteger(entry.offset, `${where}.offset`),
      metadata: entry.metadata ?? null,
    };
  });
}

export function parsePartitions(raw: unknown): number[] {
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > 100_000) {
    throw invalid('partitions', 'must be a non-empty list of partition numbers');
  }
  return [
    ...new Set(raw.map((p, i) => parseSafeInteger(p, `partitions[${i}]`, { max: 2 ** 31 - 1 }))),
  ];
}

export function parseAt(raw: unknown): OffsetSpec {
  if (raw === 'earliest' || raw === 'latest') return raw;
  return { timestamp: parseSafeInteger(raw, 'at') };
}

export function parseResetTarget(raw: unknown, field = 'to'): ResetTarget {
  if (raw === 'earliest' || raw === 'latest') return raw;
  if (isObject(raw)) {
    const keys = Object.keys(raw);
    if (keys.length === 1 && keys[0] === 'offset')
      return { offset: parseSafeInteger(raw.offset, `${field}.offset`) };
    if (keys.length === 1 && keys[0] === 'timestamp') {
      return { timestamp: parseSafeInteger(raw.timestamp, `${field}.timestamp`) };
    }
  }
  throw invalid(field, 'must be "earliest", "latest", {"offset": n} or {"timestamp": ms}');
}

export function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0)
    throw invalid(field, 'must be a non-empty string');
  return value;
}
