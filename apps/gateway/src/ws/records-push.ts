// How a subscription's records reach the client, chosen by the subscribe frame's "format":
// `json` (the default) decodes each record into {"op":"records"} text frames; `binary` sends
// the stored batches in binary frames (binary-frame.ts) without decoding them.
import { LIMITS } from '@tributary/common';
import { recordsAsJson } from '../groups/member-fetcher';
import { type ReadAs } from '../records/partition-reads';
import { type Format, toRecordJson } from '../records/record-codec';
import { encodeRecordsFrame } from './binary-frame';
import { takeStoredBatches } from './stored-batches';

export const PUSH_FORMATS = ['json', 'binary'] as const;
export type PushFormat = (typeof PUSH_FORMATS)[number];

/**
 * What a push writes to: the connection's text and binary frames (a WsSession is one, through
 * SubscriptionSession); declared here so that this file imports neither the session nor the
 * subscriptions.
 */
export interface PushTarget {
  send(frame: object): boolean;
  sendBinary(frame: Buffer): boolean;
}

export interface RecordsPush<T> {
  /** Records one push carries at most (credit may lower it). */
  readonly recordsMax: number;
  /** How each partition is read. */
  readonly read: ReadAs<T>;
  /** The records in what a read made: what credit counts. */
  count(items: readonly T[]): number;
  send(session: PushTarget, subscription: string, items: T[]): void;
}

/** JSON records frames carry at most this many records. */
const JSON_PUSH_RECORDS_MAX = 1_000;

function jsonPush<T>(read: ReadAs<T>): RecordsPush<T> {
  return {
    recordsMax: JSON_PUSH_RECORDS_MAX,
    read,
    count: (records) => records.length,
    send: (session, subscription, records) => {
      session.send({ op: 'records', subscription, records });
    },
  };
}

/** Records of explicit partitions as JSON (no `topic`: the subscription names it). */
export function jsonPartitionPush(formats: { keyFormat: Format; valueFormat: Format }) {
  return jsonPush((_topic, partition) => ({
    toJson: (record) => toRecordJson(record, partition, formats.keyFormat, formats.valueFormat),
  }));
}

/** A group member's records as JSON, as a REST poll returns them (with `topic`). */
export function jsonGroupPush(formats: { keyFormat: Format; valueFormat: Format }) {
  return jsonPush(recordsAsJson(formats));
}

/** What one partition read gives a binary push. */
export interface PartitionBatches {
  partition: number;
  highWatermark: number;
  nextOffset: number;
  records: number;
  batches: Buffer[];
}

/**
 * Binary frames, one per partition read. The byte budget (`pushBytesMax`, wsPushBytesMax)
 * bounds a push, give or take one stored batch no larger than the budget; the record bound
 * only keeps a whole stored batch in one push.
 */
export function binaryPush(pushBytesMax: number): RecordsPush<PartitionBatches> {
  return {
    recordsMax: LIMITS.recordsPerBatchMax,
    read: (_topic, partition) => ({
      take: async (fetched, from, limits) => {
        const taken = await takeStoredBatches(fetched.records, from, {
          ...limits,
          wholeBytesMax: pushBytesMax,
        });
        const { records, batches, nextOffset } = taken;
        const items =
          records === 0
            ? []
            : [{ partition, highWatermark: fetched.highWatermark, nextOffset, records, batches }];
        return { items, records, bytes: taken.bytes, nextOffset };
      },
    }),
    count: (items) => items.reduce((sum, item) => sum + item.records, 0),
    send: (session, subscription, items) => {
      for (const { batches, ...header } of items) {
        if (!session.sendBinary(encodeRecordsFrame({ subscription, ...header }, batches))) return;
      }
    },
  };
}
