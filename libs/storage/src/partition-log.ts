// One partition's log (Kafka's UnifiedLog over LocalLog): the ordered segments, the offsets
// that bound what exists (log start, log end) and what may be read (high watermark), appends
// through group commit, reads of whole CRC-checked batches, truncation, retention and
// delete-records. Everything that changes files runs serially through the appender.
import * as path from 'node:path';
import { assert, BrokerError, type Clock, LIMITS, systemClock } from '@tributary/common';
import { assignBatchOffsets } from '@tributary/protocol';
import { type AppendOptions, checkAppendBatch, splitFollowerBatches } from './append-check';
import { type FileSystem } from './file-system';
import { GroupCommitAppender } from './group-commit-appender';
import { type HandlePool } from './handle-pool';
import { type LeaderEpochCache } from './leader-epoch-cache';
import { checkLogConfig, type LogConfig } from './log-config';
import { type LoadStats, loadLog, segmentOptions, writePartitionCheckpoint } from './log-loader';
import { LogSegment, type StampedBatch } from './log-segment';
import { LogSegments } from './log-segments';
import { ProducerLog } from './producer-log';
import { type ProducerStateLimits } from './producer-state';
import { RetentionPolicy } from './retention';

export interface PartitionLogOptions {
  dir: string;
  fs: FileSystem;
  pool: HandlePool;
  config: LogConfig;
  clock?: Clock;
  pendingAppendBytesMax?: number;
  /**
   * With a single replica the high watermark follows the log end once data is durable (after
   * its fdatasync for `fsync`, after its write for `replicated`). The cluster sets it itself.
   */
  highWatermarkFollowsEnd?: boolean;
  /** Idempotent producers remembered, and for how long (LIMITS by default). */
  producerLimits?: Partial<ProducerStateLimits>;
}

function producerLimits(options: PartitionLogOptions): ProducerStateLimits {
  return {
    entriesMax: options.producerLimits?.entriesMax ?? LIMITS.idempotentProducersPerPartitionMax,
    windowMs: options.producerLimits?.windowMs ?? LIMITS.idempotencyWindowMs,
  };
}

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  /**
   * The batch repeats its idempotent producer's last one: nothing was written, and the offsets
   * are those of the first write (which has completed, as an append would have).
   */
  duplicate: boolean;
}

export interface LogReadResult {
  /** Whole batches; the first may start before the requested offset. Empty at the end. */
  records: Buffer;
  nextOffset: number;
  highWatermark: number;
  logStartOffset: number;
  logEndOffset: number;
}

export type LogListener = (event: { highWatermark: number; logEndOffset: number }) => void;

export class PartitionLog {
  private readonly appender: GroupCommitAppender<StampedBatch>;
  private readonly listeners = new Set<LogListener>();
  private readonly clock: Clock;
  private readonly followEnd: boolean;
  /** Next offset to assign (appends queued but not yet written are below it). */
  private nextOffsetToAssign: number;
  private logEnd: number;
  private durableEnd: number;
  /** The end of what appends have resolved: written, and synced for `fsync` durability. */
  private ackedEnd: number;
  private hw: number;
  private startOffset: number;
  private config: LogConfig;
  private epochDirty = false;
  private flushTimer: NodeJS.Timeout | undefined;
  private closed = false;
  leaderEpoch = 0;

  private constructor(
    private readonly options: PartitionLogOptions,
    private readonly segments: LogSegments,
    private readonly epochCache: LeaderEpochCache,
    loaded: { logStartOffset: number; highWatermark: number },
    readonly loadStats: LoadStats,
    private readonly producers: ProducerLog,
  ) {
    this.clock = options.clock ?? systemClock;
    this.config = { ...options.config };
    this.followEnd = options.highWatermarkFollowsEnd ?? true;
    this.startOffset = loaded.logStartOffset;
    this.logEnd = segments.active().nextOffset;
    this.nextOffsetToAssign = this.logEnd;
    this.durableEnd = this.logEnd;
    this.ackedEnd = this.logEnd;
    this.hw = this.followEnd ? this.logEnd : loaded.highWatermark;
    this.leaderEpoch = Math.max(0, epochCache.latest()?.epoch ?? 0);
    const sink = {
      write: (batches: readonly StampedBatch[]) => this.writeGroup(batches),
      // Only the active segment can hold unsynced bytes: roll() syncs the old one before it
      // makes a new one active.
      sync: () => this.segments.active().sync(),
      acknowledge: (batches: readonly StampedBatch[], durable: boolean) =>
        this.acknowledge(batches, durable),
    };
    this.appender = new GroupCommitAppender(sink, {
      pendingBytesMax: options.pendingAppendBytesMax ?? LIMITS.pendingAppendBytesMax,
      groupBytesMax: LIMITS.groupCommitBytesMax,
    });
    this.armFlushTimer();
  }

