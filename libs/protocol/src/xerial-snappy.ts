// Snappy as Kafka's Java client writes it: xerial snappy-java's SnappyOutputStream framing
// around raw Snappy blocks. Kafka readers also accept plain raw Snappy (what some non-Java
// clients send), and so do we: xerial's own reader falls back to raw when the magic is absent.
//
//   XerialStream =>
//     magic: 8 bytes      0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00
//     version: int32      1
//     compatibleVersion: int32  1
//     Chunk =>            repeated to the end; another header may start a concatenated stream
//       compressedLength: int32
//       rawSnappyBlock: bytes
//
//   RawSnappyBlock =>
//     uncompressedLength: uvarint (up to 5 bytes, little-endian base-128)
//     snappy elements
import { BrokerError } from '@tributary/common';
import { compressSync as snappyCompress, uncompressSync as snappyUncompress } from 'snappy';

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;
/** snappy-java's SnappyOutputStream.DEFAULT_BLOCK_SIZE, which Kafka does not override. */
export const XERIAL_BLOCK_BYTES = 32 * 1024;

function corrupt(detail: string, cause?: unknown): BrokerError {
  return new BrokerError('CORRUPT_RECORD', `snappy payload: ${detail}`, { cause });
}

function hasXerialMagic(data: Buffer, pos: number): boolean {
  return (
    data.length - pos >= XERIAL_MAGIC.length &&
    XERIAL_MAGIC.compare(data, pos, pos + XERIAL_MAGIC.length) === 0
  );
}

/** The uncompressed length a raw Snappy block declares in its preamble. */
function rawUncompressedBytes(block: Buffer): number {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= block.length) break;
    const b = block[i]!;
    value += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) return value;
  }
  throw corrupt('bad block length preamble');
}

function uncompressBlock(block: Buffer, expectedBytes: number): Buffer {
  let out: string | Buffer;
  try {
    out = snappyUncompress(block, { asBuffer: true });
  } catch (error: unknown) {
    throw corrupt('block does not decompress', error);
  }
  if (!Buffer.isBuffer(out) || out.length !== expectedBytes) throw corrupt('block length mismatch');
  return out;
}

/** Xerial-framed Snappy with 32 KiB blocks, byte-for-byte the framing Kafka's Java client writes. */
export function xerialSnappyCompress(data: Buffer): Buffer {
  const chunks: Buffer[] = [];
  let total = XERIAL_HEADER_BYTES;
  for (let start = 0; start < data.length; start += XERIAL_BLOCK_BYTES) {
    const chunk = snappyCompress(data.subarray(start, start + XERIAL_BLOCK_BYTES));
    chunks.push(chunk);
    total += 4 + chunk.length;
  }
  const out = Buffer.allocUnsafe(total);
  XERIAL_MAGIC.copy(out, 0);
  out.writeInt32BE(1, 8);
  out.writeInt32BE(1, 12);
  let pos = XERIAL_HEADER_BYTES;
  for (const chunk of chunks) {
    out.writeInt32BE(chunk.length, pos);
    pos += 4 + chunk.copy(out, pos + 4);
  }
  return out;
}

/** Decompresses xerial-framed or raw Snappy, refusing before allocation to exceed the limit. */
export function snappyDecompress(data: Buffer, decompressedBytesMax: number): Buffer {
  if (!hasXerialMagic(data, 0)) {
    const bytes = rawUncompressedBytes(data);
    if (bytes > decompressedBytesMax)
      throw corrupt(`declares ${bytes} bytes, more than ${decompressedBytesMax}`);
    return uncompressBlock(data, bytes);
  }
  const blocks: Buffer[] = [];
  const blockBytes: number[] = [];
  let total = 0;
  let pos = 0;
  while (pos < data.length) {
    if (hasXerialMagic(data, pos)) {
      if (data.length - pos < XERIAL_HEADER_BYTES) throw corrupt('truncated stream header');
      pos += XERIAL_HEADER_BYTES;
      continue;
    }
    if (data.length - pos < 4) throw corrupt(`truncated chunk length at ${pos}`);
    const length = data.readInt32BE(pos);
    pos += 4;
    if (length <= 0 || length > data.length - pos)
      throw corrupt(`chunk length ${length} at ${pos - 4}`);
    const block = data.subarray(pos, pos + length);
    pos += length;
    const bytes = rawUncompressedBytes(block);
    total += bytes;
    if (total > decompressedBytesMax) throw corrupt(`expands past ${decompressedBytesMax} bytes`);
    blocks.push(block);
    blockBytes.push(bytes);
  }
  if (blocks.length === 1) return uncompressBlock(blocks[0]!, blockBytes[0]!);
  const out = Buffer.allocUnsafe(total);
  let outPos = 0;
  blocks.forEach((block, i) => {
    outPos += uncompressBlock(block, blockBytes[i]!).copy(out, outPos);
  });
  return out;
}
