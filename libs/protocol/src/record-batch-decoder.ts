// Decoding of whole Kafka RecordBatches (magic 2), as Kafka's DefaultRecordBatch reads them;
// see record-batch.ts for the layout.
//
// Nothing is trusted before the frame checks and the CRC pass (batch-header.ts validateBatch).
// After that every length is bounded by the bytes that remain, the record count by
// LIMITS.recordsPerBatchMax and decompressed bytes by LIMITS.decompressedBatchBytesMax: a
// malformed batch is a CORRUPT_RECORD error, never an out-of-range read or an outsized
// allocation. Keys, values and header values are views into the input (or into the
// decompressed records), not copies.
import { BrokerError, LIMITS } from '@tributary/common';
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_TIMESTAMP_TYPE,
  ATTR_TRANSACTIONAL,
  BATCH_HEADER_BYTES,
  type BatchHeader,
  type BatchProblem,
  CURRENT_MAGIC,
  readBatchHeader,
  validateBatch,
} from './batch-header';
import { CompressionType, decompressAsync, decompressSync, toCompressionType } from './compression';
import {
  type DecodedRecord,
  readRecord,
  RECORD_BODY_BYTES_MIN,
  type RecordContext,
} from './record';
import { BATCH_LENGTH_MAX, type DecodedBatch, TimestampType } from './record-batch';
import type { Cursor } from './varint';

/** A record is at least its 1-byte length plus the smallest body. */
const RECORD_BYTES_MIN = 1 + RECORD_BODY_BYTES_MIN;

const PROBLEMS: Record<BatchProblem, string> = {
  'short-header': 'fewer bytes than a batch header',
  'bad-length': 'batch length out of range',
  truncated: 'batch runs past the end of the buffer',
  'bad-magic': `magic is not ${CURRENT_MAGIC}`,
  'bad-count': 'record count and last offset delta disagree',
  'bad-crc': 'CRC32C mismatch',
};

interface OpenBatch {
  /** Where the batch starts in its buffer, for error messages. */
  pos: number;
  header: BatchHeader;
  compression: CompressionType;
  timestampType: TimestampType;
  /** The records section as stored: compressed unless compression is none. */
  payload: Buffer;
}

function corrupt(pos: number, detail: string): BrokerError {
  return new BrokerError('CORRUPT_RECORD', `record batch at ${pos}: ${detail}`);
}

/** Checks the frame and the CRC of the batch at `pos`; nothing after it is looked at. */
function openBatch(buf: Buffer, pos: number): OpenBatch {
  const check = validateBatch(buf, pos, BATCH_LENGTH_MAX);
  if (!check.ok) throw corrupt(pos, PROBLEMS[check.problem]);
  const header = readBatchHeader(buf, pos);
  if (header.recordCount > LIMITS.recordsPerBatchMax) {
    throw corrupt(pos, `${header.recordCount} records, more than ${LIMITS.recordsPerBatchMax}`);
  }
  return {
    pos,
    header,
    compression: toCompressionType(header.attributes & ATTR_COMPRESSION_MASK),
    timestampType:
      header.attributes & ATTR_TIMESTAMP_TYPE
        ? TimestampType.LogAppendTime
        : TimestampType.CreateTime,
    payload: buf.subarray(pos + BATCH_HEADER_BYTES, pos + check.sizeBytes),
  };
}

function openWholeBuffer(buf: Buffer): OpenBatch {
  const batch = openBatch(buf, 0);
  if (batch.header.sizeBytes !== buf.length) {
    throw corrupt(0, `${buf.length - batch.header.sizeBytes} bytes follow the batch`);
  }
  return batch;
}

