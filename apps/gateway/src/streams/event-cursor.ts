// Where a Server-Sent Events stream starts and resumes.
//
// Every record event carries `id: partition:offset` (docs/API.md), and a reconnecting client sends
// the last id it saw as Last-Event-ID. With one partition that id is the whole position. With
// several it is not: `2:17` says nothing about partitions 0 and 1, and resuming them from
// `from` would re-send (earliest) or skip (latest) what arrived while the client was away.
// So after each batch of record events (and once at the start) the stream also sends a block
// holding only an id, the cursor of every partition: `id: 0:41,1:-1,2:17` (the last offset
// delivered, or the one before the start position). A block without data dispatches nothing in
// EventSource, yet it sets the last event id, so a reconnecting EventSource sends the cursor
// and every partition resumes exactly: nothing re-sent, nothing skipped. Records keep their
// `partition:offset` ids, and a client that sends one of them (or a hand-made list) resumes
// the partitions it names after the given offsets and the others from `from`. Positions are
// cursors of this connection only; nothing is stored on the server.
import { type OffsetSpec } from '@tributary/partitions';
import { invalid } from '../http/input';

/**
 * Topics with more partitions than this get no cursor blocks (the cursor would not fit in a
 * request header): Last-Event-ID is then the last record's id.
 */
export const CURSOR_PARTITIONS_MAX = 256;
/** Longest Last-Event-ID read: a full cursor of CURSOR_PARTITIONS_MAX partitions fits. */
const LAST_EVENT_ID_LENGTH_MAX = CURSOR_PARTITIONS_MAX * 30;
const CURSOR_ENTRY = /^(\d{1,10}):(-1|\d{1,16})$/;
const TIMESTAMP = /^\d{1,16}$/;

/** `from`: earliest, latest (the default) or a timestamp in ms (the first record at or after). */
export function parseFrom(raw: string | undefined): OffsetSpec {
  if (raw === undefined || raw === 'latest') return 'latest';
  if (raw === 'earliest') return raw;
  if (TIMESTAMP.test(raw) && Number.isSafeInteger(Number(raw))) return { timestamp: Number(raw) };
  throw invalid('from', 'must be earliest, latest or a timestamp in ms since the epoch');
}

/**
 * Last-Event-ID as partition -> the last offset delivered (-1: none yet), or undefined when
 * absent. Grammar: `p:o` or a comma list of them, each partition at most once.
 */
export function parseLastEventId(raw: string | undefined): Map<number, number> | undefined {
  const value = raw?.trim();
  if (value === undefined || value === '') return undefined;
  const bad = () =>
    invalid('Last-Event-ID', 'must be partition:offset, or a comma list of them (as sent)');
  if (value.length > LAST_EVENT_ID_LENGTH_MAX) throw bad();
  const delivered = new Map<number, number>();
  for (const entry of value.split(',')) {
    const match = CURSOR_ENTRY.exec(entry);
    if (match === null) throw bad();
    const partition = Number(match[1]);
    const offset = Number(match[2]);
    if (partition > 2 ** 31 - 1 || !Number.isSafeInteger(offset)) throw bad();
    if (delivered.has(partition)) {
      throw invalid('Last-Event-ID', `names partition ${partition} twice`);
    }
    delivered.set(partition, offset);
  }
  return delivered;
}

/** The id of a record event. */
export function recordEventId(partition: number, offset: number): string {
  return `${partition}:${offset}`;
}

/** The cursor of every partition, from the next offset each will read. */
export function formatCursor(positions: readonly number[]): string | undefined {
  if (positions.length > CURSOR_PARTITIONS_MAX) return undefined;
  return positions.map((next, partition) => recordEventId(partition, next - 1)).join(',');
}
