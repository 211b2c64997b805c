// Producer state snapshots (Kafka's `<offset>.snapshot` files), and rebuilding the state when a
// log opens. A snapshot is the producer state as it stood when the log ended at `offset`, so
// that opening the log after a crash scans only the batches from that offset on. One snapshot is kept per partition; a newer one replaces it. The file
// is a checkpoint file (written atomically); one that does not parse is ignored, and the scan
// then starts earlier (see PartitionLog).
//
//   entry: producerId producerEpoch baseSequence recordCount baseOffset lastOffset appendedMs
import * as path from 'node:path';
import { parseOffset, readCheckpoint, writeCheckpoint } from './checkpoint-file';
import { type FileSystem } from './file-system';
import { type LogSegments } from './log-segments';
import { type ProducerBatch, ProducerState, type ProducerStateLimits } from './producer-state';

const SNAPSHOT_FILE = /^(\d{20})\.snapshot$/;
const TOKENS = 7;

export interface ProducerSnapshot {
  /** Every batch below this offset is reflected in `batches`. */
  offset: number;
  batches: ProducerBatch[];
}

function snapshotName(offset: number): string {
  return `${String(offset).padStart(20, '0')}.snapshot`;
}

async function snapshotOffsets(fs: FileSystem, dir: string): Promise<number[]> {
  const offsets: number[] = [];
  for (const name of await fs.readdir(dir)) {
    const match = SNAPSHOT_FILE.exec(name);
    if (match !== null) offsets.push(Number(match[1]));
  }
  return offsets.sort((a, b) => a - b);
}

/** Writes the snapshot at `offset` and removes older ones. */
export async function writeProducerSnapshot(
  fs: FileSystem,
  dir: string,
  snapshot: ProducerSnapshot,
): Promise<void> {
  const older = await snapshotOffsets(fs, dir);
  await writeCheckpoint(
    fs,
    path.join(dir, snapshotName(snapshot.offset)),
    snapshot.batches.map((b) => [
      b.producerId,
      b.producerEpoch,
      b.baseSequence,
      b.recordCount,
      b.baseOffset,
      b.lastOffset,
      b.appendedMs,
    ]),
  );
  for (const offset of older) {
    if (offset !== snapshot.offset) await fs.unlink(path.join(dir, snapshotName(offset)));
  }
}

/** The newest snapshot that parses, if any. */
export async function readProducerSnapshot(
  fs: FileSystem,
  dir: string,
): Promise<ProducerSnapshot | undefined> {
  const offsets = await snapshotOffsets(fs, dir);
  for (let i = offsets.length - 1; i >= 0; i--) {
    const offset = offsets[i]!;
    const rows = await readCheckpoint(fs, path.join(dir, snapshotName(offset)), TOKENS);
    const batches = rows?.map(parseBatch);
    if (batches !== undefined && batches.every((b) => b !== undefined)) {
      return { offset, batches: batches };
    }
  }
  return undefined;
}

/** Removes every snapshot (the log was truncated below what they describe, or deleted). */
export async function deleteProducerSnapshots(fs: FileSystem, dir: string): Promise<void> {
  for (const offset of await snapshotOffsets(fs, dir)) {
    await fs.unlink(path.join(dir, snapshotName(offset)));
  }
}

function parseBatch(tokens: string[]): ProducerBatch | undefined {
  const values = tokens.map(parseOffset);
  if (values.some((v) => v === undefined)) return undefined;
  const [producerId, producerEpoch, baseSequence, recordCount, baseOffset, lastOffset, appendedMs] =
    values as number[];
  if (lastOffset! < baseOffset! || recordCount! < 1) return undefined;
  return {
    producerId: producerId!,
    producerEpoch: producerEpoch!,
    baseSequence: baseSequence!,
    recordCount: recordCount!,
    baseOffset: baseOffset!,
    lastOffset: lastOffset!,
    appendedMs: appendedMs!,
  };
}

export interface LoadedProducerState {
  state: ProducerState;
  /**
   * The log end when what is on disk needs no new snapshot (nothing was scanned, and no
   * snapshot lies past the log end); -1 when one should be written now.
   */
  snapshotAt: number;
}

/**
 * The producer state of a log just opened: the newest snapshot (less what the log no longer
 * holds), then every batch from the snapshot's offset to the log end, scanned by header. With
 * no snapshot, the segments that may hold batches inside the window are scanned. Batches found
 * by the scan count as appended now: they were written after the snapshot, shortly before a
 * crash, and their own timestamps are whatever their producers chose.
 */
export async function loadProducerState(
  fs: FileSystem,
  dir: string,
  segments: LogSegments,
  limits: ProducerStateLimits,
  nowMs: number,
): Promise<LoadedProducerState> {
  const state = new ProducerState(limits);
  const logEnd = segments.active().nextOffset;
  const snapshot = await readProducerSnapshot(fs, dir);
  let scanFrom: number;
  if (snapshot === undefined) {
    const recent = segments
      .all()
      .find((s) => !s.isEmpty && s.maxTimestamp >= nowMs - limits.windowMs);
    scanFrom = recent?.baseOffset ?? logEnd;
  } else {
    for (const batch of snapshot.batches) state.record(batch);
    state.truncateFrom(logEnd);
    scanFrom = Math.min(snapshot.offset, logEnd);
  }
  for (const segment of segments.from(scanFrom)) {
    await segment.scanProducerBatches(scanFrom, (batch) =>
      state.record({ ...batch, appendedMs: nowMs }),
    );
  }
  state.evict(nowMs);
  // A snapshot past the log end describes batches since lost: it must be replaced at once.
  const current = scanFrom === logEnd && (snapshot === undefined || snapshot.offset === logEnd);
  return { state, snapshotAt: current ? logEnd : -1 };
}
