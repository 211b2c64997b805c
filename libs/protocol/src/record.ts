// One record inside a RecordBatch v2 (Kafka's DefaultRecord).
//
//   Record =>
//     length: varint            bytes of the record after this field
//     attributes: int8          unused, always 0
//     timestampDelta: varlong   timestamp - batch baseTimestamp
//     offsetDelta: varint       offset - batch baseOffset
//     keyLength: varint         -1 for a null key
//     key: bytes
//     valueLength: varint       -1 for a null value
//     value: bytes
//     headersCount: varint
//     Header =>
//       headerKeyLength: varint
//       headerKey: UTF-8 string  never null
//       headerValueLength: varint  -1 for a null value
//       headerValue: bytes
import { assert, BrokerError, LIMITS } from '@tributary/common';
import {
  type Cursor,
  readVarint,
  readVarlong,
  sizeOfVarint,
  sizeOfVarlong,
  writeVarint,
  writeVarlong,
} from './varint';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface RecordInput {
  key?: Buffer | null;
  /** Bytes, or text stored as its UTF-8 bytes (written straight into the batch). */
  value: Buffer | string | null;
  headers?: RecordHeader[];
  /** Create time in ms since the epoch; the batch's defaultTimestampMs when absent. */
  timestamp?: number;
}

export interface DecodedRecord {
  offset: number;
  timestamp: number;
  /** A view into the batch (or its decompressed records), not a copy. */
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/** What every record of one batch shares while it is decoded. */
export interface RecordContext {
  baseOffset: number;
  baseTimestamp: number;
  /** Set for LOG_APPEND_TIME batches: every record then carries the batch's maxTimestamp. */
  logAppendTime: number | null;
}

const NULL_LENGTH = -1;
/** attributes, timestampDelta, offsetDelta, keyLength, valueLength, headersCount: 1 byte each. */
export const RECORD_BODY_BYTES_MIN = 6;

function corrupt(detail: string): BrokerError {
  return new BrokerError('CORRUPT_RECORD', detail);
}

function sizeOfNullableBytes(bytes: Buffer | string | null | undefined): number {
  if (bytes == null) return 1;
  const length = typeof bytes === 'string' ? Buffer.byteLength(bytes, 'utf8') : bytes.length;
  return sizeOfVarint(length) + length;
}

function writeNullableBytes(
  buf: Buffer,
  pos: number,
  bytes: Buffer | string | null | undefined,
): number {
  if (bytes == null) return writeVarint(buf, pos, NULL_LENGTH);
  if (typeof bytes === 'string') {
    const length = Buffer.byteLength(bytes, 'utf8');
    pos = writeVarint(buf, pos, length);
    return pos + buf.write(bytes, pos, length, 'utf8');
  }
  pos = writeVarint(buf, pos, bytes.length);
  return pos + bytes.copy(buf, pos);
}

/** Bytes after the length field: what the record's `length` says. */
export function sizeOfRecordBody(
  record: RecordInput,
  timestampDelta: number,
  offsetDelta: number,
): number {
  let size =
    1 +
    sizeOfVarlong(timestampDelta) +
    sizeOfVarint(offsetDelta) +
    sizeOfNullableBytes(record.key) +
    sizeOfNullableBytes(record.value);
  const headers = record.headers;
  if (headers === undefined) return size + 1;
  if (headers.length > LIMITS.headersPerRecordMax) {
    throw new BrokerError(
      'INVALID_RECORD',
      `a record has ${headers.length} headers; at most ${LIMITS.headersPerRecordMax} are allowed`,
    );
  }
  size += sizeOfVarint(headers.length);
  for (const header of headers) {
    const keyBytes = Buffer.byteLength(header.key, 'utf8');
    size += sizeOfVarint(keyBytes) + keyBytes + sizeOfNullableBytes(header.value);
  }
  return size;
}

/** Writes one record whose body size `sizeOfRecordBody` computed; returns the end position. */
export function writeRecord(
  buf: Buffer,
  pos: number,
  record: RecordInput,
  bodyBytes: number,
  timestampDelta: number,
  offsetDelta: number,
): number {
  pos = writeVarint(buf, pos, bodyBytes);
  const bodyStart = pos;
  buf[pos++] = 0;
  pos = writeVarlong(buf, pos, timestampDelta);
  pos = writeVarint(buf, pos, offsetDelta);
  pos = writeNullableBytes(buf, pos, record.key);
  pos = writeNullableBytes(buf, pos, record.value);
  const headers = record.headers;
  if (headers === undefined) {
    buf[pos++] = 0;
  } else {
    pos = writeVarint(buf, pos, headers.length);
    for (const header of headers) {
      pos = writeVarint(buf, pos, Buffer.byteLength(header.key, 'utf8'));
      pos += buf.write(header.key, pos, 'utf8');
      pos = writeNullableBytes(buf, pos, header.value);
    }
  }
  // The size pass and the write pass must agree, or the batch would be unreadable.
  assert(
    pos - bodyStart === bodyBytes,
    () => `record body is ${pos - bodyStart} bytes, ${bodyBytes} were planned`,
  );
  return pos;
}

function readNullableBytes(buf: Buffer, cursor: Cursor, end: number, what: string): Buffer | null {
  const length = readVarint(buf, cursor, end);
  if (length === NULL_LENGTH) return null;
  if (length < 0 || length > end - cursor.pos) {
    throw corrupt(`${what} length ${length} at ${cursor.pos} does not fit the record`);
  }
  const start = cursor.pos;
  cursor.pos = start + length;
  return buf.subarray(start, cursor.pos);
}

function readHeaders(buf: Buffer, cursor: Cursor, end: number): RecordHeader[] {
  const count = readVarint(buf, cursor, end);
  if (count < 0 || count > LIMITS.headersPerRecordMax) {
    throw corrupt(`header count ${count} is out of range`);
  }
  const headers: RecordHeader[] = [];
  for (let i = 0; i < count; i++) {
    const keyLength = readVarint(buf, cursor, end);
    if (keyLength < 0 || keyLength > end - cursor.pos) {
      throw corrupt(`header key length ${keyLength} at ${cursor.pos} does not fit the record`);
    }
    const key = buf.toString('utf8', cursor.pos, cursor.pos + keyLength);
    cursor.pos += keyLength;
    headers.push({ key, value: readNullableBytes(buf, cursor, end, 'header value') });
  }
  return headers;
}

/** Reads the record at `cursor.pos`, never past `end`, and leaves the cursor after it. */
export function readRecord(
  buf: Buffer,
  cursor: Cursor,
  end: number,
  context: RecordContext,
): DecodedRecord {
  const bodyBytes = readVarint(buf, cursor, end);
  if (bodyBytes < RECORD_BODY_BYTES_MIN || bodyBytes > end - cursor.pos) {
    throw corrupt(`record length ${bodyBytes} at ${cursor.pos} does not fit the batch`);
  }
  const bodyEnd = cursor.pos + bodyBytes;
  cursor.pos += 1; // attributes: unused by every Kafka version so far
  const timestampDelta = readVarlong(buf, cursor, bodyEnd);
  const offsetDelta = readVarint(buf, cursor, bodyEnd);
  const key = readNullableBytes(buf, cursor, bodyEnd, 'key');
  const value = readNullableBytes(buf, cursor, bodyEnd, 'value');
  const headers = readHeaders(buf, cursor, bodyEnd);
  if (cursor.pos !== bodyEnd) {
    throw corrupt(
      `record at ${bodyEnd - bodyBytes} declares ${bodyBytes} bytes but holds ${cursor.pos - bodyEnd + bodyBytes}`,
    );
  }
  const timestamp = context.logAppendTime ?? context.baseTimestamp + timestampDelta;
  if (!Number.isSafeInteger(timestamp))
    throw corrupt(`record timestamp ${timestamp} is out of range`);
  return { offset: context.baseOffset + offsetDelta, timestamp, key, value, headers };
}