  static async open(options: PartitionLogOptions): Promise<PartitionLog> {
    checkLogConfig(options.config);
    const loaded = await loadLog(options.fs, options.pool, options.dir, options.config);
    const segments = new LogSegments(loaded.segments);
    const producers = await ProducerLog.open(
      options.fs,
      options.dir,
      segments,
      producerLimits(options),
      options.clock ?? systemClock,
    );
    const log = new PartitionLog(
      options,
      segments,
      loaded.epochCache,
      loaded,
      loaded.stats,
      producers,
    );
    // What the load scanned need not be scanned again after the next crash.
    await producers.snapshot(log.logEnd);
    return log;
  }

  get dir(): string {
    return this.options.dir;
  }
  get logStartOffset(): number {
    return this.startOffset;
  }
  /** The offset after the last batch written to the file. */
  get logEndOffset(): number {
    return this.logEnd;
  }
  get highWatermark(): number {
    return this.hw;
  }
  /** Everything below this offset is on disk (fdatasync'ed). */
  get durableEndOffset(): number {
    return this.durableEnd;
  }
  /**
   * Everything below this offset has been acknowledged to its appender: written, and synced
   * for `fsync` durability. What this replica contributes to the high watermark.
   */
  get acknowledgedEndOffset(): number {
    return this.ackedEnd;
  }
  get sizeBytes(): number {
    return this.segments.sizeBytes();
  }
  get segmentCount(): number {
    return this.segments.count;
  }
  get currentConfig(): Readonly<LogConfig> {
    return this.config;
  }
  get epochs(): LeaderEpochCache {
    return this.epochCache;
  }

  updateConfig(config: LogConfig): void {
    checkLogConfig(config);
    this.config = { ...config };
    this.armFlushTimer();
  }

