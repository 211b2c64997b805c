// Walking the batches of a .log file by their headers, reading the file in chunks so that a
// scan over many small batches costs a few reads, not one per batch.
import { BrokerError, LIMITS } from '@tributary/common';
import {
  BATCH_HEADER_BYTES,
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
  ) {}

  /** Makes bytes [position, position + length) available; false if the file ends first. */
  async ensure(position: number, length: number): Promise<boolean> {
    const end = position + length;
    if (end > this.endPosition) return false;
    if (position >= this.start && end <= this.start + this.buf.length) return true;
    const readLength = Math.min(this.endPosition - position, Math.max(length, SCAN_CHUNK_BYTES));
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
