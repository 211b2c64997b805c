// Reading several partitions from positions for one answer (a group poll, a WebSocket push, an
// SSE batch): the partitions are taken in turn from a different one each time, so a busy
// partition cannot starve the others when the limits run out; each fetch takes what is there
// now (no wait); a position that retention overtook is moved on by the caller's policy, and a
// position ahead of the high watermark waits, as a partition between leaders does.
import { type DecodedRecord } from '@tributary/protocol';
import { type BrokerClient, type TopicPartition } from '@tributary/partitions';
import { collectRecords, decodeBatches } from './fetch.service';

export interface ReadCursor<T> {
  tp: TopicPartition;
  offset: number;
  toJson(record: DecodedRecord): T;
}

/** Where a cursor that was read ended, and what it gave. */
export interface CursorEnd {
  nextOffset: number;
  records: number;
  /** RecordBatch bytes fetched (what fetch quotas and metrics count). */
  logBytes: number;
}

export interface PartitionReads<T> {
  records: T[];
  /** By cursor index; undefined for the cursors the limits left unread. */
  ends: (CursorEnd | undefined)[];
  logBytes: number;
}

/**
 * Reads the cursors in turn starting at `first`, until `maxRecords` records or about
 * `maxBytes` of keys and values: one fetchMany (one call per leader), then the records taken
 * in turn. `restart` gives the offset to go on from when a cursor's offset is below the log
 * start (it may rethrow); a cursor ahead of the high watermark is left where it is this time.
 */
export async function readPartitionsInTurn<T>(
  broker: BrokerClient,
  cursors: readonly ReadCursor<T>[],
  first: number,
  limits: { maxRecords: number; maxBytes: number },
  restart: (cursor: ReadCursor<T>, error: unknown) => Promise<number>,
): Promise<PartitionReads<T>> {
  const order = cursors.map((_, i) => (first + i) % cursors.length);
  const fetched = await broker.fetchMany({
    positions: order.map((index) => ({ ...cursors[index]!.tp, offset: cursors[index]!.offset })),
    maxBytes: limits.maxBytes,
  });
  const records: T[] = [];
  const ends: (CursorEnd | undefined)[] = cursors.map(() => undefined);
  let bytes = 0;
  let logBytes = 0;
  for (let i = 0; i < order.length; i++) {
    if (records.length >= limits.maxRecords || bytes >= limits.maxBytes) break;
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
    const batches = outcome.value.records;
    const collected = collectRecords(
      await decodeBatches(batches),
      cursor.offset,
      limits.maxRecords - records.length,
      (record) => cursor.toJson(record),
      limits.maxBytes - bytes,
    );
    records.push(...collected.records);
    // At least one byte per read, so that empty keys and values still end the loop.
    bytes += Math.max(collected.bytes, 1);
    logBytes += batches.length;
    ends[index] = {
      nextOffset: collected.nextOffset,
      records: collected.records.length,
      logBytes: batches.length,
    };
  }
  return { records, ends, logBytes };
}

/** Whether an OFFSET_OUT_OF_RANGE for `offset` is below the log start (unknown: assume so). */
function belowLogStart(offset: number, extra: Readonly<Record<string, unknown>>): boolean {
  const start = extra.logStartOffset;
  return typeof start !== 'number' || offset < start;
}
