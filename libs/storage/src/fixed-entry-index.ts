// What the offset and time indexes share: fixed-size entries in a growable in-memory buffer,
// bounded by a maximum count, with a watermark of entries already written to disk.
import { assert } from '@tributary/common';

export abstract class FixedEntryIndex {
  protected entries: Buffer;
  protected count = 0;
  /** Entries already written to the file; the rest are written by the next flush. */
  flushedCount = 0;

  protected constructor(
    readonly baseOffset: number,
    readonly maxEntries: number,
    private readonly entryBytes: number,
  ) {
    assert(maxEntries > 0, 'an index needs room for at least one entry');
    this.entries = Buffer.alloc(Math.min(maxEntries, 256) * entryBytes);
  }

  get entryCount(): number {
    return this.count;
  }

  get isFull(): boolean {
    return this.count >= this.maxEntries;
  }

  clear(): void {
    this.truncateToCount(0);
  }

  /** Bytes of the entries in use (what the file holds after a flush). */
  bytes(): Buffer {
    return this.entries.subarray(0, this.count * this.entryBytes);
  }

  protected truncateToCount(count: number): void {
    this.count = count;
    this.flushedCount = Math.min(this.flushedCount, count);
  }

  /** Byte position of a new entry, growing the buffer when needed. */
  protected nextEntryPosition(): number {
    const needed = (this.count + 1) * this.entryBytes;
    if (needed > this.entries.length) {
      const grown = Buffer.alloc(
        Math.min(this.maxEntries * this.entryBytes, this.entries.length * 2),
      );
      this.entries.copy(grown);
      this.entries = grown;
    }
    return this.count * this.entryBytes;
  }

  /** Takes over entries read from a file (already sanity-checked by the caller). */
  protected adopt(data: Buffer): void {
    this.entries = Buffer.alloc(Math.max(data.length, this.entryBytes * 64));
    data.copy(this.entries);
    this.count = data.length / this.entryBytes;
    this.flushedCount = this.count;
  }
}
