// A segment's sparse offset index, as in Kafka: fixed 8-byte entries
//
//   relativeOffset: int32   batch base offset - segment base offset
//   position: int32         byte position of that batch in the segment's .log file
//
// one entry per ~indexIntervalBytes of log, strictly increasing in both fields, so a binary
// search finds the greatest entry at or below an offset and the reader scans forward from its
// position. The index is kept in memory and written incrementally; it carries no checksum:
// recovery sanity-checks it and rebuilds it from the log when in doubt.
import { assert } from '@tributary/common';
import { FixedEntryIndex } from './fixed-entry-index';

export const OFFSET_INDEX_ENTRY_BYTES = 8;

export interface IndexEntry {
  offset: number;
  position: number;
}

export class OffsetIndex extends FixedEntryIndex {
  constructor(baseOffset: number, maxEntries: number) {
    super(baseOffset, maxEntries, OFFSET_INDEX_ENTRY_BYTES);
  }

  lastEntry(): IndexEntry | undefined {
    return this.count === 0 ? undefined : this.entryAt(this.count - 1);
  }

  entryAt(i: number): IndexEntry {
    const at = i * OFFSET_INDEX_ENTRY_BYTES;
    return {
      offset: this.baseOffset + this.entries.readInt32BE(at),
      position: this.entries.readInt32BE(at + 4),
    };
  }

  append(offset: number, position: number): void {
    assert(!this.isFull, 'offset index is full');
    const last = this.lastEntry();
    assert(
      last === undefined || (offset > last.offset && position > last.position),
      () =>
        `offset index entries must increase: ${offset}@${position} after ${JSON.stringify(last)}`,
    );
    const relative = offset - this.baseOffset;
    assert(relative >= 0 && relative <= 0x7fffffff, `relative offset ${relative} out of range`);
    const at = this.nextEntryPosition();
    this.entries.writeInt32BE(relative, at);
    this.entries.writeInt32BE(position, at + 4);
    this.count += 1;
  }

  /** The greatest entry whose offset is <= `offset`, or the segment start. */
  lookup(offset: number): IndexEntry {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.baseOffset + this.entries.readInt32BE(mid * OFFSET_INDEX_ENTRY_BYTES) <= offset) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? { offset: this.baseOffset, position: 0 } : this.entryAt(found);
  }

  /** Drops entries pointing at or past `position` (the log was truncated there). */
  truncateToPosition(position: number): void {
    let count = this.count;
    while (count > 0 && this.entryAt(count - 1).position >= position) count -= 1;
    this.truncateToCount(count);
  }

  /**
   * Loads a persisted index, or returns undefined when it fails the sanity check (size not a
   * multiple of the entry, entries not increasing, a position past the log's end).
   */
  static load(
    baseOffset: number,
    maxEntries: number,
    data: Buffer,
    logSizeBytes: number,
  ): OffsetIndex | undefined {
    if (data.length % OFFSET_INDEX_ENTRY_BYTES !== 0) return undefined;
    const count = data.length / OFFSET_INDEX_ENTRY_BYTES;
    if (count > maxEntries) return undefined;
    const index = new OffsetIndex(baseOffset, maxEntries);
    let lastRelative = -1;
    let lastPosition = -1;
    for (let i = 0; i < count; i++) {
      const relative = data.readInt32BE(i * OFFSET_INDEX_ENTRY_BYTES);
      const position = data.readInt32BE(i * OFFSET_INDEX_ENTRY_BYTES + 4);
      if (relative <= lastRelative || position <= lastPosition || position >= logSizeBytes) {
        return undefined;
      }
      lastRelative = relative;
      lastPosition = position;
    }
    index.adopt(data);
    return index;
  }
}
