// Zigzag varints, as Kafka's ByteUtils writes them inside RecordBatch v2 records.
//
//   varint  => zigzag(int32), then 7 bits per byte, low group first, high bit = "more follows";
//              1 to 5 bytes
//   varlong => zigzag(int64), the same way; 1 to 10 bytes
//   zigzag(n) = (n << 1) ^ (n >> 63), so small magnitudes of either sign stay short
//
// Varlongs carry timestamp deltas, which are JS numbers here: every value a varlong decodes to
// must be a safe integer (|n| < 2^53) or the input is corrupt. Int32-sized values, by far the
// common case, never leave 32-bit integer arithmetic; larger ones are split into two 32-bit
// halves rather than going through BigInt.
import { assert, BrokerError } from '@tributary/common';

/** A read position that decoders advance, so one call can return a value and move on. */
export interface Cursor {
  pos: number;
}

const TWO_POW_32 = 4294967296;

// Zigzag of a safe integer outside the int32 range, as two uint32 halves. Module-level scratch
// instead of a returned tuple keeps the slow path allocation-free (JS runs one call at a time).
let zigzagHi = 0;
let zigzagLo = 0;

function zigzag64(value: number): void {
  const magnitude = Math.abs(value);
  const hi = Math.floor(magnitude / TWO_POW_32);
  const lo = magnitude >>> 0;
  // 2 * |value| ...
  zigzagHi = hi * 2 + (lo >>> 31);
  zigzagLo = (lo << 1) >>> 0;
  // ... minus one for negatives; the low half is even, so the borrow reaches hi only from 0.
  if (value < 0) {
    if (zigzagLo === 0) {
      zigzagLo = 0xffffffff;
      zigzagHi -= 1;
    } else {
      zigzagLo -= 1;
    }
  }
}

function zigzag32(value: number): number {
  return ((value << 1) ^ (value >> 31)) >>> 0;
}

function corrupt(detail: string): BrokerError {
  return new BrokerError('CORRUPT_RECORD', detail);
}

export function sizeOfVarint(value: number): number {
  const z = zigzag32(value);
  if (z < 0x80) return 1;
  if (z < 0x4000) return 2;
  if (z < 0x200000) return 3;
  if (z < 0x10000000) return 4;
  return 5;
}

export function sizeOfVarlong(value: number): number {
  // The 64-bit zigzag of an int32 equals its 32-bit zigzag read as unsigned.
  if ((value | 0) === value) return sizeOfVarint(value);
  assert(Number.isSafeInteger(value), () => `varlong ${value} is not a safe integer`);
  zigzag64(value);
  const bits = zigzagHi !== 0 ? 64 - Math.clz32(zigzagHi) : 32 - Math.clz32(zigzagLo);
  return Math.ceil(bits / 7);
}

/** Writes `value` (an int32) at `pos`; returns the position after it. */
export function writeVarint(buf: Uint8Array, pos: number, value: number): number {
  assert((value | 0) === value, () => `varint ${value} is not an int32`);
  let z = zigzag32(value);
  while (z >= 0x80) {
    buf[pos++] = (z & 0x7f) | 0x80;
    z >>>= 7;
  }
  buf[pos++] = z;
  return pos;
}

/** Writes `value` (a safe integer) at `pos`; returns the position after it. */
export function writeVarlong(buf: Uint8Array, pos: number, value: number): number {
  if ((value | 0) === value) return writeVarint(buf, pos, value);
  assert(Number.isSafeInteger(value), () => `varlong ${value} is not a safe integer`);
  zigzag64(value);
  let hi = zigzagHi;
  let lo = zigzagLo;
  while (hi !== 0 || lo >= 0x80) {
    buf[pos++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  buf[pos++] = lo;
  return pos;
}

/**
 * Reads a varint at `cursor.pos` (never past `end`) and advances the cursor. Like Kafka, more
 * than five bytes is an error and bits beyond 32 in the fifth byte are dropped.
 */
export function readVarint(buf: Uint8Array, cursor: Cursor, end: number): number {
  let pos = cursor.pos;
  if (pos >= end) throw corrupt(`varint at ${pos} runs past the end of its field`);
  // pos < end <= buf.length on every read below, so the indexed bytes exist.
  let b = buf[pos++]!;
  if (b < 0x80) {
    cursor.pos = pos;
    return (b >>> 1) ^ -(b & 1);
  }
  let raw = b & 0x7f;
  for (let shift = 7; ; shift += 7) {
    if (pos >= end) throw corrupt(`varint at ${cursor.pos} runs past the end of its field`);
    b = buf[pos++]!;
    if (shift === 28) {
      if (b >= 0x80) throw corrupt(`varint at ${cursor.pos} is longer than 5 bytes`);
      raw |= b << 28;
      break;
    }
    raw |= (b & 0x7f) << shift;
    if (b < 0x80) break;
  }
  cursor.pos = pos;
  return (raw >>> 1) ^ -(raw & 1);
}

/**
 * Reads a varlong at `cursor.pos` (never past `end`) and advances the cursor. At most ten bytes,
 * as in Kafka; a value outside the safe integer range is corrupt input for this codec.
 */
export function readVarlong(buf: Uint8Array, cursor: Cursor, end: number): number {
  const start = cursor.pos;
  let pos = start;
  let lo = 0;
  let hi = 0;
  for (let shift = 0; ; shift += 7) {
    if (shift > 63) throw corrupt(`varlong at ${start} is longer than 10 bytes`);
    if (pos >= end) throw corrupt(`varlong at ${start} runs past the end of its field`);
    const b = buf[pos++]!;
    const bits = b & 0x7f;
    if (shift < 28) {
      lo |= bits << shift;
    } else if (shift === 28) {
      lo |= bits << 28;
      hi |= bits >>> 4;
    } else {
      // Bits shifted beyond 64 fall off, as they do in Java's long arithmetic.
      hi |= bits << (shift - 32);
    }
    if (b < 0x80) break;
  }
  cursor.pos = pos;
  if (hi === 0 && lo >= 0) return (lo >>> 1) ^ -(lo & 1);
  // Undo zigzag on the 64-bit pair, then rebuild the number from a signed high half.
  const negative = (lo & 1) === 1;
  let resultLo = ((lo >>> 1) | (hi << 31)) >>> 0;
  let resultHi = hi >>> 1;
  if (negative) {
    resultLo = ~resultLo >>> 0;
    resultHi = ~resultHi;
  }
  const value = resultHi * TWO_POW_32 + resultLo;
  if (!Number.isSafeInteger(value)) {
    throw corrupt(`varlong at ${start} is outside the safe integer range`);
  }
  return value;
}
