// Walking the batches of a .log file by their headers, reading the file in chunks so that a
// scan over many small batches costs a few reads, not one per batch.
import { BrokerError, LIMITS } from '@tributary/common';
import {
  BATCH_HEADER_BYTES,
  type BatchProblem,
  LOG_OVERHEAD_BYTES,
  OFFSET_BATCH_LENGTH,
  OFFSET_LAST_OFFSET_DELTA,
  OFFSET_LEADER_EPOCH,
  OFFSET_MAX_TIMESTAMP,
  readInt64Number,
  validateBatch,
} from '@tributary/protocol';
import { type FileHandle } from './file-system';

export const SCAN_CHUNK_BYTES = 64 * 1024;
/** The largest batch recovery accepts as plausible (topics may have had larger limits). */
export const RECOVERY_BATCH_BYTES_MAX = LIMITS.messageBytesCeiling + BATCH_HEADER_BYTES;

export interface ScannedBatch {
  position: number;
  baseOffset: number;
  lastOffset: number;
  sizeBytes: number;
  maxTimestamp: number;
  leaderEpoch: number;
}

/**
 * A window onto a file: bytes [start, start + buf.length) held in memory, extended on demand.
 * Reads never go past `endPosition` (the segment's logical size). Bytes from `cachedFrom` on
 * were written by this process a moment ago (see FileHandle.read).
 */
export class FileWindow {
  buf: Buffer = Buffer.alloc(0);
  start = 0;

  constructor(
    private readonly handle: FileHandle,
    readonly endPosition: number,
    private readonly cachedFrom = Infinity,
    private readonly chunkBytes = SCAN_CHUNK_BYTES,
  ) {}

  /** Makes bytes [position, position + length) available; false if the file ends first. */
  async ensure(position: number, length: number): Promise<boolean> {
    const end = position + length;
    if (end > this.endPosition) return false;
    if (position >= this.start && end <= this.start + this.buf.length) return true;
    const readLength = Math.min(this.endPosition - position, Math.max(length, this.chunkBytes));
    const fresh = Buffer.allocUnsafe(readLength);
    let got = 0;
    while (got < readLength) {
      const at = position + got;
      const n = await this.handle.read(fresh, got, readLength - got, at, at >= this.cachedFrom);
      if (n === 0) break;
      got += n;
    }
    this.buf = got === readLength ? fresh : fresh.subarray(0, got);
    this.start = position;
    return got >= length;
  }

  /** A view of bytes already ensured. */
  view(position: number, length: number): Buffer {
    return this.buf.subarray(position - this.start, position - this.start + length);
  }

  /** Reads the header fields the scan needs; undefined when the file ends inside the header. */
  async header(position: number): Promise<ScannedBatch | undefined> {
    if (!(await this.ensure(position, BATCH_HEADER_BYTES))) return undefined;
    const at = position - this.start;
    const b = this.buf;
    const baseOffset = readInt64Number(b, at);
    const sizeBytes = b.readInt32BE(at + OFFSET_BATCH_LENGTH) + LOG_OVERHEAD_BYTES;
    return {
      position,
      baseOffset,
      lastOffset: baseOffset + b.readInt32BE(at + OFFSET_LAST_OFFSET_DELTA),
      sizeBytes,
      maxTimestamp: readInt64Number(b, at + OFFSET_MAX_TIMESTAMP),
      leaderEpoch: b.readInt32BE(at + OFFSET_LEADER_EPOCH),
    };
  }
}

/**
 * Whether a header found by a recovery scan can be a batch of this segment: a sane size that
 * ends within the file's `endPosition`, and offsets from `minBaseOffset` on.
 */
export function isPlausible(
  header: ScannedBatch,
  minBaseOffset: number,
  endPosition: number,
): boolean {
  return (
    header.sizeBytes >= BATCH_HEADER_BYTES &&
    header.sizeBytes <= RECOVERY_BATCH_BYTES_MAX &&
    header.baseOffset >= minBaseOffset &&
    header.lastOffset >= header.baseOffset &&
    header.position + header.sizeBytes <= endPosition
  );
}

/** Why a walk over a segment's batches stopped before the end of the file. */
export type ScanProblem =
  | BatchProblem
  /** The file ends inside a batch header, or a header's length runs past the file. */
  | 'torn'
  /** A header whose length or offsets cannot be a batch of this segment. */
  | 'implausible-header'
  /** The batch does not continue the offsets densely from the one before it. */
  | 'offset-gap';

export interface ScanStop {
  /** File position of the first batch that failed. */
  position: number;
  /** The offset the failing batch should have started at. */
  expectedOffset: number;
  problem: ScanProblem;
}

/**
 * Walks the batches of a segment whose first offset is `baseOffset` from the start of the
 * window's file, each checked before `visit` sees it: a sane header, offsets that continue
 * densely from the batch before, and with `checkCrc` the length, magic, count and CRC32C of the
 * whole batch. Stops at the first batch that fails; returns where the good batches end.
 */
export async function walkBatches(
  window: FileWindow,
  baseOffset: number,
  checkCrc: boolean,
  visit: (header: ScannedBatch) => void,
): Promise<{ validBytes: number; stop?: ScanStop }> {
  let position = 0;
  let expectedOffset = baseOffset;
  const stopAt = (problem: ScanProblem) => ({
    validBytes: position,
    stop: { position, expectedOffset, problem },
  });
  while (position < window.endPosition) {
    const header = await window.header(position);
    if (header === undefined) return stopAt('torn');
    if (header.position + header.sizeBytes > window.endPosition) return stopAt('torn');
    if (!isPlausible(header, expectedOffset, window.endPosition)) {
      return stopAt('implausible-header');
    }
    if (header.baseOffset !== expectedOffset) return stopAt('offset-gap');
    if (checkCrc) {
      if (!(await window.ensure(position, header.sizeBytes))) return stopAt('torn');
      const checked = validateBatch(
        window.view(position, header.sizeBytes),
        0,
        RECOVERY_BATCH_BYTES_MAX,
      );
      if (!checked.ok) return stopAt(checked.problem);
    }
    visit(header);
    position += header.sizeBytes;
    expectedOffset = header.lastOffset + 1;
  }
  return { validBytes: position };
}

/** A header met while reading a recovered file must be sane: CORRUPT_RECORD if not. */
export function checkHeader(header: ScannedBatch, endPosition: number, file: string): void {
  if (
    header.sizeBytes < BATCH_HEADER_BYTES ||
    header.position + header.sizeBytes > endPosition ||
    header.lastOffset < header.baseOffset
  ) {
    throw new BrokerError('CORRUPT_RECORD', `corrupt batch header at ${file}:${header.position}`);
  }
}

/** Checks every batch in `records` (read from `position` of `file`) before it is served. */
export function verifyBatches(records: Buffer, file: string, position: number): void {
  let at = 0;
  while (at < records.length) {
    const result = validateBatch(records, at, RECOVERY_BATCH_BYTES_MAX);
    if (!result.ok) {
      throw new BrokerError(
        'CORRUPT_RECORD',
        `batch at ${file}:${position + at} failed its check (${result.problem})`,
      );
    }
    at += result.sizeBytes;
  }
}
