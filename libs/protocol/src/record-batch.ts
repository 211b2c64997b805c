// Encoding of whole Kafka RecordBatches (magic 2), as Kafka's MemoryRecordsBuilder writes them;
// record-batch-decoder.ts reads them back.
//
//   RecordBatch =>
//     header: 61 bytes          see batch-header.ts; CRC32C covers attributes..end
//     records: [Record]         recordCount records (record.ts), or, when attribute bits 0-2
//                               name a codec, those records compressed as one payload
//
// offsetDelta is the record's index, baseTimestamp the first record's timestamp (so later
// deltas may be negative), maxTimestamp the largest one, or the log append time for
// LOG_APPEND_TIME batches. Sizes are computed first, so an uncompressed batch is written
// straight into one buffer of its exact size and a compressed one costs one scratch buffer.
import { assert, BrokerError, LIMITS } from '@tributary/common';
import {
  ATTR_TIMESTAMP_TYPE,
  ATTR_TRANSACTIONAL,
  BATCH_HEADER_BYTES,
  CURRENT_MAGIC,
  LOG_OVERHEAD_BYTES,
  OFFSET_ATTRIBUTES,
  OFFSET_BASE_OFFSET,
  OFFSET_BASE_SEQUENCE,
  OFFSET_BASE_TIMESTAMP,
  OFFSET_BATCH_LENGTH,
  OFFSET_LAST_OFFSET_DELTA,
  OFFSET_LEADER_EPOCH,
  OFFSET_MAGIC,
  OFFSET_MAX_TIMESTAMP,
  OFFSET_PRODUCER_EPOCH,
  OFFSET_PRODUCER_ID,
  OFFSET_RECORD_COUNT,
  updateBatchCrc,
  writeInt64Number,
} from './batch-header';
import { compressAsync, CompressionType, compressSync, toCompressionType } from './compression';
import { type DecodedRecord, type RecordInput, sizeOfRecordBody, writeRecord } from './record';
import { sizeOfVarint } from './varint';

export const TimestampType = {
  CreateTime: 0,
  LogAppendTime: 1,
} as const;
export type TimestampType = (typeof TimestampType)[keyof typeof TimestampType];

export interface EncodeBatchOptions {
  /** Default 0; the leader stamps the real one on append (assignBatchOffsets). */
  baseOffset?: number;
  /** Default -1 (none), as producers send it. */
  partitionLeaderEpoch?: number;
  /** Default none. */
  compression?: CompressionType;
  /** Timestamp of records that carry none: the injected clock's now. */
  defaultTimestampMs: number;
  /** Default CreateTime. */
  timestampType?: TimestampType;
  /** maxTimestamp of a LogAppendTime batch; defaults to defaultTimestampMs. */
  logAppendTimeMs?: number;
  /** Default -1n (not idempotent); with producerEpoch and baseSequence, defaults -1. */
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  isTransactional?: boolean;
}

export interface DecodedBatch {
  baseOffset: number;
  partitionLeaderEpoch: number;
  attributes: number;
  compression: CompressionType;
  timestampType: TimestampType;
  isTransactional: boolean;
  isControl: boolean;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  baseTimestamp: number;
  maxTimestamp: number;
  lastOffsetDelta: number;
  /** The whole batch in bytes, header included. */
  sizeBytes: number;
  records: DecodedRecord[];
}

/** batchLength is an int32. */
export const BATCH_LENGTH_MAX = 0x7fffffff;

interface EncodePlan {
  records: readonly RecordInput[];
  bodyBytes: Int32Array;
  recordsBytes: number;
  defaultTimestampMs: number;
  baseTimestamp: number;
  maxTimestamp: number;
}

function invalid(detail: string): BrokerError {
  return new BrokerError('INVALID_RECORD', detail);
}

function timestampOf(record: RecordInput, defaultTimestampMs: number): number {
  const timestamp = record.timestamp ?? defaultTimestampMs;
  // Kafka's producer refuses negative timestamps too; -1 means "none" on the wire.
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw invalid(`record timestamp ${timestamp} is not a non-negative integer`);
  }
  return timestamp;
}

function planBatch(records: readonly RecordInput[], defaultTimestampMs: number): EncodePlan {
  assert(
    Number.isSafeInteger(defaultTimestampMs) && defaultTimestampMs >= 0,
    'defaultTimestampMs must be a timestamp',
  );
  if (records.length === 0) throw invalid('a record batch needs at least one record');
  if (records.length > LIMITS.recordsPerBatchMax) {
    throw invalid(
      `a record batch holds at most ${LIMITS.recordsPerBatchMax} records, got ${records.length}`,
    );
  }
  const bodyBytes = new Int32Array(records.length);
  const baseTimestamp = timestampOf(records[0]!, defaultTimestampMs);
  let maxTimestamp = -1;
  let recordsBytes = 0;
  records.forEach((record, index) => {
    const timestamp = timestampOf(record, defaultTimestampMs);
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    const body = sizeOfRecordBody(record, timestamp - baseTimestamp, index);
    bodyBytes[index] = body;
    recordsBytes += sizeOfVarint(body) + body;
  });
  if (recordsBytes > BATCH_LENGTH_MAX - BATCH_HEADER_BYTES) {
    throw new BrokerError(
      'MESSAGE_TOO_LARGE',
      `records take ${recordsBytes} bytes, more than a batch can hold`,
    );
  }
  return { records, bodyBytes, recordsBytes, defaultTimestampMs, baseTimestamp, maxTimestamp };
}

