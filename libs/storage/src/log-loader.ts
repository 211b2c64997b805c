// Opening a partition directory (Kafka's LogLoader): clean up leftovers, find the segments,
// load the ones below the recovery point (indexes sanity-checked, rebuilt when bad, and every
// batch checked: flushed bytes can still rot or be cut on disk), recover the ones from it
// onward (indexes rebuilt), and restore the log start offset, high watermark and leader epoch
// cache. Every batch of every segment passes its length, magic, CRC32C and dense offsets;
// the log is cut at the first that fails, or at a gap between segments, and everything after
// it is dropped: a replica then fetches the rest again from its leader, and never serves the
// damaged bytes.
import * as path from 'node:path';
import { assert } from '@tributary/common';
import { parseOffset, readCheckpoint, writeCheckpoint } from './checkpoint-file';
import { type ScanProblem } from './batch-scan';
import { type FileSystem } from './file-system';
import { type HandlePool } from './handle-pool';
import { LeaderEpochCache } from './leader-epoch-cache';
import { type LogConfig } from './log-config';
import { LOG_SUFFIX, LogSegment, type SegmentOptions } from './log-segment';

export const PARTITION_CHECKPOINT = 'partition-checkpoint';
const SEGMENT_FILE = /^(\d{20})\.(log|index|timeindex)$/;
const LEFTOVER = /\.(tmp|deleted|cleaned|swap)$/;

export interface PartitionCheckpoint {
  recoveryPoint: number;
  logStartOffset: number;
  highWatermark: number;
}

/** Where the load cut the log: the first batch that failed, or the segment after a gap. */
export interface LoadCut {
  file: string;
  position: number;
  /** The offset the log ends at now: what followed is gone. */
  offset: number;
  problem: ScanProblem | 'segment-gap' | 'segment-overlap';
}

export interface LoadStats {
  segmentsLoaded: number;
  segmentsRecovered: number;
  bytesTruncated: number;
  segmentsDropped: number;
  indexesRebuilt: number;
  /** Undefined when every batch on disk passed. */
  cut: LoadCut | undefined;
}

export interface LoadedLog {
  segments: LogSegment[];
  logStartOffset: number;
  highWatermark: number;
  epochCache: LeaderEpochCache;
  stats: LoadStats;
}

export function segmentOptions(config: LogConfig): SegmentOptions {
  return { indexIntervalBytes: config.indexIntervalBytes, maxIndexBytes: config.segmentIndexBytes };
}

export async function readPartitionCheckpoint(
  fs: FileSystem,
  dir: string,
): Promise<PartitionCheckpoint | undefined> {
  const rows = await readCheckpoint(fs, path.join(dir, PARTITION_CHECKPOINT), 2);
  if (rows === undefined) return undefined;
  const values = new Map(rows.map(([key, value]) => [key, parseOffset(value)]));
  const recoveryPoint = values.get('recoveryPoint');
  const logStartOffset = values.get('logStartOffset');
  const highWatermark = values.get('highWatermark');
  if (recoveryPoint === undefined || logStartOffset === undefined || highWatermark === undefined) {
    return undefined;
  }
  return { recoveryPoint, logStartOffset, highWatermark };
}

export async function writePartitionCheckpoint(
  fs: FileSystem,
  dir: string,
  checkpoint: PartitionCheckpoint,
): Promise<void> {
  await writeCheckpoint(fs, path.join(dir, PARTITION_CHECKPOINT), [
    ['recoveryPoint', checkpoint.recoveryPoint],
    ['logStartOffset', checkpoint.logStartOffset],
    ['highWatermark', checkpoint.highWatermark],
  ]);
}

