// What a segment knows about the batches in its .log file without reading them: the next
// offset, the max timestamp and where it is, the timestamp segment.ms counts from, and the two
// sparse indexes (offset -> file position, timestamp -> offset) with their files.
import { assert } from '@tributary/common';
import { type FileSystem } from './file-system';
import { type HandlePool } from './handle-pool';
import { OFFSET_INDEX_ENTRY_BYTES, OffsetIndex } from './offset-index';
import { TIME_INDEX_ENTRY_BYTES, TimeIndex } from './time-index';

export interface SegmentOptions {
  indexIntervalBytes: number;
  /** Entries each index may hold (segment.index.bytes / entry size). */
  maxIndexBytes: number;
}

/** The max timestamp of a run of batches and the base offset of the batch that holds it. */
export interface MaxTimestamp {
  timestamp: number;
  offset: number;
}

export class SegmentIndexes {
  /** The offset after the last batch (baseOffset when empty). */
  nextOffset: number;
  maxTimestamp = -1;
  offsetOfMaxTimestamp: number;
  /** Timestamp that segment.ms counts from: the first batch's max timestamp (as Kafka). */
  rollingTimestamp: number | undefined;
  offsetIndex: OffsetIndex;
  timeIndex: TimeIndex;
  private bytesSinceLastEntry = 0;

  constructor(
    readonly baseOffset: number,
    private readonly options: SegmentOptions,
    readonly indexPath: string,
    readonly timeIndexPath: string,
  ) {
    this.nextOffset = baseOffset;
    this.offsetOfMaxTimestamp = baseOffset;
    this.offsetIndex = new OffsetIndex(baseOffset, this.maxOffsetEntries);
    this.timeIndex = new TimeIndex(baseOffset, this.maxTimeEntries);
  }

  private get maxOffsetEntries(): number {
    return Math.max(1, Math.floor(this.options.maxIndexBytes / OFFSET_INDEX_ENTRY_BYTES));
  }

  private get maxTimeEntries(): number {
    return Math.max(1, Math.floor(this.options.maxIndexBytes / TIME_INDEX_ENTRY_BYTES));
  }

  get isFull(): boolean {
    return this.offsetIndex.isFull || this.timeIndex.isFull;
  }

  /** Forgets every batch: the state of an empty segment, before a scan adds them again. */
  clear(): void {
    this.offsetIndex.clear();
    this.timeIndex.clear();
    this.bytesSinceLastEntry = 0;
    this.nextOffset = this.baseOffset;
    this.maxTimestamp = -1;
    this.offsetOfMaxTimestamp = this.baseOffset;
    this.rollingTimestamp = undefined;
  }

  /** Takes note of the batch at `position`; batches come in offset order. */
  add(
    baseOffset: number,
    lastOffset: number,
    maxTimestamp: number,
    position: number,
    sizeBytes: number,
  ): void {
    assert(baseOffset >= this.nextOffset, 'batches must be indexed in offset order');
    if (this.rollingTimestamp === undefined) this.rollingTimestamp = maxTimestamp;
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMaxTimestamp = baseOffset;
    }
    if (this.bytesSinceLastEntry > this.options.indexIntervalBytes) {
      if (!this.offsetIndex.isFull) this.offsetIndex.append(baseOffset, position);
      this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.bytesSinceLastEntry = 0;
    }
    this.bytesSinceLastEntry += sizeBytes;
    this.nextOffset = lastOffset + 1;
  }

  /**
   * A segment holding batches takes no more appends: the time index's last entry gets its max
   * timestamp.
   */
  seal(): void {
    if (this.maxTimestamp < 0) return;
    // The last entry must hold the segment's max timestamp even when the index is "full".
    const last = this.timeIndex.lastEntry();
    if (last === undefined || this.maxTimestamp > last.timestamp) {
      if (this.timeIndex.isFull) this.timeIndex.truncateToOffset(last?.offset ?? this.baseOffset);
      this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
    }
  }

  /** Writes entries not yet on disk (and trims the files after a truncation). */
  async flush(pool: HandlePool): Promise<void> {
    await flushIndex(pool, this.indexPath, this.offsetIndex, OFFSET_INDEX_ENTRY_BYTES);
    await flushIndex(pool, this.timeIndexPath, this.timeIndex, TIME_INDEX_ENTRY_BYTES);
  }

  /**
   * Loads the offset index of a segment of `sizeBytes` from its file; false when the file is
   * missing or fails the sanity check.
   */
  async loadOffsetIndex(fs: FileSystem, sizeBytes: number): Promise<boolean> {
    const data = await fs.readFileIfExists(this.indexPath);
    const index =
      data === null
        ? undefined
        : OffsetIndex.load(this.baseOffset, this.maxOffsetEntries, data, Math.max(1, sizeBytes));
    if (index === undefined) return false;
    this.offsetIndex = index;
    return true;
  }

  /**
   * Completes a load once the offset index is in and the batches after its last entry were
   * walked: `tail` is what that walk found from `tailStart` to the end of the file. False when
   * the time index is missing or bad (a missing one is fine for an empty segment).
   */
  async loadRest(
    fs: FileSystem,
    tail: {
      nextOffset: number;
      rollingTimestamp: number | undefined;
      tailStart: number;
      sizeBytes: number;
      max: MaxTimestamp;
    },
  ): Promise<boolean> {
    this.nextOffset = tail.nextOffset;
    this.rollingTimestamp = tail.rollingTimestamp;
    this.bytesSinceLastEntry = tail.sizeBytes - tail.tailStart;
    const data = await fs.readFileIfExists(this.timeIndexPath);
    const index =
      data === null
        ? undefined
        : TimeIndex.load(
            this.baseOffset,
            this.maxTimeEntries,
            data,
            Math.max(this.nextOffset, this.baseOffset + 1),
          );
    if (index === undefined && tail.sizeBytes > 0) return false;
    this.timeIndex = index ?? new TimeIndex(this.baseOffset, this.maxTimeEntries);
    const lastTime = this.timeIndex.lastEntry();
    if (lastTime !== undefined && lastTime.timestamp >= tail.max.timestamp) {
      this.maxTimestamp = lastTime.timestamp;
      this.offsetOfMaxTimestamp = lastTime.offset;
    } else {
      this.maxTimestamp = tail.max.timestamp;
      this.offsetOfMaxTimestamp = tail.max.offset;
    }
    return true;
  }
}

async function flushIndex(
  pool: HandlePool,
  file: string,
  index: OffsetIndex | TimeIndex,
  entryBytes: number,
): Promise<void> {
  const bytes = index.bytes();
  const from = index.flushedCount * entryBytes;
  await pool.with(file, async (handle) => {
    if ((await handle.sizeBytes()) !== bytes.length) await handle.truncate(from);
    if (from < bytes.length) await handle.writev([bytes.subarray(from)], from);
    await handle.datasync();
  });
  index.flushedCount = index.entryCount;
}
