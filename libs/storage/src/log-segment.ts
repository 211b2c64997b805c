// One segment of a partition log: the .log file holding whole RecordBatches back to back, and
// its offset and time indexes. Files are named by the base offset padded to 20 digits, so that
// `ls` lists them in offset order (Kafka's layout).
import * as path from 'node:path';
import { assert, BrokerError } from '@tributary/common';
import { BATCH_HEADER_BYTES, validateBatch } from '@tributary/protocol';
import { FileWindow, RECOVERY_BATCH_BYTES_MAX, type ScannedBatch } from './batch-scan';
import { type FileSystem } from './file-system';
import { type HandlePool } from './handle-pool';
import { OFFSET_INDEX_ENTRY_BYTES, OffsetIndex } from './offset-index';
import { TIME_INDEX_ENTRY_BYTES, TimeIndex } from './time-index';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
/** How much of what this process appended last counts as surely in the page cache. */
const HOT_TAIL_BYTES = 16 * 1024 * 1024;

export function segmentFileName(baseOffset: number, suffix: string): string {
  return `${String(baseOffset).padStart(20, '0')}${suffix}`;
}

/** A batch that the appender has stamped with its offsets, ready to be written. */
export interface StampedBatch {
  buf: Buffer;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  leaderEpoch: number;
}

export interface SegmentOptions {
  indexIntervalBytes: number;
  /** Entries each index may hold (segment.index.bytes / entry size). */
  maxIndexBytes: number;
}

export interface RecoveryResult {
  validBytes: number;
  truncatedBytes: number;
  /** (epoch, first offset) for every change of leader epoch seen in the segment. */
  epochStarts: { epoch: number; startOffset: number }[];
}

export interface SegmentRead {
  /** Whole batches, each CRC-checked. */
  records: Buffer;
  firstOffset: number;
  /** The offset after the last batch returned. */
  nextOffset: number;
}

export class LogSegment {
  readonly logPath: string;
  readonly indexPath: string;
  readonly timeIndexPath: string;
  sizeBytes = 0;
  /** Where this process's appends to the segment began (Infinity: none yet). */
  private appendedFrom = Infinity;
  /** The offset after the last batch in this segment (baseOffset when empty). */
  nextOffset: number;
  maxTimestamp = -1;
  private offsetOfMaxTimestamp: number;
  /** Timestamp that segment.ms counts from: the first batch's max timestamp (as Kafka). */
  rollingTimestamp: number | undefined;
  offsetIndex: OffsetIndex;
  timeIndex: TimeIndex;
  private bytesSinceLastIndexEntry = 0;
  private deleted = false;

