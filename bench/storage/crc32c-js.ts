// The plain-JS alternative to the native CRC32C of @tributary/protocol: the classic
// byte-at-a-time table loop (reflected Castagnoli polynomial 0x82F63B78). It exists only to
// measure what the native package buys; nothing outside bench/ uses it.
import { randomBytes } from 'node:crypto';
import { assert } from '@tributary/common';
import { crc32c } from '@tributary/protocol';
import { spread, type Spread } from '../common/stats';

const CASTAGNOLI_REFLECTED = 0x82f63b78;

const TABLE = ((): Uint32Array => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ CASTAGNOLI_REFLECTED : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32cJs(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export interface CrcResult {
  name: string;
  mbPerSecond: Spread;
}

/** Hashes `buf` repeatedly for at least `minMs`; returns MB/s (10^6 bytes per second). */
function throughput(fn: (data: Uint8Array) => number, buf: Buffer, minMs: number): number {
  let bytes = 0;
  let sink = 0;
  const start = performance.now();
  let elapsedMs = 0;
  while (elapsedMs < minMs) {
    sink ^= fn(buf);
    bytes += buf.length;
    elapsedMs = performance.now() - start;
  }
  // Keeps the results alive so the loop cannot be optimized away.
  assert(Number.isInteger(sink), 'checksum sink');
  return bytes / 1e6 / (elapsedMs / 1000);
}

/** Native vs JS CRC32C on a `bufferBytes` random buffer, `runs` runs of `minMs` each. */
export function compareCrc32c(bufferBytes: number, runs: number, minMs: number): CrcResult[] {
  // RFC 3720 check value: both implementations must agree with the standard and each other.
  const check = Buffer.from('123456789', 'ascii');
  assert(crc32c(check) === 0xe3069283, 'native CRC32C check value');
  assert(crc32cJs(check) === 0xe3069283, 'JS CRC32C check value');
  const buf = randomBytes(bufferBytes);
  assert(crc32c(buf) === crc32cJs(buf), 'native and JS CRC32C disagree');
  const candidates: [string, (data: Uint8Array) => number][] = [
    ['native `crc32c` (@node-rs/crc32)', crc32c],
    ['plain JS table loop (byte at a time)', crc32cJs],
  ];
  return candidates.map(([name, fn]) => {
    throughput(fn, buf, minMs / 4); // warm-up: let the JIT settle before timing
    const samples = Array.from({ length: runs }, () => throughput(fn, buf, minMs));
    return { name, mbPerSecond: spread(samples) };
  });
}
