// Upper bounds on what an LZ4 or zstd payload decompresses to, found by walking frame and block
// headers without decompressing anything. The native decompressors grow their output as they go
// and take no size limit, so this walk is what stops a compression bomb (a few KB of RLE blocks
// that expand to gigabytes) before it allocates. It also rejects frames the native code need
// not see: truncated blocks, oversized blocks, reserved bits.
//
//   LZ4 frame (lz4 frame format 1.6.x):
//     magic: uint32le 0x184D2204 | skippable 0x184D2A50..5F + size: uint32le + bytes
//     FLG: int8       version(2) blockIndep(1) blockChecksum(1) contentSize(1) contentChecksum(1)
//                     reserved(1) dictId(1)
//     BD: int8        blockMaxSize in bits 4-6: 4=64KB 5=256KB 6=1MB 7=4MB
//     contentSize: uint64le if flagged;  dictId: uint32le if flagged;  HC: int8
//     Block => size: uint32le (high bit: stored uncompressed; 0 ends the frame), data,
//              checksum: uint32le if flagged
//     contentChecksum: uint32le if flagged
//
//   Zstandard frame (RFC 8878):
//     magic: uint32le 0xFD2FB528 | skippable 0x184D2A50..5F + size: uint32le + bytes
//     FHD: int8       fcsFlag(2) singleSegment(1) unused(1) reserved(1) checksum(1) dictIdFlag(2)
//     windowDescriptor: int8 unless singleSegment;  dictId: 0/1/2/4 bytes
//     frameContentSize: 0/1/2/4/8 bytes
//     Block => header: uint24le last(1) type(2) size(21); raw: size bytes, RLE: 1 byte
//              (regenerates size bytes), compressed: size bytes (regenerates at most
//              min(window, 128KB))
//     checksum: uint32le if flagged
import { BrokerError } from '@tributary/common';

const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const LZ4_MAGIC = 0x184d2204;
const ZSTD_MAGIC = 0xfd2fb528;
const ZSTD_BLOCK_BYTES_MAX = 128 * 1024;
const TWO_POW_32 = 4294967296;

export interface DecompressedBound {
  /** No valid decoding of the input can produce more bytes than this. */
  boundBytes: number;
  /** The largest single block: how far the bound may overshoot well-formed input. */
  blockBytesMax: number;
}

function corrupt(codec: string, detail: string): BrokerError {
  return new BrokerError('CORRUPT_RECORD', `${codec} payload: ${detail}`);
}

function need(data: Buffer, pos: number, bytes: number, codec: string): void {
  if (bytes > data.length - pos) throw corrupt(codec, `truncated at ${pos}`);
}

function skipSkippableFrame(data: Buffer, pos: number, codec: string): number {
  need(data, pos, 8, codec);
  const size = data.readUInt32LE(pos + 4);
  need(data, pos + 8, size, codec);
  return pos + 8 + size;
}

/**
 * Skips skippable frames from `pos`; returns the position of the next real frame (whose magic
 * must be `magic`) or the end of the data.
 */
function nextFrame(data: Buffer, pos: number, codec: string, magic: number): number {
  while (pos < data.length) {
    need(data, pos, 4, codec);
    const found = data.readUInt32LE(pos);
    if ((found & SKIPPABLE_MASK) >>> 0 !== SKIPPABLE_MAGIC) {
      if (found !== magic)
        throw corrupt(codec, `bad frame magic 0x${found.toString(16)} at ${pos}`);
      return pos;
    }
    pos = skipSkippableFrame(data, pos, codec);
  }
  return pos;
}