function writeRecords(buf: Buffer, pos: number, plan: EncodePlan): number {
  const { records, bodyBytes, defaultTimestampMs, baseTimestamp } = plan;
  for (let index = 0; index < records.length; index++) {
    const record = records[index]!;
    const timestampDelta = (record.timestamp ?? defaultTimestampMs) - baseTimestamp;
    pos = writeRecord(buf, pos, record, bodyBytes[index]!, timestampDelta, index);
  }
  return pos;
}

/** Writes the header around records already at BATCH_HEADER_BYTES, then the CRC. */
function sealBatch(buf: Buffer, plan: EncodePlan, opts: EncodeBatchOptions): Buffer {
  const compression = toCompressionType(opts.compression ?? CompressionType.None);
  const timestampType = opts.timestampType ?? TimestampType.CreateTime;
  const baseOffset = opts.baseOffset ?? 0;
  assert(
    Number.isSafeInteger(baseOffset) && baseOffset >= 0,
    () => `baseOffset ${baseOffset} is not an offset`,
  );
  assert(buf.length <= BATCH_LENGTH_MAX, 'batch length overflows int32');
  const logAppendTime = timestampType === TimestampType.LogAppendTime;
  const attributes =
    compression |
    (logAppendTime ? ATTR_TIMESTAMP_TYPE : 0) |
    (opts.isTransactional ? ATTR_TRANSACTIONAL : 0);
  writeInt64Number(buf, OFFSET_BASE_OFFSET, baseOffset);
  buf.writeInt32BE(buf.length - LOG_OVERHEAD_BYTES, OFFSET_BATCH_LENGTH);
  buf.writeInt32BE(opts.partitionLeaderEpoch ?? -1, OFFSET_LEADER_EPOCH);
  buf.writeInt8(CURRENT_MAGIC, OFFSET_MAGIC);
  buf.writeInt16BE(attributes, OFFSET_ATTRIBUTES);
  buf.writeInt32BE(plan.records.length - 1, OFFSET_LAST_OFFSET_DELTA);
  writeInt64Number(buf, OFFSET_BASE_TIMESTAMP, plan.baseTimestamp);
  const maxTimestamp = logAppendTime
    ? (opts.logAppendTimeMs ?? opts.defaultTimestampMs)
    : plan.maxTimestamp;
  writeInt64Number(buf, OFFSET_MAX_TIMESTAMP, maxTimestamp);
  buf.writeBigInt64BE(opts.producerId ?? -1n, OFFSET_PRODUCER_ID);
  buf.writeInt16BE(opts.producerEpoch ?? -1, OFFSET_PRODUCER_EPOCH);
  buf.writeInt32BE(opts.baseSequence ?? -1, OFFSET_BASE_SEQUENCE);
  buf.writeInt32BE(plan.records.length, OFFSET_RECORD_COUNT);
  updateBatchCrc(buf, 0, buf.length);
  return buf;
}

function encodeUncompressed(plan: EncodePlan, opts: EncodeBatchOptions): Buffer {
  const buf = Buffer.allocUnsafe(BATCH_HEADER_BYTES + plan.recordsBytes);
  const end = writeRecords(buf, BATCH_HEADER_BYTES, plan);
  assert(end === buf.length, () => `records end at ${end}, batch is ${buf.length} bytes`);
  return sealBatch(buf, plan, opts);
}

function rawRecords(plan: EncodePlan): Buffer {
  const raw = Buffer.allocUnsafe(plan.recordsBytes);
  const end = writeRecords(raw, 0, plan);
  assert(end === raw.length, () => `records end at ${end}, planned ${raw.length} bytes`);
  return raw;
}

function encodeCompressed(plan: EncodePlan, opts: EncodeBatchOptions, payload: Buffer): Buffer {
  if (payload.length > BATCH_LENGTH_MAX - BATCH_HEADER_BYTES) {
    throw new BrokerError('MESSAGE_TOO_LARGE', `compressed records take ${payload.length} bytes`);
  }
  const buf = Buffer.allocUnsafe(BATCH_HEADER_BYTES + payload.length);
  payload.copy(buf, BATCH_HEADER_BYTES);
  return sealBatch(buf, plan, opts);
}

/** Encodes records as one batch; every codec but zstd (see encodeRecordBatchAsync). */
export function encodeRecordBatch(
  records: readonly RecordInput[],
  opts: EncodeBatchOptions,
): Buffer {
  const plan = planBatch(records, opts.defaultTimestampMs);
  // Checked here too: plain JS callers can pass any number.
  const compression = toCompressionType(opts.compression ?? CompressionType.None);
  if (compression === CompressionType.None) return encodeUncompressed(plan, opts);
  return encodeCompressed(plan, opts, compressSync(compression, rawRecords(plan)));
}

/** encodeRecordBatch for every codec, zstd included. */
export async function encodeRecordBatchAsync(
  records: readonly RecordInput[],
  opts: EncodeBatchOptions,
): Promise<Buffer> {
  const plan = planBatch(records, opts.defaultTimestampMs);
  // Checked here too: plain JS callers can pass any number.
  const compression = toCompressionType(opts.compression ?? CompressionType.None);
  if (compression === CompressionType.None) return encodeUncompressed(plan, opts);
  return encodeCompressed(plan, opts, await compressAsync(compression, rawRecords(plan)));
}
