// Kafka's default partitioner for keyed records: MurmurHash2 (32-bit, seed 0x9747b28c) exactly
// as Java's org.apache.kafka.common.utils.Utils.murmur2 computes it, so that a key lands on
// the same partition whichever client produced it.
//
//   h = seed ^ length
//   for each little-endian 4-byte word k: k *= m; k ^= k >>> 24; k *= m; h *= m; h ^= k
//   tail (1-3 bytes, little-endian) xored in, then h *= m
//   h ^= h >>> 13; h *= m; h ^= h >>> 15
//   partition = (h & 0x7fffffff) % numPartitions
//
// Math.imul gives Java's wrapping 32-bit multiply; `| 0` keeps every step a signed int32.
import { assert } from '@tributary/common';

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** The signed 32-bit hash Java's Utils.murmur2 returns for the same bytes. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const wordsEnd = length & ~3;
  // Every index read is below `length`, so the bytes exist.
  for (let i = 0; i < wordsEnd; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & 3;
  if (tail > 0) {
    if (tail === 3) h ^= data[wordsEnd + 2]! << 16;
    if (tail >= 2) h ^= data[wordsEnd + 1]! << 8;
    h ^= data[wordsEnd]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's Utils.toPositive: clears the sign bit rather than taking Math.abs. */
export function toPositive(hash: number): number {
  return hash & 0x7fffffff;
}

/** The partition Kafka's default partitioner picks for a non-null key. */
export function partitionForKey(key: Uint8Array, numPartitions: number): number {
  assert(
    Number.isInteger(numPartitions) && numPartitions > 0,
    () => `numPartitions ${numPartitions} must be positive`,
  );
  return toPositive(murmur2(key)) % numPartitions;
}
