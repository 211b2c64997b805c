// A segment's sparse time index, as in Kafka: fixed 12-byte entries
//
//   timestamp: int64        the greatest record timestamp in the segment up to this batch
//   relativeOffset: int32   base offset of that batch - segment base offset
//
// appended when the segment's max timestamp grows (sparsely, with the offset index) and once
// more when the segment becomes inactive, so the last entry holds the segment's max timestamp.
// Timestamps in the entries never decrease, which makes "first offset at or after time T" a
// binary search followed by a short scan of the log.
import { assert } from '@tributary/common';
import { FixedEntryIndex } from './fixed-entry-index';

export const TIME_INDEX_ENTRY_BYTES = 12;

export interface TimeIndexEntry {
  timestamp: number;
  offset: number;
}

export class TimeIndex extends FixedEntryIndex {
  constructor(baseOffset: number, maxEntries: number) {
    super(baseOffset, maxEntries, TIME_INDEX_ENTRY_BYTES);
  }

  lastEntry(): TimeIndexEntry | undefined {
    return this.count === 0 ? undefined : this.entryAt(this.count - 1);
  }

  entryAt(i: number): TimeIndexEntry {
    const at = i * TIME_INDEX_ENTRY_BYTES;
    return {
      timestamp: Number(this.entries.readBigInt64BE(at)),
      offset: this.baseOffset + this.entries.readInt32BE(at + 8),
    };
  }

  /** Appends when `timestamp` is above the last entry's; returns whether it did. */
  maybeAppend(timestamp: number, offset: number): boolean {
    const last = this.lastEntry();
    if (last !== undefined && timestamp <= last.timestamp) return false;
    if (this.isFull) return false;
    assert(last === undefined || offset >= last.offset, 'time index offsets must not decrease');
    const relative = offset - this.baseOffset;
    assert(relative >= 0 && relative <= 0x7fffffff, `relative offset ${relative} out of range`);
    if (last !== undefined && offset === last.offset) {
      // Same batch, higher timestamp: replace rather than add a duplicate offset.
      this.truncateToCount(this.count - 1);
    }
    const at = this.nextEntryPosition();
    this.entries.writeBigInt64BE(BigInt(timestamp), at);
    this.entries.writeInt32BE(relative, at + 8);
    this.count += 1;
    return true;
  }

  /**
   * The greatest entry whose timestamp is strictly below `timestamp`: every batch up to and
   * including its offset has a max timestamp below the target, so a scan may start there.
   */
  lookupBefore(timestamp: number): TimeIndexEntry | undefined {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (Number(this.entries.readBigInt64BE(mid * TIME_INDEX_ENTRY_BYTES)) < timestamp) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? undefined : this.entryAt(found);
  }

  /** Drops entries for offsets at or past `offset`. */
  truncateToOffset(offset: number): void {
    let count = this.count;
    while (count > 0 && this.entryAt(count - 1).offset >= offset) count -= 1;
    this.truncateToCount(count);
  }

  /** Loads a persisted index, or undefined when it fails the sanity check. */
  static load(
    baseOffset: number,
    maxEntries: number,
    data: Buffer,
    nextOffset: number,
  ): TimeIndex | undefined {
    if (data.length % TIME_INDEX_ENTRY_BYTES !== 0) return undefined;
    const count = data.length / TIME_INDEX_ENTRY_BYTES;
    if (count > maxEntries) return undefined;
    let lastTimestamp = -Infinity;
    let lastRelative = -1;
    for (let i = 0; i < count; i++) {
      const timestamp = Number(data.readBigInt64BE(i * TIME_INDEX_ENTRY_BYTES));
      const relative = data.readInt32BE(i * TIME_INDEX_ENTRY_BYTES + 8);
      if (timestamp <= lastTimestamp || relative < lastRelative || relative < 0) return undefined;
      if (baseOffset + relative >= nextOffset) return undefined;
      lastTimestamp = timestamp;
      lastRelative = relative;
    }
    const index = new TimeIndex(baseOffset, maxEntries);
    index.adopt(data);
    return index;
  }
}
