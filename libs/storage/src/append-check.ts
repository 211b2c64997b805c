// The checks a batch passes before the log takes it: size, framing (length, magic, counts),
// CRC32C unless the caller has already checked it, exactly one batch, at least one record; and
// for a follower's copy, every batch's CRC and offsets that continue the log densely.
import { BrokerError } from '@tributary/common';
import { type BatchHeader, readBatchHeader, validateBatch } from '@tributary/protocol';
import { RECOVERY_BATCH_BYTES_MAX } from './batch-scan';
import { type StampedBatch } from './log-segment';

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

/** Cuts a follower's records into stamped batches, checking each and their continuity. */
export function splitFollowerBatches(records: Buffer, expectedBaseOffset: number): StampedBatch[] {
  const batches: StampedBatch[] = [];
  let next = expectedBaseOffset;
  for (let at = 0; at < records.length;) {
    const check = validateBatch(records, at, RECOVERY_BATCH_BYTES_MAX);
    if (!check.ok) {
      throw new BrokerError('CORRUPT_RECORD', `replicated batch at byte ${at}: ${check.problem}`);
    }
    const buf = records.subarray(at, at + check.sizeBytes);
    const header = readBatchHeader(buf);
    if (header.baseOffset !== next) {
      throw new BrokerError(
        'CORRUPT_RECORD',
        `replicated batch starts at offset ${header.baseOffset}, the log continues at ${next}`,
      );
    }
    const lastOffset = header.baseOffset + header.lastOffsetDelta;
    batches.push({
      buf,
      baseOffset: header.baseOffset,
      lastOffset,
      maxTimestamp: header.maxTimestamp,
      leaderEpoch: header.partitionLeaderEpoch,
    });
    next = lastOffset + 1;
    at += check.sizeBytes;
  }
  return batches;
}
