// One segment of a partition log: the .log file holding whole RecordBatches back to back, and
// its offset and time indexes. Files are named by the base offset padded to 20 digits, so that
// `ls` lists them in offset order (Kafka's layout).
import * as path from 'node:path';
import { assert, BrokerError } from '@tributary/common';
import { BATCH_HEADER_BYTES, type ProducerFields, readProducerFields } from '@tributary/protocol';
import {
  checkHeader,
  FileWindow,
  isPlausible,
  type ScannedBatch,
  type ScanStop,
  verifyBatches,
  walkBatches,
} from './batch-scan';
import { type FileSystem } from './file-system';
import { type HandlePool } from './handle-pool';
import { type MaxTimestamp, SegmentIndexes, type SegmentOptions } from './segment-indexes';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
/** How much of what this process appended last counts as surely in the page cache. */
const HOT_TAIL_BYTES = 16 * 1024 * 1024;
/** Reads of a scan over a whole file (recovery, the load-time check) come this large. */
const VERIFY_CHUNK_BYTES = 1024 * 1024;

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

export { type SegmentOptions } from './segment-indexes';

export interface RecoveryResult {
  validBytes: number;
  truncatedBytes: number;
  /** Where and why the scan stopped before the end of the file (undefined: it did not). */
  stop: ScanStop | undefined;
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
  private readonly indexes: SegmentIndexes;
  private deleted = false;

  constructor(
    readonly dir: string,
    readonly baseOffset: number,
    private readonly fs: FileSystem,
    private readonly pool: HandlePool,
    options: SegmentOptions,
  ) {
    assert(Number.isSafeInteger(baseOffset) && baseOffset >= 0, 'bad segment base offset');
    this.logPath = path.join(dir, segmentFileName(baseOffset, LOG_SUFFIX));
    this.indexPath = path.join(dir, segmentFileName(baseOffset, INDEX_SUFFIX));
    this.timeIndexPath = path.join(dir, segmentFileName(baseOffset, TIME_INDEX_SUFFIX));
    this.indexes = new SegmentIndexes(baseOffset, options, this.indexPath, this.timeIndexPath);
  }

  /** The offset after the last batch in this segment (baseOffset when empty). */
  get nextOffset(): number {
    return this.indexes.nextOffset;
  }

  get maxTimestamp(): number {
    return this.indexes.maxTimestamp;
  }

  /** Timestamp that segment.ms counts from: the first batch's max timestamp (as Kafka). */
  get rollingTimestamp(): number | undefined {
    return this.indexes.rollingTimestamp;
  }

  get isEmpty(): boolean {
    return this.sizeBytes === 0;
  }

  get indexesFull(): boolean {
    return this.indexes.isFull;
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
      this.indexes.add(
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

  async sync(): Promise<void> {
    await this.pool.with(this.logPath, (handle) => handle.datasync());
  }

  /** Writes index entries not yet on disk (and trims files after a truncation). */
  flushIndexes(): Promise<void> {
    return this.indexes.flush(this.pool);
  }

  /** The segment stops taking appends: record its max timestamp in the time index, flush. */
  async onBecomeInactive(): Promise<void> {
    if (!this.isEmpty) this.indexes.seal();
    await this.flushIndexes();
  }

  private async window<T>(fn: (window: FileWindow) => Promise<T>, chunkBytes?: number): Promise<T> {
    // The tail this process appended lately is in the page cache: reads there (consumers at
    // the head of the log, long-polls just woken) need not go through the threadpool.
    const cachedFrom = Math.max(this.appendedFrom, this.sizeBytes - HOT_TAIL_BYTES);
    return this.pool.with(this.logPath, (handle) =>
      fn(new FileWindow(handle, this.sizeBytes, cachedFrom, chunkBytes)),
    );
  }

  /** The first batch whose last offset is >= `offset`, scanning from the index. */
  private async findBatch(window: FileWindow, offset: number): Promise<ScannedBatch | undefined> {
    let position = this.indexes.offsetIndex.lookup(offset).position;
    while (position < window.endPosition) {
      const header = await window.header(position);
      if (header === undefined) return undefined;
      checkHeader(header, this.sizeBytes, this.logPath);
      if (header.lastOffset >= offset) return header;
      position += header.sizeBytes;
    }
    return undefined;
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
        checkHeader(header, this.sizeBytes, this.logPath);
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
      verifyBatches(records, this.logPath, first.position);
      return { records, firstOffset: first.baseOffset, nextOffset };
    });
  }

