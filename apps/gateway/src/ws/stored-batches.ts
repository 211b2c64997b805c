// The batches a binary push carries: the stored batches a fetch returned, from a position and
// within a record and a byte budget, taken without decoding their records.
//
// A batch delivered whole goes as stored: a view into the fetched bytes, not a copy. A batch is
// rebuilt (libs/protocol batch-slice.ts: same header, same record bytes, new counts and CRC)
// when it is stored compressed, because clients then decode every frame with one short decoder
// and no codec library (and the JSON path decompresses such batches anyway), or when only part
// of it is delivered: it straddles the position, or the credit or the record limit runs out
// inside it, or it is too big to go whole (larger than `wholeBytesMax`, as a topic with a large
// max.message.bytes may store, or than the budget left once decompressed) and is cut where the
// byte budget ends. So every record in a frame is one the frame delivers, credit counts exactly
// what was sent, and a push stays within the byte budget plus one batch of at most
// `wholeBytesMax` (or one record). Control batches (transaction markers) hold no records for a
// consumer and are left out, as the JSON path skips them.
//
// Each batch's framing (length, magic, counts) is checked before its header is trusted; its
// CRC32C was checked by the log that read it from disk.
import { BrokerError, LIMITS } from '@tributary/common';
import {
  ATTR_CONTROL,
  BATCH_HEADER_BYTES,
  batchRecords,
  isCompressedBatch,
  OFFSET_ATTRIBUTES,
  OFFSET_BASE_OFFSET,
  OFFSET_LAST_OFFSET_DELTA,
  OFFSET_RECORD_COUNT,
  readInt64Number,
  rebuildBatch,
  recordSpans,
  validateBatch,
} from '@tributary/protocol';
import { type ReadLimits } from '../records/partition-reads';

/** The largest batch a log may hold (a topic's max.message.bytes is at most the ceiling). */
const STORED_BATCH_BYTES_MAX = LIMITS.messageBytesCeiling + BATCH_HEADER_BYTES;

export interface TakeLimits extends ReadLimits {
  /** The largest batch that may go whole; a larger one is cut at the byte budget. */
  wholeBytesMax: number;
}

export interface StoredBatches {
  batches: Buffer[];
  /** Records in `batches`, every one of them at or after the position. */
  records: number;
  /** Bytes of `batches`. */
  bytes: number;
  /** The position after them (past control batches, too). */
  nextOffset: number;
}

/**
 * The batches of `fetched` (whole batches, the first possibly beginning below `from`) that hold
 * the records from `from` on: at most `maxRecords` records, and batches while fewer than
 * `maxBytes` are taken (at least one record).
 */
export async function takeStoredBatches(
  fetched: Buffer,
  from: number,
  limits: TakeLimits,
): Promise<StoredBatches> {
  const out: StoredBatches = { batches: [], records: 0, bytes: 0, nextOffset: from };
  for (let pos = 0; pos < fetched.length;) {
    const batch = batchAt(fetched, pos);
    pos += batch.length;
    const base = readInt64Number(batch, OFFSET_BASE_OFFSET);
    const end = base + batch.readInt32BE(OFFSET_LAST_OFFSET_DELTA) + 1;
    if (end <= from) continue;
    if (out.records >= limits.maxRecords || out.bytes >= limits.maxBytes) break;
    const count = batch.readInt32BE(OFFSET_RECORD_COUNT);
    if (count === 0 || (batch.readInt16BE(OFFSET_ATTRIBUTES) & ATTR_CONTROL) !== 0) {
      out.nextOffset = end;
      continue;
    }
    const wanted = limits.maxRecords - out.records;
    if (
      base >= from &&
      count <= wanted &&
      batch.length <= limits.wholeBytesMax &&
      !isCompressedBatch(batch)
    ) {
      add(out, batch, count);
      out.nextOffset = end;
      continue;
    }
    const part = await takePart(batch, from, wanted, limits.maxBytes - out.bytes);
    if (part.batch !== undefined) add(out, part.batch, part.records);
    if (part.cut) {
      out.nextOffset = part.nextOffset;
      break;
    }
    out.nextOffset = end;
  }
  return out;
}

function add(out: StoredBatches, batch: Buffer, records: number): void {
  out.batches.push(batch);
  out.records += records;
  out.bytes += batch.length;
}

/** The stored batch at `pos`, its framing checked. */
function batchAt(fetched: Buffer, pos: number): Buffer {
  const check = validateBatch(fetched, pos, STORED_BATCH_BYTES_MAX, { checkCrc: false });
  if (!check.ok) {
    throw new BrokerError('CORRUPT_RECORD', `fetched record batch at ${pos}: ${check.problem}`);
  }
  return fetched.subarray(pos, pos + check.sizeBytes);
}

/**
 * The records of `batch` from `from` on, at most `wanted` of them and, past the first, while
 * fewer than `bytesLeft` of them are taken; rebuilt uncompressed unless that is the batch as
 * stored. `cut`: records of the batch are left for the next push, from `nextOffset`.
 */
async function takePart(
  batch: Buffer,
  from: number,
  wanted: number,
  bytesLeft: number,
): Promise<{ batch?: Buffer; records: number; cut: boolean; nextOffset: number }> {
  const records = await batchRecords(batch);
  const spans = recordSpans(batch, records);
  let first = spans.findIndex((span) => span.offset >= from);
  if (first < 0) first = spans.length;
  let last = first;
  let bytes = 0;
  while (last < spans.length && last - first < wanted && (last === first || bytes < bytesLeft)) {
    bytes += spans[last]!.end - spans[last]!.start;
    last += 1;
  }
  const cut = last < spans.length;
  const nextOffset = last > first ? spans[last - 1]!.offset + 1 : from;
  if (last === first) return { records: 0, cut, nextOffset };
  const whole = first === 0 && !cut && !isCompressedBatch(batch);
  return {
    batch: whole ? batch : rebuildBatch(batch, records, spans.slice(first, last)),
    records: last - first,
    cut,
    nextOffset,
  };
}
