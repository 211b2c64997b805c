// The checks a batch passes before the log takes it: size, framing (length, magic, counts),
// CRC32C unless the caller has already checked it, exactly one batch, at least one record.
import { BrokerError } from '@tributary/common';
import { type BatchHeader, readBatchHeader, validateBatch } from '@tributary/protocol';

export interface AppendOptions {
  /**
   * The caller has already checked this batch's CRC32C (the produce edge does, on every batch
   * it accepts), so the log checks only its framing and does not hash it a second time on the
   * event loop. Default false: the log checks the CRC. A batch whose CRC is wrong but was
   * declared verified is written as is and refused on every read.
   */
  crcVerified?: boolean;
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
  const check = validateBatch(batch, 0, maxMessageBytes, {
    checkCrc: options.crcVerified !== true,
  });
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