function decodeRecords(batch: OpenBatch, records: Buffer): DecodedRecord[] {
  const { header, pos } = batch;
  const count = header.recordCount;
  // Checked before any record is read, so a huge count cannot make us loop or allocate.
  if (count * RECORD_BYTES_MIN > records.length) {
    throw corrupt(pos, `${count} records cannot fit in ${records.length} bytes`);
  }
  const lastOffset = header.baseOffset + header.lastOffsetDelta;
  if (!Number.isSafeInteger(lastOffset)) throw corrupt(pos, 'last offset is out of range');
  const context: RecordContext = {
    baseOffset: header.baseOffset,
    baseTimestamp: header.baseTimestamp,
    logAppendTime: batch.timestampType === TimestampType.LogAppendTime ? header.maxTimestamp : null,
  };
  const cursor: Cursor = { pos: 0 };
  const decoded: DecodedRecord[] = [];
  let previousOffset = header.baseOffset - 1;
  for (let i = 0; i < count; i++) {
    const record = readRecord(records, cursor, records.length, context);
    // Compaction may leave gaps, but offsets only ever increase and end at lastOffsetDelta.
    if (record.offset <= previousOffset || record.offset > lastOffset) {
      throw corrupt(pos, `record offset ${record.offset} is out of order or past the last offset`);
    }
    previousOffset = record.offset;
    decoded.push(record);
  }
  if (cursor.pos !== records.length) {
    throw corrupt(pos, `${records.length - cursor.pos} bytes follow the last record`);
  }
  return decoded;
}

function toDecodedBatch(batch: OpenBatch, records: DecodedRecord[]): DecodedBatch {
  const { header } = batch;
  return {
    baseOffset: header.baseOffset,
    partitionLeaderEpoch: header.partitionLeaderEpoch,
    attributes: header.attributes,
    compression: batch.compression,
    timestampType: batch.timestampType,
    isTransactional: (header.attributes & ATTR_TRANSACTIONAL) !== 0,
    isControl: (header.attributes & ATTR_CONTROL) !== 0,
    producerId: header.producerId,
    producerEpoch: header.producerEpoch,
    baseSequence: header.baseSequence,
    baseTimestamp: header.baseTimestamp,
    maxTimestamp: header.maxTimestamp,
    lastOffsetDelta: header.lastOffsetDelta,
    sizeBytes: header.sizeBytes,
    records,
  };
}

/** Compaction can leave a compressed batch with no records and no payload at all. */
function isStoredPlain(batch: OpenBatch): boolean {
  return batch.compression === CompressionType.None || batch.header.recordCount === 0;
}

function decodeOpened(batch: OpenBatch): DecodedBatch {
  const records = isStoredPlain(batch)
    ? batch.payload
    : decompressSync(batch.compression, batch.payload, LIMITS.decompressedBatchBytesMax);
  return toDecodedBatch(batch, decodeRecords(batch, records));
}

async function decodeOpenedAsync(batch: OpenBatch): Promise<DecodedBatch> {
  const records = isStoredPlain(batch)
    ? batch.payload
    : await decompressAsync(batch.compression, batch.payload, LIMITS.decompressedBatchBytesMax);
  return toDecodedBatch(batch, decodeRecords(batch, records));
}

/**
 * Decodes a buffer that holds exactly one batch; every codec but zstd (see
 * decodeRecordBatchAsync). Keys, values and header values are views into `buf` (or into the
 * decompressed records): copy them before reusing `buf`.
 */
export function decodeRecordBatch(buf: Buffer): DecodedBatch {
  return decodeOpened(openWholeBuffer(buf));
}

/** decodeRecordBatch for every codec, zstd included. */
export async function decodeRecordBatchAsync(buf: Buffer): Promise<DecodedBatch> {
  return decodeOpenedAsync(openWholeBuffer(buf));
}

/** Decodes consecutive batches that fill `buf` exactly (as a fetch or a segment read returns them). */
export function decodeRecordBatches(buf: Buffer): DecodedBatch[] {
  const batches: DecodedBatch[] = [];
  for (let pos = 0; pos < buf.length;) {
    const batch = decodeOpened(openBatch(buf, pos));
    batches.push(batch);
    pos += batch.sizeBytes;
  }
  return batches;
}

/** decodeRecordBatches for every codec, zstd included. */
export async function decodeRecordBatchesAsync(buf: Buffer): Promise<DecodedBatch[]> {
  const batches: DecodedBatch[] = [];
  for (let pos = 0; pos < buf.length;) {
    const batch = await decodeOpenedAsync(openBatch(buf, pos));
    batches.push(batch);
    pos += batch.sizeBytes;
  }
  return batches;
}