export async function loadLog(
  fs: FileSystem,
  pool: HandlePool,
  dir: string,
  config: LogConfig,
): Promise<LoadedLog> {
  await fs.mkdir(dir);
  const stats: LoadStats = {
    segmentsLoaded: 0,
    segmentsRecovered: 0,
    bytesTruncated: 0,
    segmentsDropped: 0,
    indexesRebuilt: 0,
    cut: undefined,
  };
  const bases = await findSegments(fs, dir);
  const checkpoint = await readPartitionCheckpoint(fs, dir);
  const epochCache = new LeaderEpochCache(fs, dir);
  const epochsLoaded = await epochCache.load();
  // Without a trustworthy epoch checkpoint, rebuild it by recovering every segment.
  const recoveryPoint = epochsLoaded ? (checkpoint?.recoveryPoint ?? 0) : 0;
  let logStartOffset = checkpoint?.logStartOffset ?? 0;

  const options = segmentOptions(config);
  let segments = bases.map((base) => new LogSegment(dir, base, fs, pool, options));
  // Segments wholly below the log start (deleted by retention or delete-records just before
  // a crash) are finished off now.
  while (segments.length > 1 && segments[1]!.baseOffset <= logStartOffset) {
    await segments.shift()!.delete();
    stats.segmentsDropped += 1;
  }
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const previous = segments[i - 1];
    if (previous !== undefined && segment.baseOffset !== previous.nextOffset) {
      // A gap (a segment cut short) or an overlap (never written by this code): what follows
      // cannot continue the log densely. Keep what comes before, drop the rest.
      stats.cut = {
        file: segment.logPath,
        position: 0,
        offset: previous.nextOffset,
        problem: segment.baseOffset > previous.nextOffset ? 'segment-gap' : 'segment-overlap',
      };
      stats.segmentsDropped += await dropFrom(segments, i);
      segments = segments.slice(0, i);
      break;
    }
    if (segment.baseOffset <= recoveryPoint) {
      // Below the recovery point everything was flushed: load (fast path of a clean stop).
      const state = await segment.load();
      if (state === 'loaded' && segment.nextOffset <= recoveryPoint && (await segment.verify())) {
        stats.segmentsLoaded += 1;
        continue;
      }
      if (state === 'bad-index') stats.indexesRebuilt += 1;
    }
    const result = await segment.recover();
    stats.segmentsRecovered += 1;
    stats.bytesTruncated += result.truncatedBytes;
    for (const { epoch, startOffset } of result.epochStarts) {
      const latest = epochCache.latest();
      if (latest === undefined || epoch > latest.epoch) epochCache.assign(epoch, startOffset);
    }
    await segment.sync();
    if (result.stop !== undefined) {
      // Nothing after a torn or corrupt batch can be trusted to follow it densely.
      stats.cut = {
        file: segment.logPath,
        position: result.stop.position,
        offset: result.stop.expectedOffset,
        problem: result.stop.problem,
      };
      stats.segmentsDropped += await dropFrom(segments, i + 1);
      segments = segments.slice(0, i + 1);
      break;
    }
  }

  let logEndOffset = segments[segments.length - 1]?.nextOffset ?? logStartOffset;
  if (segments.length === 0 || logStartOffset > logEndOffset) {
    // Everything was deleted (or lost): start afresh at the log start.
    stats.segmentsDropped += await dropFrom(segments, 0);
    const fresh = new LogSegment(dir, logStartOffset, fs, pool, options);
    await fresh.create();
    segments = [fresh];
    logEndOffset = logStartOffset;
  }
  logStartOffset = Math.max(logStartOffset, segments[0]!.baseOffset);
  epochCache.truncateFromEnd(logEndOffset);
  epochCache.truncateFromStart(logStartOffset);
  await epochCache.checkpoint();
  const highWatermark = Math.min(
    Math.max(checkpoint?.highWatermark ?? 0, logStartOffset),
    logEndOffset,
  );
  await writePartitionCheckpoint(fs, dir, {
    recoveryPoint: logEndOffset,
    logStartOffset,
    highWatermark,
  });
  assert(
    logStartOffset <= highWatermark && highWatermark <= logEndOffset,
    'offsets out of order after load',
  );
  return { segments, logStartOffset, highWatermark, epochCache, stats };
}

async function findSegments(fs: FileSystem, dir: string): Promise<number[]> {
  const names = await fs.readdir(dir);
  const logs = new Set<number>();
  const others: { name: string; base: number }[] = [];
  for (const name of names) {
    if (LEFTOVER.test(name)) {
      await fs.unlink(path.join(dir, name));
      continue;
    }
    const match = SEGMENT_FILE.exec(name);
    if (match === null) continue;
    const base = Number(match[1]);
    if (`.${match[2]}` === LOG_SUFFIX) logs.add(base);
    else others.push({ name, base });
  }
  for (const other of others) {
    if (!logs.has(other.base)) await fs.unlink(path.join(dir, other.name));
  }
  return [...logs].sort((a, b) => a - b);
}

async function dropFrom(segments: LogSegment[], from: number): Promise<number> {
  for (const segment of segments.slice(from)) await segment.delete();
  return Math.max(0, segments.length - from);
}