  addListener(listener: LogListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Appends one RecordBatch: checks it (size, framing, count, and the CRC unless
   * `options.crcVerified`), assigns its offsets and leader epoch in place (`batch` is
   * modified), and resolves once it is written and, with `fsync` durability, synced. Offsets
   * are assigned at call time, so they follow call order.
   */
  async append(
    batch: Buffer,
    leaderEpoch: number = this.leaderEpoch,
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    // Everything up to the first await runs synchronously, so offsets follow call order.
    if (this.closed) throw new BrokerError('STORAGE_ERROR', 'log is closed');
    const header = checkAppendBatch(batch, this.config.maxMessageBytes, options);
    const producer = this.producers.check(batch);
    if (producer?.duplicate !== undefined)
      return { ...(await producer.duplicate), duplicate: true };
    this.appender.checkCapacity(batch.length);
    const baseOffset = this.nextOffsetToAssign;
    const lastOffset = baseOffset + header.lastOffsetDelta;
    assignBatchOffsets(batch, 0, baseOffset, leaderEpoch);
    this.nextOffsetToAssign = lastOffset + 1;
    if (this.epochCache.assign(leaderEpoch, baseOffset)) this.epochDirty = true;
    const stamped: StampedBatch = {
      buf: batch,
      baseOffset,
      lastOffset,
      maxTimestamp: header.maxTimestamp,
      leaderEpoch,
    };
    const written = this.appender.enqueue(stamped, batch.length);
    if (producer !== undefined)
      this.producers.appended(producer.fields, baseOffset, lastOffset, written);
    await written;
    return { baseOffset, lastOffset, duplicate: false };
  }

  /**
   * A follower's append: batches copied from the leader, offsets and leader epochs as the
   * leader stamped them. They must continue this log densely from its end (after any
   * truncation the divergence called for). Every batch's CRC is checked: these bytes crossed
   * the network. Resolves once all are written (and synced, for `fsync` durability).
   */
  async appendAsFollower(records: Buffer): Promise<{ lastOffset: number }> {
    if (this.closed) throw new BrokerError('STORAGE_ERROR', 'log is closed');
    const batches = splitFollowerBatches(records, this.nextOffsetToAssign);
    this.appender.checkCapacity(records.length);
    const written: Promise<void>[] = [];
    for (const batch of batches) {
      this.nextOffsetToAssign = batch.lastOffset + 1;
      if (this.epochCache.assign(batch.leaderEpoch, batch.baseOffset)) this.epochDirty = true;
      this.producers.copied(batch.buf, batch.baseOffset, batch.lastOffset);
      written.push(this.appender.enqueue(batch, batch.buf.length));
    }
    await Promise.all(written);
    return { lastOffset: this.nextOffsetToAssign - 1 };
  }

  /** Writes one group (called serially by the appender, which syncs and acknowledges it). */
  private async writeGroup(batches: readonly StampedBatch[]): Promise<{ needsSync: boolean }> {
    if (this.epochDirty) {
      this.epochDirty = false;
      await this.epochCache.checkpoint();
    }
    let run: StampedBatch[] = [];
    let segment = this.segments.active();
    for (const batch of batches) {
      if (this.shouldRoll(segment, batch)) {
        await segment.append(run);
        run = [];
        segment = await this.roll(batch.baseOffset);
      }
      run.push(batch);
    }
    await segment.append(run);
    const last = batches[batches.length - 1]!;
    assert(segment.nextOffset === last.lastOffset + 1, 'log end does not match the last batch');
    this.logEnd = last.lastOffset + 1;
    // Followers may copy what is written before it is synced (they sync it themselves).
    if (!this.followEnd) this.notify();
    return { needsSync: this.config.durability === 'fsync' };
  }

  /** A group is written and, when `durable`, synced: move the durable end and the HW. */
  private acknowledge(batches: readonly StampedBatch[], durable: boolean): void {
    const end = batches[batches.length - 1]!.lastOffset + 1;
    assert(end <= this.logEnd, () => `acknowledged ${end} past the log end ${this.logEnd}`);
    if (durable) this.durableEnd = Math.max(this.durableEnd, end);
    this.ackedEnd = Math.max(this.ackedEnd, end);
    if (this.followEnd) this.advanceHighWatermark(end);
    else this.notify();
  }

  private shouldRoll(segment: LogSegment, batch: StampedBatch): boolean {
    if (segment.isEmpty) return false;
    return (
      segment.sizeBytes + batch.buf.length > this.config.segmentBytes ||
      segment.indexesFull ||
      batch.lastOffset - segment.baseOffset > 0x7fffffff ||
      (segment.rollingTimestamp !== undefined &&
        batch.maxTimestamp - segment.rollingTimestamp > this.config.segmentMs)
    );
  }

  /** Starts a new active segment at `baseOffset`; the old one is flushed and indexed. */
  private async roll(baseOffset: number): Promise<LogSegment> {
    const old = this.segments.active();
    assert(baseOffset >= old.nextOffset, 'roll below the log end');
    await old.sync();
    await old.onBecomeInactive();
    await this.producers.snapshot(old.nextOffset);
    return this.newSegment(baseOffset);
  }

  /** Creates an empty segment at `baseOffset` (its file made durable) as the active one. */
  private async newSegment(baseOffset: number): Promise<LogSegment> {
    const fresh = new LogSegment(
      this.options.dir,
      baseOffset,
      this.options.fs,
      this.options.pool,
      segmentOptions(this.config),
    );
    await fresh.create();
    if (this.config.durability === 'fsync') await this.options.fs.syncDir(this.options.dir);
    this.segments.add(fresh);
    return fresh;
  }

  /** Moves the high watermark forward (never back, never past the log end). */
  advanceHighWatermark(offset: number): void {
    assert(offset <= this.logEnd, () => `high watermark ${offset} past log end ${this.logEnd}`);
    if (offset <= this.hw) return;
    this.hw = offset;
    this.notify();
  }

  private notify(): void {
    const event = { highWatermark: this.hw, logEndOffset: this.logEnd };
    for (const listener of this.listeners) listener(event);
  }

  /**
   * Reads whole batches from `offset`, at most `maxBytes` (but always a whole first batch),
   * none reaching `maxOffset` (default: the high watermark). Out of range: below the log start
   * or past `maxOffset`.
   */
  async read(
    offset: number,
    maxBytes: number,
    maxOffset: number = this.hw,
  ): Promise<LogReadResult> {
    assert(maxBytes > 0, 'maxBytes must be positive');
    const limit = Math.min(maxOffset, this.logEnd);
    if (offset < this.startOffset || offset > limit) throw this.outOfRange(offset);
    const result = (records: Buffer, nextOffset: number): LogReadResult => ({
      records,
      nextOffset,
      highWatermark: this.hw,
      logStartOffset: this.startOffset,
      logEndOffset: this.logEnd,
    });
    let segment = this.segments.floor(offset);
    while (segment !== undefined && segment.baseOffset < limit) {
      const read = await segment.read(Math.max(offset, segment.baseOffset), maxBytes, limit);
      if (read !== undefined) return result(read.records, read.nextOffset);
      segment = this.segments.higher(segment.baseOffset);
    }
    if (offset < this.startOffset) throw this.outOfRange(offset); // retention raced the read
    return result(Buffer.alloc(0), offset);
  }

  private outOfRange(offset: number): BrokerError {
    return new BrokerError(
      'OFFSET_OUT_OF_RANGE',
      `offset ${offset} is outside [${this.startOffset}, ${this.hw}]`,
      { extra: { logStartOffset: this.startOffset, highWatermark: this.hw } },
    );
  }

  /**
   * The first batch (at or after the log start, below the high watermark) holding a record
   * whose timestamp is >= `timestamp`; the caller picks the record inside it.
   */
  async batchForTimestamp(timestamp: number): Promise<Buffer | undefined> {
    for (const segment of this.segments.from(this.startOffset)) {
      if (segment.baseOffset >= this.hw) break;
      const found = await segment.findBatchByTimestamp(timestamp, this.startOffset);
      if (found !== undefined) return found.nextOffset <= this.hw ? found.records : undefined;
    }
    return undefined;
  }

  /** Removes every batch at or after `offset` (whole batches). Returns the new log end. */
  truncateTo(offset: number): Promise<number> {
    return this.appender.exclusive(async () => {
      assert(offset >= 0, 'negative truncation offset');
      if (offset >= this.logEnd) return this.logEnd;
      for (const segment of this.segments.removeFrom(offset)) await segment.delete();
      if (this.segments.count === 0) {
        await this.newSegment(offset);
        this.startOffset = offset;
      } else {
        const active = this.segments.active();
        await active.truncateTo(offset);
        await active.sync();
        await active.flushIndexes();
      }
      this.logEnd = this.segments.active().nextOffset;
      this.nextOffsetToAssign = this.logEnd;
      this.durableEnd = Math.min(this.durableEnd, this.logEnd);
      this.ackedEnd = Math.min(this.ackedEnd, this.logEnd);
      this.hw = Math.min(this.hw, this.logEnd);
      this.producers.truncateFrom(this.logEnd);
      // A snapshot taken past the cut would describe batches that are gone.
      await this.producers.snapshot(this.logEnd, true);
      if (this.epochCache.truncateFromEnd(this.logEnd)) await this.epochCache.checkpoint();
      await this.checkpoint();
      this.notify(); // whoever waits on records past the cut learns they are gone
      return this.logEnd;
    });
  }

  /**
   * Removes every segment and starts the log empty at `offset` (a follower whose leader's log
   * now starts past this log's end: what is here can never be continued).
   */
  truncateFullyAndStartAt(offset: number): Promise<void> {
    return this.appender.exclusive(async () => {
      assert(offset >= this.logEnd, 'a fresh start may not go back');
      for (const segment of this.segments.removeFrom(0)) await segment.delete();
      await this.newSegment(offset);
      this.startOffset = offset;
      this.logEnd = offset;
      this.nextOffsetToAssign = offset;
      this.durableEnd = offset;
      this.ackedEnd = offset;
      this.hw = offset;
      this.producers.truncateFrom(0);
      await this.producers.snapshot(offset, true);
      // No record is left to carry an epoch: the leader's batches bring theirs.
      if (this.epochCache.truncateFromEnd(0)) await this.epochCache.checkpoint();
      await this.checkpoint();
      this.notify();
    });
  }

  /** Kafka's DeleteRecords: moves the log start to `offset` (at most the high watermark). */
  deleteRecordsBefore(offset: number): Promise<number> {
    return this.appender.exclusive(async () => {
      if (offset > this.hw || offset < 0) throw this.outOfRange(offset);
      if (offset <= this.startOffset) return this.startOffset;
      this.startOffset = offset;
      if (this.epochCache.truncateFromStart(offset)) await this.epochCache.checkpoint();
      await this.checkpoint();
      await this.deleteSegments(this.retention().belowLogStart(this.startOffset));
      return this.startOffset;
    });
  }

  /** Applies retention.ms, retention.bytes and the log start; returns segments deleted. */
  applyRetention(): Promise<number> {
    return this.appender.exclusive(async () => {
      const victims = this.retention().select(this.clock.nowMs(), this.startOffset, this.hw);
      return this.deleteSegments(victims);
    });
  }

  private retention(): RetentionPolicy {
    return new RetentionPolicy(this.segments, this.config);
  }

  /** Deletes a prefix of segments, rolling first when the active segment is among them. */
  private async deleteSegments(victims: LogSegment[]): Promise<number> {
    if (victims.length === 0) return 0;
    if (victims.includes(this.segments.active())) await this.roll(this.logEnd);
    const next = this.segments.higher(victims[victims.length - 1]!.baseOffset);
    assert(next !== undefined, 'retention would delete every segment');
    this.startOffset = Math.max(this.startOffset, next.baseOffset);
    if (this.epochCache.truncateFromStart(this.startOffset)) await this.epochCache.checkpoint();
    // Durable log start first: a crash mid-deletion must not bring the records back.
    await this.checkpoint();
    for (const victim of victims) {
      this.segments.remove(victim);
      await victim.delete();
    }
    return victims.length;
  }

  /** Syncs every byte written so far and records the recovery point. */
  flush(): Promise<void> {
    return this.appender.exclusive(() => this.flushNow());
  }

  private async flushNow(): Promise<void> {
    const active = this.segments.active();
    await active.sync();
    await active.flushIndexes();
    this.durableEnd = this.logEnd;
    if (this.followEnd) this.advanceHighWatermark(this.durableEnd);
    await this.producers.snapshot(this.logEnd);
    await this.checkpoint();
  }

  private async checkpoint(): Promise<void> {
    await writePartitionCheckpoint(this.options.fs, this.options.dir, {
      recoveryPoint: this.durableEnd,
      logStartOffset: this.startOffset,
      highWatermark: this.hw,
    });
  }

  private armFlushTimer(): void {
    if (this.flushTimer !== undefined) clearInterval(this.flushTimer);
    this.flushTimer = undefined;
    const interval = this.config.flushIntervalMs;
    if (this.config.durability !== 'replicated' || interval === null || this.closed) return;
    this.flushTimer = setInterval(() => {
      if (this.durableEnd < this.logEnd) void this.flush().catch(() => undefined);
    }, interval);
    this.flushTimer.unref();
  }

  /** Waits for pending appends, flushes, and closes the files. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.armFlushTimer();
    await this.appender.exclusive(async () => {
      if (!this.appender.failed) {
        await this.flushNow();
        await this.segments.active().onBecomeInactive();
      }
      for (const segment of this.segments.all()) segment.close();
    });
  }

  /** Closes and removes the partition directory with all its data. */
  async delete(): Promise<void> {
    await this.close();
    for (const segment of this.segments.all()) segment.close();
    await this.options.fs.rmdir(path.resolve(this.options.dir));
  }
}
