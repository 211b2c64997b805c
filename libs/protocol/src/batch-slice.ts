// Re-framing a stored batch for a reader that takes only part of it, or cannot decompress it
// (binary WebSocket pushes): the records section decompressed, the records outside a range
// left out.
//
//   rebuilt batch => the stored 61-byte header with
//                      attributes: compression bits 0-2 cleared (none)
//                      recordCount, lastOffsetDelta: those of the records kept
//                      batchLength: 49 + the kept records' bytes
//                      crc: recomputed
//                    then the kept records, byte for byte as stored (or as decompressed)
//
// baseOffset, baseTimestamp and every record's own bytes are unchanged, so each kept record
// decodes to the same offset, timestamp, key, value and headers as in the stored batch; the
// first kept record may have an offsetDelta above 0, as after Kafka's compaction. maxTimestamp
// stays the stored one: an upper bound once records are left out, and for a LogAppendTime batch
// every record's timestamp, as it must be.
import { BrokerError, LIMITS } from '@tributary/common';
import {
  ATTR_COMPRESSION_MASK,
  BATCH_HEADER_BYTES,
  LOG_OVERHEAD_BYTES,
  OFFSET_ATTRIBUTES,
  OFFSET_BATCH_LENGTH,
  OFFSET_LAST_OFFSET_DELTA,
  OFFSET_RECORD_COUNT,
  readInt64Number,
  updateBatchCrc,
} from './batch-header';
import { CompressionType, decompressAsync, toCompressionType } from './compression';
import { RECORD_BODY_BYTES_MIN } from './record';
import { type Cursor, readVarint, readVarlong } from './varint';

/** One record of a records section: its offset and where its bytes (length prefix included) are. */
export interface RecordSpan {
  offset: number;
  start: number;
  end: number;
}

function corrupt(detail: string): BrokerError {
  return new BrokerError('CORRUPT_RECORD', `record batch: ${detail}`);
}

/** Whether the batch's records are stored compressed. */
export function isCompressedBatch(batch: Buffer): boolean {
  return (batch.readInt16BE(OFFSET_ATTRIBUTES) & ATTR_COMPRESSION_MASK) !== 0;
}

/**
 * The records section of one whole batch (its framing already checked), decompressed when it is
 * stored compressed; zstd makes this async. A view into `batch` when it is not compressed.
 */
export async function batchRecords(batch: Buffer): Promise<Buffer> {
  const payload = batch.subarray(BATCH_HEADER_BYTES);
  const codec = toCompressionType(batch.readInt16BE(OFFSET_ATTRIBUTES) & ATTR_COMPRESSION_MASK);
  if (codec === CompressionType.None || batch.readInt32BE(OFFSET_RECORD_COUNT) === 0)
    return payload;
  return decompressAsync(codec, payload, LIMITS.decompressedBatchBytesMax);
}

/**
 * Where each record of `records` (the records section of `batch`, as batchRecords gives it)
 * starts and ends, and its offset. Reads the length, attributes, timestamp delta and offset
 * delta of each record, nothing more; every length and offset is checked against the batch.
 */
export function recordSpans(batch: Buffer, records: Buffer): RecordSpan[] {
  const baseOffset = readInt64Number(batch, 0);
  const count = batch.readInt32BE(OFFSET_RECORD_COUNT);
  const lastOffset = baseOffset + batch.readInt32BE(OFFSET_LAST_OFFSET_DELTA);
  if (
    count < 0 ||
    count > LIMITS.recordsPerBatchMax ||
    count * (1 + RECORD_BODY_BYTES_MIN) > records.length
  ) {
    throw corrupt(`${count} records cannot fit in ${records.length} bytes`);
  }
  const spans: RecordSpan[] = [];
  const cursor: Cursor = { pos: 0 };
  let previous = baseOffset - 1;
  for (let i = 0; i < count; i++) {
    const start = cursor.pos;
    const bodyBytes = readVarint(records, cursor, records.length);
    if (bodyBytes < RECORD_BODY_BYTES_MIN || bodyBytes > records.length - cursor.pos) {
      throw corrupt(`record length ${bodyBytes} at ${start} does not fit the batch`);
    }
    const end = cursor.pos + bodyBytes;
    cursor.pos += 1; // attributes
    readVarlong(records, cursor, end); // timestampDelta
    const offset = baseOffset + readVarint(records, cursor, end);
    if (offset <= previous || offset > lastOffset) {
      throw corrupt(`record offset ${offset} is out of order or past the last offset`);
    }
    spans.push({ offset, start, end });
    previous = offset;
    cursor.pos = end;
  }
  if (cursor.pos !== records.length) {
    throw corrupt(`${records.length - cursor.pos} bytes follow the last record`);
  }
  return spans;
}

/**
 * `batch` rebuilt to hold only the records of `kept` (consecutive spans of `records`, at least
 * one), uncompressed, with a valid CRC; see the top of this file.
 */
export function rebuildBatch(batch: Buffer, records: Buffer, kept: readonly RecordSpan[]): Buffer {
  const first = kept[0];
  const last = kept.at(-1);
  if (first === undefined || last === undefined) throw new RangeError('no records to keep');
  const recordBytes = last.end - first.start;
  const out = Buffer.allocUnsafe(BATCH_HEADER_BYTES + recordBytes);
  batch.copy(out, 0, 0, BATCH_HEADER_BYTES);
  records.copy(out, BATCH_HEADER_BYTES, first.start, last.end);
  out.writeInt32BE(out.length - LOG_OVERHEAD_BYTES, OFFSET_BATCH_LENGTH);
  out.writeInt16BE(
    batch.readInt16BE(OFFSET_ATTRIBUTES) & ~ATTR_COMPRESSION_MASK,
    OFFSET_ATTRIBUTES,
  );
  out.writeInt32BE(last.offset - readInt64Number(batch, 0), OFFSET_LAST_OFFSET_DELTA);
  out.writeInt32BE(kept.length, OFFSET_RECORD_COUNT);
  updateBatchCrc(out, 0, out.length);
  return out;
}