  /** The first batch, from `startingOffset`, whose max timestamp is >= `timestamp`. */
  async findBatchByTimestamp(
    timestamp: number,
    startingOffset: number,
  ): Promise<SegmentRead | undefined> {
    if (this.isEmpty || this.maxTimestamp < timestamp) return undefined;
    const entry = this.indexes.timeIndex.lookupBefore(timestamp);
    const from = Math.max(entry?.offset ?? this.baseOffset, startingOffset);
    return this.window(async (window) => {
      let position = this.indexes.offsetIndex.lookup(from).position;
      while (position < window.endPosition) {
        const header = await window.header(position);
        if (header === undefined) return undefined;
        checkHeader(header, this.sizeBytes, this.logPath);
        if (header.lastOffset >= startingOffset && header.maxTimestamp >= timestamp) {
          await window.ensure(position, header.sizeBytes);
          const records = Buffer.from(window.view(position, header.sizeBytes));
          verifyBatches(records, this.logPath, position);
          return { records, firstOffset: header.baseOffset, nextOffset: header.lastOffset + 1 };
        }
        position += header.sizeBytes;
      }
      return undefined;
    });
  }

  /**
   * Calls `visit` with the producer fields and offsets of every batch from the one holding
   * `offset` on that carries a producer id (headers only: rebuilding producer state reads
   * 61 bytes of each batch, not its records).
   */
  async scanProducerBatches(
    offset: number,
    visit: (batch: ProducerFields & { baseOffset: number; lastOffset: number }) => void,
  ): Promise<void> {
    if (offset >= this.nextOffset) return;
    await this.window(async (window) => {
      const first = await this.findBatch(window, offset);
      let position = first?.position ?? window.endPosition;
      while (position < window.endPosition) {
        const header = await window.header(position);
        if (header === undefined) break;
        checkHeader(header, this.sizeBytes, this.logPath);
        const fields = readProducerFields(window.view(position, BATCH_HEADER_BYTES));
        if (fields.producerId >= 0) {
          visit({ ...fields, baseOffset: header.baseOffset, lastOffset: header.lastOffset });
        }
        position += header.sizeBytes;
      }
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
    this.indexes.clear();
    const epochStarts: RecoveryResult['epochStarts'] = [];
    let lastEpoch: number | undefined;
    const walked = await this.window(
      (window) =>
        walkBatches(window, this.baseOffset, checkCrc, (header) => {
          if (header.leaderEpoch >= 0 && header.leaderEpoch !== lastEpoch) {
            lastEpoch = header.leaderEpoch;
            epochStarts.push({ epoch: header.leaderEpoch, startOffset: header.baseOffset });
          }
          this.indexes.add(
            header.baseOffset,
            header.lastOffset,
            header.maxTimestamp,
            header.position,
            header.sizeBytes,
          );
        }),
      checkCrc ? VERIFY_CHUNK_BYTES : undefined,
    );
    this.sizeBytes = walked.validBytes;
    return { validBytes: walked.validBytes, epochStarts, stop: walked.stop };
  }

  /**
   * Checks every batch of a loaded segment as recovery would (length, magic, CRC32C, dense
   * offsets from the base offset to the loaded next offset) without touching its indexes or
   * file. False sends the segment to `recover()`, which finds and cuts the damage.
   */
  async verify(): Promise<boolean> {
    let nextOffset = this.baseOffset;
    const walked = await this.window(
      (window) =>
        walkBatches(window, this.baseOffset, true, (header) => {
          nextOffset = header.lastOffset + 1;
        }),
      VERIFY_CHUNK_BYTES,
    );
    return walked.stop === undefined && nextOffset === this.nextOffset;
  }

  /**
   * Opens a segment that a clean run left behind: size from the file, indexes from disk when
   * they pass the sanity check, next offset by scanning after the last entry. Reports what it
   * found instead of repairing: the loader then runs `recover()`.
   */
  async load(): Promise<'loaded' | 'bad-index' | 'bad-tail'> {
    this.sizeBytes = await this.pool.with(this.logPath, (handle) => handle.sizeBytes());
    if (!(await this.indexes.loadOffsetIndex(this.fs, this.sizeBytes))) return 'bad-index';
    // Walk the tail after the last index entry: finds the next offset and max timestamp.
    const tailStart = this.indexes.offsetIndex.lastEntry()?.position ?? 0;
    const tail = await this.window(async (window) => {
      let position = tailStart;
      let last: ScannedBatch | undefined;
      const max: MaxTimestamp = { timestamp: -1, offset: this.baseOffset };
      let first: ScannedBatch | undefined;
      while (position < this.sizeBytes) {
        const header = await window.header(position);
        if (header === undefined || !isPlausible(header, this.baseOffset, this.sizeBytes)) break;
        first ??= header;
        if (header.maxTimestamp > max.timestamp) {
          max.timestamp = header.maxTimestamp;
          max.offset = header.baseOffset;
        }
        last = header;
        position += header.sizeBytes;
      }
      const head = tailStart === 0 ? first : await window.header(0);
      return { last, max, position, head };
    });
    if (tail.position !== this.sizeBytes) return 'bad-tail';
    const loaded = await this.indexes.loadRest(this.fs, {
      nextOffset: tail.last === undefined ? this.baseOffset : tail.last.lastOffset + 1,
      rollingTimestamp: tail.head?.maxTimestamp,
      tailStart,
      sizeBytes: this.sizeBytes,
      max: tail.max,
    });
    return loaded ? 'loaded' : 'bad-index';
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
