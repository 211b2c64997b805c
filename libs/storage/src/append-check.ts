// The checks a batch passes before the log takes it: size, framing (length, magic, counts),
// CRC32C unless the caller has already checked it, exactly one batch, at least one record.
import { BrokerError } from '@tributary/common';
import {
  BATCH_HEADER_BYTES,
  type BatchHeader,
  type BatchProblem,
  CURRENT_MAGIC,
  LOG_OVERHEAD_BYTES,
  OFFSET_BATCH_LENGTH,
  OFFSET_LAST_OFFSET_DELTA,
  OFFSET_MAGIC,
  OFFSET_RECORD_COUNT,
  readBatchHeader,
  validateBatch,
} from '@tributary/protocol';

export interface AppendOptions {
  /**
   * The caller has already checked this batch's CRC32C (the produce edge does, on every batch
   * it accepts), so the log checks only its framing and does not hash it a second time on the
   * event loop. Default false: the log checks the CRC. A batch whose CRC is wrong but was
   * declared verified is written as is and refused on every read.
   */
  crcVerified?: boolean;
}

/** validateBatch without the CRC pass: the same framing checks, in the same order. */
function checkFraming(
  buf: Buffer,
  sizeBytesMax: number,
): { ok: true; sizeBytes: number } | { ok: false; problem: BatchProblem } {
  if (buf.length < BATCH_HEADER_BYTES) return { ok: false, problem: 'short-header' };
  const sizeBytes = buf.readInt32BE(OFFSET_BATCH_LENGTH) + LOG_OVERHEAD_BYTES;
  if (sizeBytes < BATCH_HEADER_BYTES || sizeBytes > sizeBytesMax) {
    return { ok: false, problem: 'bad-length' };
  }
  if (sizeBytes > buf.length) return { ok: false, problem: 'truncated' };
  if (buf.readInt8(OFFSET_MAGIC) !== CURRENT_MAGIC) return { ok: false, problem: 'bad-magic' };
  const count = buf.readInt32BE(OFFSET_RECORD_COUNT);
  const lastOffsetDelta = buf.readInt32BE(OFFSET_LAST_OFFSET_DELTA);
  if (count < 0 || lastOffsetDelta < 0 || (count > 0 && lastOffsetDelta < count - 1)) {
    return { ok: false, problem: 'bad-count' };
  }
  return { ok: true, sizeBytes };
}

/** Checks one batch offered for append; returns its header or throws the error to answer. */
export function checkAppendBatch(
  batch: Buffer,
  maxMessageBytes: number,
  options: AppendOptions,
): BatchHeader {
  if (batch.length > maxMessageBytes) {
    throw new BrokerError(
      'MESSAGE_TOO_LARGE',
      `batch of ${batch.length} bytes exceeds max.message.bytes ${maxMessageBytes}`,
    );
  }
  const check =
    options.crcVerified === true
      ? checkFraming(batch, maxMessageBytes)
      : validateBatch(batch, 0, maxMessageBytes);
  if (!check.ok || check.sizeBytes !== batch.length) {
    const problem = check.ok ? 'trailing bytes after the batch' : check.problem;
    throw new BrokerError('CORRUPT_RECORD', `invalid record batch: ${problem}`);
  }
  const header = readBatchHeader(batch);
  if (header.recordCount === 0) {
    throw new BrokerError('INVALID_RECORD', 'a batch must hold at least one record');
  }
  return header;
}
