// Reading several partitions from positions for one answer (a group poll, a WebSocket push, an
// SSE batch): the partitions are taken in turn from a different one each time, so a busy
// partition cannot starve the others when the limits run out; each fetch takes what is there
// now (no wait); a position that retention overtook is moved on by the caller's policy, and a
// position ahead of the high watermark waits, as a partition between leaders does.
//
// A cursor reads its partition's batches one of two ways: decoded, each record made JSON by
// `toJson` (every HTTP read and JSON push), or by `take`, which gets the stored batches as they
// were fetched and says what it made of them (binary WebSocket pushes, which do not decode).
import { type Topic } from '@tributary/metadata';
import { type DecodedRecord } from '@tributary/protocol';
import { type BrokerClient, type FetchResult, type TopicPartition } from '@tributary/partitions';
import { collectRecords, decodeBatches } from './fetch.service';

/** What a cursor made of its partition's fetched batches. */
export interface Taken<T> {
  items: T[];
  /** Records delivered: what maxRecords (and a WebSocket's credit) counts. */
  records: number;
  /** What maxBytes counts. */
  bytes: number;
  nextOffset: number;
}

/** Takes what the limits allow from the batches fetched at `from` (the first may begin below it). */
export type TakeBatches<T> = (
  fetched: FetchResult,
  from: number,
  limits: ReadLimits,
) => Promise<Taken<T>>;

/** How a cursor reads its batches: decoded into JSON records, or taken as stored. */
export type CursorRead<T> = { toJson: (record: DecodedRecord) => T } | { take: TakeBatches<T> };

/** How a reader reads each partition of a topic. */
export type ReadAs<T> = (topic: Topic, partition: number) => CursorRead<T>;

export type ReadCursor<T> = { tp: TopicPartition; offset: number } & CursorRead<T>;

export interface ReadLimits {
  maxRecords: number;
  maxBytes: number;
}

/** Where a cursor that was read ended, and what it gave. */
export interface CursorEnd {
  nextOffset: number;
  records: number;
  /** RecordBatch bytes fetched (what fetch quotas and metrics count). */
  logBytes: number;
}

export interface PartitionReads<T> {
  /** What the cursors made, in the order they were read. */
  records: T[];
  /** By cursor index; undefined for the cursors the limits left unread. */
  ends: (CursorEnd | undefined)[];
  logBytes: number;
}

/** The JSON way: records at or after `from`, decoded, within the limits. */
async function takeDecoded<T>(
  toJson: (record: DecodedRecord) => T,
  fetched: FetchResult,
  from: number,
  limits: ReadLimits,
): Promise<Taken<T>> {
  const collected = collectRecords(
    await decodeBatches(fetched.records),
    from,
    limits.maxRecords,
    toJson,
    limits.maxBytes,
  );
  return {
    items: collected.records,
    records: collected.records.length,
    bytes: collected.bytes,
    nextOffset: collected.nextOffset,
  };
}

/**
 * Reads the cursors in turn starting at `first`, until `maxRecords` records or about
 * `maxBytes` (of keys and values when decoded; of batches when taken): one fetchMany (one call
 * per leader), then the records taken in turn. `restart` gives the offset to go on from when a
 * cursor's offset is below the log start (it may rethrow); a cursor ahead of the high
 * watermark is left where it is this time.
 */
export async function readPartitionsInTurn<T>(
  broker: BrokerClient,
  cursors: readonly ReadCursor<T>[],
  first: number,
  limits: ReadLimits,
  restart: (cursor: ReadCursor<T>, error: unknown) => Promise<number>,
): Promise<PartitionReads<T>> {
  const order = cursors.map((_, i) => (first + i) % cursors.length);
  const fetched = await broker.fetchMany({
    positions: order.map((index) => ({ ...cursors[index]!.tp, offset: cursors[index]!.offset })),
    maxBytes: limits.maxBytes,
  });
  const records: T[] = [];
  const ends: (CursorEnd | undefined)[] = cursors.map(() => undefined);
  let count = 0;
  let bytes = 0;
  let logBytes = 0;
  for (let i = 0; i < order.length; i++) {
    if (count >= limits.maxRecords || bytes >= limits.maxBytes) break;
    const index = order[i]!;
    const cursor = cursors[index]!;
    const outcome = fetched[i];
    if (outcome === undefined) continue; // the byte budget ran out on its leader
    if (!outcome.ok) {
      // A partition between leaders is skipped this time; the others still deliver.
      if (outcome.error.retriable) continue;
      if (outcome.error.code !== 'OFFSET_OUT_OF_RANGE') throw outcome.error;
      // Ahead of the high watermark: a leader elected a moment ago, whose high watermark is
      // still one follower fetch behind its predecessor's, from which this position came. The
      // records are on it and the high watermark is coming; moving the position (back to the
      // log start, or to the latest) would deliver everything again or skip records.
      if (!belowLogStart(cursor.offset, outcome.error.extra)) continue;
      ends[index] = { nextOffset: await restart(cursor, outcome.error), records: 0, logBytes: 0 };
      continue;
    }
    const left = { maxRecords: limits.maxRecords - count, maxBytes: limits.maxBytes - bytes };
    const taken =
      'take' in cursor
        ? await cursor.take(outcome.value, cursor.offset, left)
        : await takeDecoded(cursor.toJson, outcome.value, cursor.offset, left);
    records.push(...taken.items);
    count += taken.records;
    // At least one byte per read, so that empty keys and values still end the loop.
    bytes += Math.max(taken.bytes, 1);
    const batchBytes = outcome.value.records.length;
    logBytes += batchBytes;
    ends[index] = { nextOffset: taken.nextOffset, records: taken.records, logBytes: batchBytes };
  }
  return { records, ends, logBytes };
}

/** Whether an OFFSET_OUT_OF_RANGE for `offset` is below the log start (unknown: assume so). */
function belowLogStart(offset: number, extra: Readonly<Record<string, unknown>>): boolean {
  const start = extra.logStartOffset;
  return typeof start !== 'number' || offset < start;
}
