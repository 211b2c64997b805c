// The fixed 61-byte header of a Kafka RecordBatch (magic 2), read and patched in place.
//
//   baseOffset: int64            @0
//   batchLength: int32           @8   bytes that follow this field (total size - 12)
//   partitionLeaderEpoch: int32  @12  not covered by the CRC, so a leader can stamp it
//   magic: int8                  @16  always 2
//   crc: uint32                  @17  CRC32C of everything from attributes to the end
//   attributes: int16            @21  bits 0-2 compression, 3 timestamp type,
//                                     4 transactional, 5 control, 6 delete horizon
//   lastOffsetDelta: int32       @23
//   baseTimestamp: int64         @27
//   maxTimestamp: int64          @35
//   producerId: int64            @43
//   producerEpoch: int16         @51
//   baseSequence: int32          @53
//   recordCount: int32           @57
//   records                      @61
import { BrokerError } from '@tributary/common';
import { crc32c } from './crc32c';

export const BATCH_HEADER_BYTES = 61;
/** baseOffset + batchLength: the prefix that batchLength does not count. */
export const LOG_OVERHEAD_BYTES = 12;
export const CURRENT_MAGIC = 2;

export const OFFSET_BASE_OFFSET = 0;
export const OFFSET_BATCH_LENGTH = 8;
export const OFFSET_LEADER_EPOCH = 12;
export const OFFSET_MAGIC = 16;
export const OFFSET_CRC = 17;
export const OFFSET_ATTRIBUTES = 21;
export const OFFSET_LAST_OFFSET_DELTA = 23;
export const OFFSET_BASE_TIMESTAMP = 27;
export const OFFSET_MAX_TIMESTAMP = 35;
export const OFFSET_PRODUCER_ID = 43;
export const OFFSET_PRODUCER_EPOCH = 51;
export const OFFSET_BASE_SEQUENCE = 53;
export const OFFSET_RECORD_COUNT = 57;

export const ATTR_COMPRESSION_MASK = 0x07;
export const ATTR_TIMESTAMP_TYPE = 0x08;
export const ATTR_TRANSACTIONAL = 0x10;
export const ATTR_CONTROL = 0x20;
export const ATTR_DELETE_HORIZON = 0x40;

export interface BatchHeader {
  baseOffset: number;
  /** Size of the whole batch in bytes, header included. */
  sizeBytes: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/** Int64 fields that hold offsets or timestamps, read as JS numbers (exact up to 2^53). */
export function readInt64Number(buf: Buffer, pos: number): number {
  const value = buf.readBigInt64BE(pos);
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new BrokerError('CORRUPT_RECORD', `int64 at ${pos} is outside the safe integer range`);
  }
  return Number(value);
}

export function writeInt64Number(buf: Buffer, pos: number, value: number): void {
  buf.writeBigInt64BE(BigInt(value), pos);
}

