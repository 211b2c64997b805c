// The binary records frame: what a subscription made with "format":"binary" is pushed instead
// of {"op":"records"} text frames, one frame per partition read. Integers are big-endian.
//
//   offset  size  field
//   0       1     frame type: 1 (records; the layout's version too)
//   1       1     n: bytes of the subscription id
//   2       n     subscription id (UTF-8, as in "subscribed")
//   2+n     4     partition (uint32)
//   6+n     8     high watermark of the partition (int64)
//   14+n    8     next offset: the partition's position after this frame (int64)
//   22+n    4     record count: the records in the batches below, which credit counts (uint32)
//   26+n    ...   Kafka RecordBatch v2 (magic 2), one after another to the end of the frame:
//                 uncompressed, no control batches, every record delivered (stored-batches.ts)
//
// docs/API.md shows the layout and a decoder a client can copy.
import { assert } from '@tributary/common';
import { writeInt64Number } from '@tributary/protocol';

export const RECORDS_FRAME_TYPE = 1;
/** Bytes of the header around the subscription id. */
const FIXED_HEADER_BYTES = 2 + 4 + 8 + 8 + 4;
const UINT32_MAX = 0xffffffff;

export interface RecordsFrameHeader {
  subscription: string;
  partition: number;
  highWatermark: number;
  nextOffset: number;
  records: number;
}

export function encodeRecordsFrameHeader(header: RecordsFrameHeader): Buffer {
  const id = Buffer.from(header.subscription, 'utf8');
  assert(id.length >= 1 && id.length <= 255, 'a subscription id takes 1-255 bytes');
  for (const field of ['partition', 'records'] as const) {
    const value = header[field];
    assert(Number.isInteger(value) && value >= 0 && value <= UINT32_MAX, `${field} is a uint32`);
  }
  const buf = Buffer.allocUnsafe(FIXED_HEADER_BYTES + id.length);
  buf.writeUInt8(RECORDS_FRAME_TYPE, 0);
  buf.writeUInt8(id.length, 1);
  id.copy(buf, 2);
  let pos = 2 + id.length;
  buf.writeUInt32BE(header.partition, pos);
  writeInt64Number(buf, (pos += 4), header.highWatermark);
  writeInt64Number(buf, (pos += 8), header.nextOffset);
  buf.writeUInt32BE(header.records, (pos += 8));
  return buf;
}

/** The whole frame: the header, then the batches. */
export function encodeRecordsFrame(header: RecordsFrameHeader, batches: readonly Buffer[]): Buffer {
  assert(batches.length > 0 && header.records > 0, 'a records frame carries records');
  return Buffer.concat([encodeRecordsFrameHeader(header), ...batches]);
}
