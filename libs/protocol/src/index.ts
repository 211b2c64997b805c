export * from './batch-header';
export {
  batchRecords,
  isCompressedBatch,
  rebuildBatch,
  type RecordSpan,
  recordSpans,
} from './batch-slice';
export { crc32c } from './crc32c';
export {
  CompressionType,
  compressAsync,
  compressionName,
  compressSync,
  decompressAsync,
  decompressSync,
  hasSyncCodec,
  toCompressionType,
} from './compression';
export { murmur2, partitionForKey, toPositive } from './murmur2';
export type { DecodedRecord, RecordHeader, RecordInput } from './record';
export {
  type DecodedBatch,
  type EncodeBatchOptions,
  encodeRecordBatch,
  encodeRecordBatchAsync,
  TimestampType,
} from './record-batch';
export {
  decodeRecordBatch,
  decodeRecordBatchAsync,
  decodeRecordBatches,
  decodeRecordBatchesAsync,
} from './record-batch-decoder';
export {
  type Cursor,
  readVarint,
  readVarlong,
  sizeOfVarint,
  sizeOfVarlong,
  writeVarint,
  writeVarlong,
} from './varint';
export {
  encodeFrame,
  type Frame,
  FrameDecoder,
  FrameError,
  frameBytes,
  FrameType,
} from './rpc-frame';