  constructor(
    readonly dir: string,
    readonly baseOffset: number,
    private readonly fs: FileSystem,
    private readonly pool: HandlePool,
    private readonly options: SegmentOptions,
  ) {
    assert(Number.isSafeInteger(baseOffset) && baseOffset >= 0, 'bad segment base offset');
    this.logPath = path.join(dir, segmentFileName(baseOffset, LOG_SUFFIX));
    this.indexPath = path.join(dir, segmentFileName(baseOffset, INDEX_SUFFIX));
    this.timeIndexPath = path.join(dir, segmentFileName(baseOffset, TIME_INDEX_SUFFIX));
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

  get isEmpty(): boolean {
    return this.sizeBytes === 0;
  }

  get indexesFull(): boolean {
    return this.offsetIndex.isFull || this.timeIndex.isFull;
  }

  /** Creates the (empty) log file so that the segment exists on disk. */
  async create(): Promise<void> {
    await this.pool.with(this.logPath, async () => undefined);
  }

  /** Writes stamped batches at the end of the file, then indexes them. */
  async append(batches: readonly StampedBatch[]): Promise<void> {
    assert(!this.deleted, 'append to a deleted segment');
    if (batches.length === 0) return;
    const first = batches[0]!;
    assert(
      first.baseOffset >= this.nextOffset,
      () => `append at ${first.baseOffset} below ${this.nextOffset}`,
    );
    const start = this.sizeBytes;
    this.appendedFrom = Math.min(this.appendedFrom, start);
    await this.pool.with(this.logPath, (handle) =>
      handle.writev(
        batches.map((b) => b.buf),
        start,
      ),
    );
    let position = start;
    for (const batch of batches) {
      this.indexBatch(
        batch.baseOffset,
        batch.lastOffset,
        batch.maxTimestamp,
        position,
        batch.buf.length,
      );
      position += batch.buf.length;
    }
    this.sizeBytes = position;
    assert(this.sizeBytes <= 0x7fffffff, 'segment grew past 2 GiB');
  }

  private indexBatch(
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
    if (this.bytesSinceLastIndexEntry > this.options.indexIntervalBytes) {
      if (!this.offsetIndex.isFull) this.offsetIndex.append(baseOffset, position);
      this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += sizeBytes;
    this.nextOffset = lastOffset + 1;
  }

  async sync(): Promise<void> {
    await this.pool.with(this.logPath, (handle) => handle.datasync());
  }

  /** Writes index entries not yet on disk (and trims files after a truncation). */
  async flushIndexes(): Promise<void> {
    await this.flushIndex(this.indexPath, this.offsetIndex, OFFSET_INDEX_ENTRY_BYTES);
    await this.flushIndex(this.timeIndexPath, this.timeIndex, TIME_INDEX_ENTRY_BYTES);
  }

  private async flushIndex(
    file: string,
    index: OffsetIndex | TimeIndex,
    entryBytes: number,
  ): Promise<void> {
    const bytes = index.bytes();
    const from = index.flushedCount * entryBytes;
    await this.pool.with(file, async (handle) => {
      if ((await handle.sizeBytes()) !== bytes.length) await handle.truncate(from);
      if (from < bytes.length) await handle.writev([bytes.subarray(from)], from);
      await handle.datasync();
    });
    index.flushedCount = index.entryCount;
  }

  /** The segment stops taking appends: record its max timestamp in the time index, flush. */
  async onBecomeInactive(): Promise<void> {
    if (this.maxTimestamp >= 0 && !this.isEmpty) {
      // The last entry must hold the segment's max timestamp even when the index is "full".
      const last = this.timeIndex.lastEntry();
      if (last === undefined || this.maxTimestamp > last.timestamp) {
        if (this.timeIndex.isFull) this.timeIndex.truncateToOffset(last?.offset ?? this.baseOffset);
        this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      }
    }
    await this.flushIndexes();
  }

  private async window<T>(fn: (window: FileWindow) => Promise<T>): Promise<T> {
    // The tail this process appended lately is in the page cache: reads there (consumers at
    // the head of the log, long-polls just woken) need not go through the threadpool.
    const cachedFrom = Math.max(this.appendedFrom, this.sizeBytes - HOT_TAIL_BYTES);
    return this.pool.with(this.logPath, (handle) =>
      fn(new FileWindow(handle, this.sizeBytes, cachedFrom)),
    );
  }

  /** The first batch whose last offset is >= `offset`, scanning from the index. */
  private async findBatch(window: FileWindow, offset: number): Promise<ScannedBatch | undefined> {
    let position = this.offsetIndex.lookup(offset).position;
    while (position < window.endPosition) {
      const header = await window.header(position);
      if (header === undefined) return undefined;
      this.checkScanned(header);
      if (header.lastOffset >= offset) return header;
      position += header.sizeBytes;
    }
    return undefined;
  }

  private isPlausible(header: ScannedBatch, minBaseOffset: number): boolean {
    return (
      header.sizeBytes >= BATCH_HEADER_BYTES &&
      header.sizeBytes <= RECOVERY_BATCH_BYTES_MAX &&
      header.baseOffset >= Math.max(minBaseOffset, this.baseOffset) &&
      header.lastOffset >= header.baseOffset &&
      header.position + header.sizeBytes <= this.sizeBytes
    );
  }

  private checkScanned(header: ScannedBatch): void {
    if (
      header.sizeBytes < BATCH_HEADER_BYTES ||
      header.position + header.sizeBytes > this.sizeBytes ||
      header.lastOffset < header.baseOffset
    ) {
      throw new BrokerError(
        'CORRUPT_RECORD',
        `corrupt batch header at ${this.logPath}:${header.position}`,
      );
    }
  }

  /**
   * Whole batches starting with the one that holds `offset`: at least one batch (even when
   * larger than `maxBytes`), then more while they fit in `maxBytes` and end below `maxOffset`.
   * Every batch returned has passed its CRC32C.
   */
  async read(
    offset: number,
    maxBytes: number,
    maxOffset: number,
  ): Promise<SegmentRead | undefined> {
    if (offset >= this.nextOffset || offset >= maxOffset) return undefined;
    return this.window(async (window) => {
      const first = await this.findBatch(window, offset);
      if (first === undefined || first.lastOffset >= maxOffset) return undefined;
      // Bounded by the segment's size when the read began: an append finishing during the
      // read's awaits must not stretch the range past what the window may read.
      const wanted = Math.max(
        first.sizeBytes,
        Math.min(maxBytes, window.endPosition - first.position),
      );
      if (!(await window.ensure(first.position, wanted))) {
        throw new BrokerError('CORRUPT_RECORD', `short read in ${this.logPath}`);
      }
      let end = first.position + first.sizeBytes;
      let nextOffset = first.lastOffset + 1;
      while (end < window.endPosition && end - first.position < wanted) {
        const header = await window.header(end);
        if (header === undefined) break;
        this.checkScanned(header);
        if (header.lastOffset >= maxOffset) break;
        if (end + header.sizeBytes - first.position > wanted) break;
        end += header.sizeBytes;
        nextOffset = header.lastOffset + 1;
      }
      // `header()` may have moved the window; make sure the whole range is in memory.
      if (!(await window.ensure(first.position, end - first.position))) {
        throw new BrokerError('CORRUPT_RECORD', `short read in ${this.logPath}`);
      }
      const records = window.view(first.position, end - first.position);
      this.verify(records, first.position);
      return { records, firstOffset: first.baseOffset, nextOffset };
    });
  }

  /** Checks every batch in `records` (read from `position`) before it is served. */
  private verify(records: Buffer, position: number): void {
    let at = 0;
    while (at < records.length) {
      const result = validateBatch(records, at, RECOVERY_BATCH_BYTES_MAX);
      if (!result.ok) {
        throw new BrokerError(
          'CORRUPT_RECORD',
          `batch at ${this.logPath}:${position + at} failed its check (${result.problem})`,
        );
      }
      at += result.sizeBytes;
    }
  }

  /** The first batch, from `startingOffset`, whose max timestamp is >= `timestamp`. */
  async findBatchByTimestamp(
    timestamp: number,
    startingOffset: number,
  ): Promise<SegmentRead | undefined> {
    if (this.isEmpty || this.maxTimestamp < timestamp) return undefined;
    const entry = this.timeIndex.lookupBefore(timestamp);
    const from = Math.max(entry?.offset ?? this.baseOffset, startingOffset);
    return this.window(async (window) => {
      let position = this.offsetIndex.lookup(from).position;
      while (position < window.endPosition) {
        const header = await window.header(position);
        if (header === undefined) return undefined;
        this.checkScanned(header);
        if (header.lastOffset >= startingOffset && header.maxTimestamp >= timestamp) {
          await window.ensure(position, header.sizeBytes);
          const records = Buffer.from(window.view(position, header.sizeBytes));
          this.verify(records, position);
          return { records, firstOffset: header.baseOffset, nextOffset: header.lastOffset + 1 };
        }
        position += header.sizeBytes;
      }
      return undefined;
    });
  }

  /**
   * Removes every batch whose last offset is >= `offset` (a batch holding `offset` goes whole).
   * Returns the bytes removed.
   */
  async truncateTo(offset: number): Promise<number> {
    if (offset >= this.nextOffset) return 0;
    const cut = await this.window(
      async (window) => (await this.findBatch(window, offset))?.position,
    );
    const position = cut ?? this.sizeBytes;
    const removed = this.sizeBytes - position;
    await this.pool.with(this.logPath, (handle) => handle.truncate(position));
    await this.rebuildState(position);
    return removed;
  }

  /** Recomputes next offset, max timestamp and indexes for the first `sizeBytes` bytes. */
  private async rebuildState(sizeBytes: number): Promise<void> {
    this.sizeBytes = sizeBytes;
    await this.scanAndIndex(false);
  }

  /**
   * Reads the whole file, checking every batch (length, magic, CRC32C, offsets increasing),
   * rebuilds both indexes, and truncates the file at the first batch that fails.
   */
  async recover(): Promise<RecoveryResult> {
    const fileSize = await this.pool.with(this.logPath, (handle) => handle.sizeBytes());
    this.sizeBytes = fileSize;
    const result = await this.scanAndIndex(true);
    if (result.validBytes < fileSize) {
      await this.pool.with(this.logPath, async (handle) => {
        await handle.truncate(result.validBytes);
        await handle.datasync();
      });
    }
    this.sizeBytes = result.validBytes;
    await this.flushIndexes();
    return { ...result, truncatedBytes: fileSize - result.validBytes };
  }

  private async scanAndIndex(checkCrc: boolean): Promise<Omit<RecoveryResult, 'truncatedBytes'>> {
    this.offsetIndex.clear();
    this.timeIndex.clear();
    this.bytesSinceLastIndexEntry = 0;
    this.nextOffset = this.baseOffset;
    this.maxTimestamp = -1;
    this.offsetOfMaxTimestamp = this.baseOffset;
    this.rollingTimestamp = undefined;
    const epochStarts: RecoveryResult['epochStarts'] = [];
    let lastEpoch: number | undefined;
    const validBytes = await this.window(async (window) => {
      let position = 0;
      while (position < this.sizeBytes) {
        const header = await window.header(position);
        if (header === undefined) break;
        if (!this.isPlausible(header, this.nextOffset)) break;
        if (checkCrc) {
          if (!(await window.ensure(position, header.sizeBytes))) break;
          const bytes = window.view(position, header.sizeBytes);
          if (!validateBatch(bytes, 0, RECOVERY_BATCH_BYTES_MAX).ok) break;
        }
        if (header.leaderEpoch >= 0 && header.leaderEpoch !== lastEpoch) {
          lastEpoch = header.leaderEpoch;
          epochStarts.push({ epoch: header.leaderEpoch, startOffset: header.baseOffset });
        }
        this.indexBatch(
          header.baseOffset,
          header.lastOffset,
          header.maxTimestamp,
          position,
          header.sizeBytes,
        );
        position += header.sizeBytes;
      }
      return position;
    });
    this.sizeBytes = validBytes;
    return { validBytes, epochStarts };
  }

  /**
   * Opens a segment that a clean run left behind: size from the file, indexes from disk when
   * they pass the sanity check, next offset by scanning after the last entry. Reports what it
   * found instead of repairing: the loader then runs `recover()`.
   */
  async load(): Promise<'loaded' | 'bad-index' | 'bad-tail'> {
    this.sizeBytes = await this.pool.with(this.logPath, (handle) => handle.sizeBytes());
    const offsetData = await this.fs.readFileIfExists(this.indexPath);
    const offsetIndex =
      offsetData === null
        ? undefined
        : OffsetIndex.load(
            this.baseOffset,
            this.maxOffsetEntries,
            offsetData,
            Math.max(1, this.sizeBytes),
          );
    if (offsetIndex === undefined) return 'bad-index';
    this.offsetIndex = offsetIndex;
    // Walk the tail after the last index entry: finds the next offset and max timestamp.
    const tailStart = offsetIndex.lastEntry()?.position ?? 0;
    const tail = await this.window(async (window) => {
      let position = tailStart;
      let last: ScannedBatch | undefined;
      let maxTimestamp = -1;
      let offsetOfMax = this.baseOffset;
      let first: ScannedBatch | undefined;
      while (position < this.sizeBytes) {
        const header = await window.header(position);
        if (header === undefined || !this.isPlausible(header, -1)) break;
        first ??= header;
        if (header.maxTimestamp > maxTimestamp) {
          maxTimestamp = header.maxTimestamp;
          offsetOfMax = header.baseOffset;
        }
        last = header;
        position += header.sizeBytes;
      }
      const head = tailStart === 0 ? first : await window.header(0);
      return { last, maxTimestamp, offsetOfMax, position, head };
    });
    if (tail.position !== this.sizeBytes) return 'bad-tail';
    this.nextOffset = tail.last === undefined ? this.baseOffset : tail.last.lastOffset + 1;
    this.rollingTimestamp = tail.head?.maxTimestamp;
    this.bytesSinceLastIndexEntry = this.sizeBytes - tailStart;
    const timeData = await this.fs.readFileIfExists(this.timeIndexPath);
    const timeIndex =
      timeData === null
        ? undefined
        : TimeIndex.load(
            this.baseOffset,
            this.maxTimeEntries,
            timeData,
            Math.max(this.nextOffset, this.baseOffset + 1),
          );
    if (timeIndex === undefined && !this.isEmpty) return 'bad-index';
    this.timeIndex = timeIndex ?? new TimeIndex(this.baseOffset, this.maxTimeEntries);
    const lastTime = this.timeIndex.lastEntry();
    if (lastTime !== undefined && lastTime.timestamp >= tail.maxTimestamp) {
      this.maxTimestamp = lastTime.timestamp;
      this.offsetOfMaxTimestamp = lastTime.offset;
    } else {
      this.maxTimestamp = tail.maxTimestamp;
      this.offsetOfMaxTimestamp = tail.offsetOfMax;
    }
    return 'loaded';
  }

  /** Removes the segment's files. */
  async delete(): Promise<void> {
    this.deleted = true;
    for (const file of [this.logPath, this.indexPath, this.timeIndexPath]) {
      this.pool.forget(file);
      await this.fs.unlink(file);
    }
  }

  /** Closes the segment's files (they stay on disk). */
  close(): void {
    for (const file of [this.logPath, this.indexPath, this.timeIndexPath]) this.pool.forget(file);
  }
}