/** Reads the header at `pos`; the caller has checked that 61 bytes are there. */
export function readBatchHeader(buf: Buffer, pos = 0): BatchHeader {
  return {
    baseOffset: readInt64Number(buf, pos + OFFSET_BASE_OFFSET),
    sizeBytes: buf.readInt32BE(pos + OFFSET_BATCH_LENGTH) + LOG_OVERHEAD_BYTES,
    partitionLeaderEpoch: buf.readInt32BE(pos + OFFSET_LEADER_EPOCH),
    magic: buf.readInt8(pos + OFFSET_MAGIC),
    crc: buf.readUInt32BE(pos + OFFSET_CRC),
    attributes: buf.readInt16BE(pos + OFFSET_ATTRIBUTES),
    lastOffsetDelta: buf.readInt32BE(pos + OFFSET_LAST_OFFSET_DELTA),
    baseTimestamp: readInt64Number(buf, pos + OFFSET_BASE_TIMESTAMP),
    maxTimestamp: readInt64Number(buf, pos + OFFSET_MAX_TIMESTAMP),
    producerId: buf.readBigInt64BE(pos + OFFSET_PRODUCER_ID),
    producerEpoch: buf.readInt16BE(pos + OFFSET_PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(pos + OFFSET_BASE_SEQUENCE),
    recordCount: buf.readInt32BE(pos + OFFSET_RECORD_COUNT),
  };
}

/** CRC32C over attributes..end of the batch that starts at `pos` and spans `sizeBytes`. */
export function computeBatchCrc(buf: Buffer, pos: number, sizeBytes: number): number {
  return crc32c(buf.subarray(pos + OFFSET_ATTRIBUTES, pos + sizeBytes));
}

/** Rewrites the CRC field after the covered bytes changed. */
export function updateBatchCrc(buf: Buffer, pos: number, sizeBytes: number): void {
  buf.writeUInt32BE(computeBatchCrc(buf, pos, sizeBytes), pos + OFFSET_CRC);
}

export type BatchProblem =
  'short-header' | 'bad-length' | 'truncated' | 'bad-magic' | 'bad-crc' | 'bad-count';

/**
 * Checks the batch at `pos` without decoding its records: enough bytes, sane length, magic 2,
 * counts, CRC32C. Returns the batch size in bytes, or the problem found. Used on every batch
 * read from disk and on every batch accepted for append. `checkCrc: false` skips the hash for
 * a batch whose CRC its caller has just computed or checked (the framing is still checked).
 */
export function validateBatch(
  buf: Buffer,
  pos: number,
  sizeBytesMax: number,
  { checkCrc = true }: { checkCrc?: boolean } = {},
): { ok: true; sizeBytes: number } | { ok: false; problem: BatchProblem } {
  const available = buf.length - pos;
  if (available < BATCH_HEADER_BYTES) return { ok: false, problem: 'short-header' };
  const sizeBytes = buf.readInt32BE(pos + OFFSET_BATCH_LENGTH) + LOG_OVERHEAD_BYTES;
  if (sizeBytes < BATCH_HEADER_BYTES || sizeBytes > sizeBytesMax) {
    return { ok: false, problem: 'bad-length' };
  }
  if (sizeBytes > available) return { ok: false, problem: 'truncated' };
  if (buf.readInt8(pos + OFFSET_MAGIC) !== CURRENT_MAGIC)
    return { ok: false, problem: 'bad-magic' };
  const count = buf.readInt32BE(pos + OFFSET_RECORD_COUNT);
  const lastOffsetDelta = buf.readInt32BE(pos + OFFSET_LAST_OFFSET_DELTA);
  if (count < 0 || lastOffsetDelta < 0 || (count > 0 && lastOffsetDelta < count - 1)) {
    return { ok: false, problem: 'bad-count' };
  }
  if (checkCrc && computeBatchCrc(buf, pos, sizeBytes) !== buf.readUInt32BE(pos + OFFSET_CRC)) {
    return { ok: false, problem: 'bad-crc' };
  }
  return { ok: true, sizeBytes };
}

/** Stamps the offset and leader epoch a leader assigns; neither is covered by the CRC. */
export function assignBatchOffsets(
  buf: Buffer,
  pos: number,
  baseOffset: number,
  leaderEpoch: number,
): void {
  writeInt64Number(buf, pos + OFFSET_BASE_OFFSET, baseOffset);
  buf.writeInt32BE(leaderEpoch, pos + OFFSET_LEADER_EPOCH);
}

/** The idempotent-producer fields of a batch header; `producerId` -1 means none. */
export interface ProducerFields {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/**
 * Reads the producer fields of the header at `pos`. Producer ids are kept below 2^53 so they
 * are exact JS numbers; a batch with a larger (or other negative) id is refused.
 */
export function readProducerFields(buf: Buffer, pos = 0): ProducerFields {
  const id = buf.readBigInt64BE(pos + OFFSET_PRODUCER_ID);
  if (id !== -1n && (id < 0n || id > BigInt(Number.MAX_SAFE_INTEGER))) {
    throw new BrokerError('INVALID_RECORD', `producer id ${id} is out of range`);
  }
  return {
    producerId: Number(id),
    producerEpoch: buf.readInt16BE(pos + OFFSET_PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(pos + OFFSET_BASE_SEQUENCE),
    recordCount: buf.readInt32BE(pos + OFFSET_RECORD_COUNT),
  };
}

/**
 * Producer ids from here up name keyed producers: one request under a client's idempotency
 * key, the id a hash of the key (see the storage's producer state). Ids below are allocated.
 */
export const KEYED_PRODUCER_ID_MIN = 2 ** 52;
