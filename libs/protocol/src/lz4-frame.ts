// LZ4 frames exactly as Kafka's Lz4BlockOutputStream writes them. lz4-napi's own frame encoder
// picks its block size from the input (up to 4 MiB), so we frame the blocks ourselves and only
// borrow its block compressor.
//
//   Lz4Frame =>
//     magic: uint32le   0x184D2204
//     FLG: int8         0x60: version 1, independent blocks, no checksums, no content size
//     BD: int8          0x40: 64 KiB maximum block size
//     HC: int8          0x82: (xxHash32(FLG BD) >> 8) & 0xff
//     Block =>          one per 64 KiB of input
//       size: uint32le  high bit set when the block is stored uncompressed
//       data: bytes
//     endMark: uint32le 0
import { compressSync as lz4BlockCompress } from 'lz4-napi';

const FRAME_HEADER = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82]);
export const LZ4_BLOCK_BYTES = 64 * 1024;
const STORED_FLAG = 0x80000000;
/** lz4-napi's block output starts with the uncompressed size (uint32le), which frames omit. */
const SIZE_PREFIX_BYTES = 4;

export function lz4FrameCompress(data: Buffer): Buffer {
  const blocks: Buffer[] = [];
  const stored: boolean[] = [];
  let total = FRAME_HEADER.length + 4;
  for (let start = 0; start < data.length; start += LZ4_BLOCK_BYTES) {
    const chunk = data.subarray(start, start + LZ4_BLOCK_BYTES);
    const compressed = lz4BlockCompress(chunk).subarray(SIZE_PREFIX_BYTES);
    // Like Kafka, keep whichever is smaller: incompressible input is stored as it is.
    const keepRaw = compressed.length >= chunk.length;
    blocks.push(keepRaw ? chunk : compressed);
    stored.push(keepRaw);
    total += 4 + (keepRaw ? chunk.length : compressed.length);
  }
  const out = Buffer.allocUnsafe(total);
  let pos = FRAME_HEADER.copy(out, 0);
  blocks.forEach((block, i) => {
    out.writeUInt32LE((stored[i] ? STORED_FLAG : 0) + block.length, pos);
    pos += 4 + block.copy(out, pos + 4);
  });
  out.writeUInt32LE(0, pos);
  return out;
}
