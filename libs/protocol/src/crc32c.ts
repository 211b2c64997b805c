// CRC32C (Castagnoli), the checksum of RecordBatch v2. Native (SSE4.2 / ARMv8 CRC
// instructions through @node-rs/crc32); see bench/storage for the comparison that chose it.
import { crc32c as nativeCrc32c } from '@node-rs/crc32';

export function crc32c(data: Uint8Array): number {
  return (
    nativeCrc32c(
      Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength),
    ) >>> 0
  );
}
