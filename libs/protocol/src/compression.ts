// The codecs of a RecordBatch's records section, named by attribute bits 0-2:
//
//   0 none | 1 gzip (RFC 1952) | 2 snappy (xerial-framed, see xerial-snappy.ts)
//   3 lz4 (LZ4 frame format, see lz4-frame.ts) | 4 zstd (RFC 8878 frames)
//   5-7 unassigned
//
// Every codec but zstd has a synchronous native binding, so the produce and fetch hot paths
// can stay synchronous; zstd's binding (@mongodb-js/zstd) is promise-only, so zstd batches go
// through the async variants. Decompression is bounded by a byte limit that is enforced before
// the output is allocated wherever the format allows it (gzip: zlib's maxOutputLength; snappy:
// declared block lengths; lz4 and zstd: decompression-bounds.ts).
import { gunzipSync, gzipSync } from 'node:zlib';
import { compress as zstdCompress, decompress as zstdDecompress } from '@mongodb-js/zstd';
import { BrokerError, isBrokerError } from '@tributary/common';
import { decompressFrameSync as lz4Decompress } from 'lz4-napi';
import { type DecompressedBound, lz4FrameBound, zstdFrameBound } from './decompression-bounds';
import { lz4FrameCompress } from './lz4-frame';
import { snappyDecompress, xerialSnappyCompress } from './xerial-snappy';

export const CompressionType = {
  None: 0,
  Gzip: 1,
  Snappy: 2,
  Lz4: 3,
  Zstd: 4,
} as const;
export type CompressionType = (typeof CompressionType)[keyof typeof CompressionType];

const NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
/** Kafka's default compression.zstd.level. */
const ZSTD_LEVEL = 3;

export function compressionName(type: CompressionType): string {
  return NAMES[type];
}

/** The codec id of attribute bits 0-2; ids 5-7 are refused as Kafka refuses them. */
export function toCompressionType(id: number): CompressionType {
  if (Number.isInteger(id) && id >= 0 && id <= 4) return id as CompressionType;
  throw new BrokerError('UNSUPPORTED_COMPRESSION_TYPE', `unknown compression codec id ${id}`);
}

/** Whether `compressSync`/`decompressSync` handle this codec (all but zstd). */
export function hasSyncCodec(type: CompressionType): boolean {
  return type !== CompressionType.Zstd;
}

function zstdNeedsAsync(): BrokerError {
  return new BrokerError(
    'UNSUPPORTED_COMPRESSION_TYPE',
    'zstd has no synchronous codec here; use the async record batch functions',
  );
}

export function compressSync(type: CompressionType, data: Buffer): Buffer {
  switch (type) {
    case CompressionType.None:
      return data;
    case CompressionType.Gzip:
      return gzipSync(data);
    case CompressionType.Snappy:
      return xerialSnappyCompress(data);
    case CompressionType.Lz4:
      return lz4FrameCompress(data);
    case CompressionType.Zstd:
      throw zstdNeedsAsync();
  }
}

export async function compressAsync(type: CompressionType, data: Buffer): Promise<Buffer> {
  if (type === CompressionType.Zstd) return zstdCompress(data, ZSTD_LEVEL);
  return compressSync(type, data);
}

function wrapFailure(type: CompressionType, error: unknown): BrokerError {
  if (isBrokerError(error)) return error;
  return new BrokerError('CORRUPT_RECORD', `${NAMES[type]} payload does not decompress`, {
    cause: error,
  });
}

function checkBound(
  type: CompressionType,
  bound: DecompressedBound,
  decompressedBytesMax: number,
): void {
  // Well-formed streams overshoot the bound by less than one block (only the last is short).
  if (bound.boundBytes > decompressedBytesMax + bound.blockBytesMax) {
    throw new BrokerError(
      'CORRUPT_RECORD',
      `${NAMES[type]} payload may expand to ${bound.boundBytes} bytes, more than ${decompressedBytesMax}`,
    );
  }
}

function checkOutput(type: CompressionType, out: Buffer, decompressedBytesMax: number): Buffer {
  if (out.length > decompressedBytesMax) {
    throw new BrokerError(
      'CORRUPT_RECORD',
      `${NAMES[type]} payload expands to ${out.length} bytes, more than ${decompressedBytesMax}`,
    );
  }
  return out;
}

function gunzip(data: Buffer, decompressedBytesMax: number): Buffer {
  try {
    return gunzipSync(data, { maxOutputLength: decompressedBytesMax });
  } catch (error: unknown) {
    // zlib stops at maxOutputLength instead of allocating further. Checked by code, not by
    // class: the error may come from another realm (vm contexts, test runners).
    if (
      typeof error === 'object' &&
      error !== null &&
      'code' in error &&
      error.code === 'ERR_BUFFER_TOO_LARGE'
    ) {
      throw new BrokerError(
        'CORRUPT_RECORD',
        `gzip payload expands past ${decompressedBytesMax} bytes`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}

export function decompressSync(
  type: CompressionType,
  data: Buffer,
  decompressedBytesMax: number,
): Buffer {
  try {
    switch (type) {
      case CompressionType.None:
        return checkOutput(type, data, decompressedBytesMax);
      case CompressionType.Gzip:
        return gunzip(data, decompressedBytesMax);
      case CompressionType.Snappy:
        return snappyDecompress(data, decompressedBytesMax);
      case CompressionType.Lz4:
        checkBound(type, lz4FrameBound(data, decompressedBytesMax), decompressedBytesMax);
        return checkOutput(type, lz4Decompress(data), decompressedBytesMax);
      case CompressionType.Zstd:
        throw zstdNeedsAsync();
    }
  } catch (error: unknown) {
    throw wrapFailure(type, error);
  }
}

export async function decompressAsync(
  type: CompressionType,
  data: Buffer,
  decompressedBytesMax: number,
): Promise<Buffer> {
  if (type !== CompressionType.Zstd) return decompressSync(type, data, decompressedBytesMax);
  try {
    checkBound(type, zstdFrameBound(data, decompressedBytesMax), decompressedBytesMax);
    return checkOutput(type, await zstdDecompress(data), decompressedBytesMax);
  } catch (error: unknown) {
    throw wrapFailure(type, error);
  }
}