export function lz4FrameBound(data: Buffer, decompressedBytesMax: number): DecompressedBound {
  const codec = 'lz4';
  let pos = 0;
  let boundBytes = 0;
  let blockBytesMax = 0;
  if (data.length === 0) throw corrupt(codec, 'empty');
  for (
    pos = nextFrame(data, pos, codec, LZ4_MAGIC);
    pos < data.length;
    pos = nextFrame(data, pos, codec, LZ4_MAGIC)
  ) {
    need(data, pos + 4, 3, codec);
    const flg = data[pos + 4]!;
    const bd = data[pos + 5]!;
    if (flg >>> 6 !== 1 || (flg & 0x02) !== 0 || (bd & 0x8f) !== 0) {
      throw corrupt(codec, `unsupported frame descriptor at ${pos}`);
    }
    const blockSizeId = (bd >>> 4) & 0x07;
    if (blockSizeId < 4) throw corrupt(codec, `reserved block size id ${blockSizeId}`);
    const blockMax = 1 << (8 + 2 * blockSizeId);
    blockBytesMax = Math.max(blockBytesMax, blockMax);
    const blockChecksumBytes = flg & 0x10 ? 4 : 0;
    const contentChecksumBytes = flg & 0x04 ? 4 : 0;
    pos += 6;
    if (flg & 0x08) {
      need(data, pos, 8, codec);
      const contentBytes = data.readUInt32LE(pos + 4) * TWO_POW_32 + data.readUInt32LE(pos);
      if (contentBytes > decompressedBytesMax) {
        throw corrupt(codec, `declares ${contentBytes} bytes, more than ${decompressedBytesMax}`);
      }
      pos += 8;
    }
    if (flg & 0x01) pos += 4;
    pos += 1; // header checksum, verified by the decompressor
    for (;;) {
      need(data, pos, 4, codec);
      const word = data.readUInt32LE(pos);
      pos += 4;
      if (word === 0) break;
      const stored = word >>> 31 === 1;
      const size = word & 0x7fffffff;
      if (size > blockMax)
        throw corrupt(codec, `block of ${size} bytes exceeds the frame's ${blockMax}`);
      need(data, pos, size + blockChecksumBytes, codec);
      pos += size + blockChecksumBytes;
      boundBytes += stored ? size : blockMax;
    }
    need(data, pos, contentChecksumBytes, codec);
    pos += contentChecksumBytes;
  }
  return { boundBytes, blockBytesMax };
}

function readLittleEndian(data: Buffer, pos: number, bytes: number): number {
  let value = 0;
  for (let i = bytes - 1; i >= 0; i--) value = value * 256 + data[pos + i]!;
  return value;
}

/** Reads a zstd frame header at `pos`; returns the block limit and the first block position. */
function readZstdFrameHeader(
  data: Buffer,
  pos: number,
  decompressedBytesMax: number,
): { blockMax: number; checksumBytes: number; pos: number } {
  const codec = 'zstd';
  need(data, pos, 5, codec);
  const fhd = data[pos + 4]!;
  pos += 5;
  if (fhd & 0x08) throw corrupt(codec, 'reserved frame header bit set');
  const fcsFlag = fhd >>> 6;
  const singleSegment = (fhd & 0x20) !== 0;
  let windowBytes = Infinity;
  if (!singleSegment) {
    need(data, pos, 1, codec);
    const wd = data[pos++]!;
    const windowBase = 2 ** (10 + (wd >>> 3));
    windowBytes = windowBase + (windowBase / 8) * (wd & 0x07);
  }
  pos += [0, 1, 2, 4][fhd & 0x03]!;
  const fcsBytes = [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag]!;
  need(data, pos, fcsBytes, codec);
  if (fcsBytes > 0) {
    const contentBytes = readLittleEndian(data, pos, fcsBytes) + (fcsBytes === 2 ? 256 : 0);
    if (contentBytes > decompressedBytesMax) {
      throw corrupt(codec, `declares ${contentBytes} bytes, more than ${decompressedBytesMax}`);
    }
    if (singleSegment) windowBytes = contentBytes;
    pos += fcsBytes;
  }
  return {
    blockMax: Math.min(windowBytes, ZSTD_BLOCK_BYTES_MAX),
    checksumBytes: fhd & 0x04 ? 4 : 0,
    pos,
  };
}

export function zstdFrameBound(data: Buffer, decompressedBytesMax: number): DecompressedBound {
  const codec = 'zstd';
  let pos = 0;
  let boundBytes = 0;
  if (data.length === 0) throw corrupt(codec, 'empty');
  for (
    pos = nextFrame(data, pos, codec, ZSTD_MAGIC);
    pos < data.length;
    pos = nextFrame(data, pos, codec, ZSTD_MAGIC)
  ) {
    const frame = readZstdFrameHeader(data, pos, decompressedBytesMax);
    pos = frame.pos;
    for (let last = false; !last;) {
      need(data, pos, 3, codec);
      const header = data[pos]! | (data[pos + 1]! << 8) | (data[pos + 2]! << 16);
      pos += 3;
      last = (header & 1) === 1;
      const type = (header >>> 1) & 0x03;
      const size = header >>> 3;
      if (type === 3) throw corrupt(codec, `reserved block type at ${pos - 3}`);
      if (size > frame.blockMax)
        throw corrupt(codec, `block of ${size} bytes exceeds ${frame.blockMax}`);
      const stored = type === 1 ? 1 : size;
      need(data, pos, stored, codec);
      pos += stored;
      boundBytes += type === 2 ? frame.blockMax : size;
    }
    need(data, pos, frame.checksumBytes, codec);
    pos += frame.checksumBytes;
  }
  return { boundBytes, blockBytesMax: ZSTD_BLOCK_BYTES_MAX };
}
