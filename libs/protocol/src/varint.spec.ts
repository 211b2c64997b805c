import { isBrokerError } from '@tributary/common';
import {
  type Cursor,
  readVarint,
  readVarlong,
  sizeOfVarint,
  sizeOfVarlong,
  writeVarint,
  writeVarlong,
} from './varint';

// Encodings from Kafka's ByteUtilsTest (testVarintSerde / testVarlongSerde).
const KAFKA_VARINTS: Array<[number, number[]]> = [
  [0, [0x00]],
  [-1, [0x01]],
  [1, [0x02]],
  [63, [0x7e]],
  [-64, [0x7f]],
  [64, [0x80, 0x01]],
  [-65, [0x81, 0x01]],
  [8191, [0xfe, 0x7f]],
  [-8192, [0xff, 0x7f]],
  [8192, [0x80, 0x80, 0x01]],
  [-8193, [0x81, 0x80, 0x01]],
  [1048575, [0xfe, 0xff, 0x7f]],
  [-1048576, [0xff, 0xff, 0x7f]],
  [1048576, [0x80, 0x80, 0x80, 0x01]],
  [-1048577, [0x81, 0x80, 0x80, 0x01]],
  [134217727, [0xfe, 0xff, 0xff, 0x7f]],
  [-134217728, [0xff, 0xff, 0xff, 0x7f]],
  [134217728, [0x80, 0x80, 0x80, 0x80, 0x01]],
  [-134217729, [0x81, 0x80, 0x80, 0x80, 0x01]],
  [2147483647, [0xfe, 0xff, 0xff, 0xff, 0x0f]],
  [-2147483648, [0xff, 0xff, 0xff, 0xff, 0x0f]],
];

const KAFKA_VARLONGS: Array<[number, number[]]> = [
  ...KAFKA_VARINTS,
  [17179869183, [0xfe, 0xff, 0xff, 0xff, 0x7f]],
  [-17179869184, [0xff, 0xff, 0xff, 0xff, 0x7f]],
  [17179869184, [0x80, 0x80, 0x80, 0x80, 0x80, 0x01]],
  [-17179869185, [0x81, 0x80, 0x80, 0x80, 0x80, 0x01]],
  [2199023255551, [0xfe, 0xff, 0xff, 0xff, 0xff, 0x7f]],
  [-2199023255552, [0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]],
  [2199023255552, [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]],
  [-2199023255553, [0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]],
  [281474976710655, [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]],
  [-281474976710656, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]],
  [281474976710656, [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]],
  [-281474976710657, [0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]],
  // 2^53 - 1 and its negation: zigzag 2^54 - 2 and 2^54 - 3.
  [Number.MAX_SAFE_INTEGER, [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f]],
  [Number.MIN_SAFE_INTEGER, [0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f]],
];

// Kafka values a JS number cannot hold exactly: decoding them must fail, not round.
const UNSAFE_VARLONGS: Array<[string, number[]]> = [
  ['2^62 - 1', [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]],
  ['-2^62 - 1', [0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]],
  ['Long.MAX_VALUE', [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]],
  ['-2^53', [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f]],
  ['2^53', [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20]],
];

function encodeWith(write: typeof writeVarint, value: number): number[] {
  const buf = Buffer.alloc(16);
  const end = write(buf, 0, value);
  return [...buf.subarray(0, end)];
}

function decodeWith(read: typeof readVarint, bytes: number[]): { value: number; pos: number } {
  const cursor: Cursor = { pos: 0 };
  const value = read(Buffer.from(bytes), cursor, bytes.length);
  return { value, pos: cursor.pos };
}

function expectCorrupt(fn: () => unknown): void {
  let caught: unknown;
  try {
    fn();
  } catch (error: unknown) {
    caught = error;
  }
  expect(isBrokerError(caught, 'CORRUPT_RECORD')).toBe(true);
}

describe('varint', () => {
  test.each(KAFKA_VARINTS)('%d encodes as Kafka does', (value, bytes) => {
    expect(encodeWith(writeVarint, value)).toEqual(bytes);
    expect(sizeOfVarint(value)).toBe(bytes.length);
    expect(decodeWith(readVarint, bytes)).toEqual({ value, pos: bytes.length });
  });

  test('round trips every power-of-two boundary of the int32 range', () => {
    for (let bit = 0; bit < 31; bit++) {
      for (const value of [2 ** bit - 1, 2 ** bit, -(2 ** bit), -(2 ** bit) - 1]) {
        const bytes = encodeWith(writeVarint, value);
        expect(bytes.length).toBe(sizeOfVarint(value));
        expect(decodeWith(readVarint, bytes).value).toBe(value);
      }
    }
  });

  test('refuses a sixth byte, as Kafka does', () => {
    expectCorrupt(() => decodeWith(readVarint, [0xff, 0xff, 0xff, 0xff, 0xff, 0x01]));
  });

  test('drops bits past 32 in the fifth byte, as Java does', () => {
    // 0x7f in the fifth byte: Java's (b << 28) keeps the low 4 bits only.
    expect(decodeWith(readVarint, [0xfe, 0xff, 0xff, 0xff, 0x7f]).value).toBe(2147483647);
  });

  test.each([[[]], [[0x80]], [[0xff, 0xff]], [[0x80, 0x80, 0x80, 0x80]]])(
    'truncated input %j is corrupt',
    (bytes) => expectCorrupt(() => decodeWith(readVarint, bytes)),
  );

  test('never reads past the end it is given', () => {
    const buf = Buffer.from([0x80, 0x01]);
    expectCorrupt(() => readVarint(buf, { pos: 0 }, 1));
  });

  test('a non-int32 value is a bug, not input', () => {
    expect(() => writeVarint(Buffer.alloc(8), 0, 2 ** 31)).toThrow(/not an int32/);
  });
});

describe('varlong', () => {
  test.each(KAFKA_VARLONGS)('%d encodes as Kafka does', (value, bytes) => {
    expect(encodeWith(writeVarlong, value)).toEqual(bytes);
    expect(sizeOfVarlong(value)).toBe(bytes.length);
    expect(decodeWith(readVarlong, bytes)).toEqual({ value, pos: bytes.length });
  });

  test('round trips boundaries up to the largest safe integers', () => {
    for (let bit = 0; bit < 53; bit++) {
      for (const value of [2 ** bit - 1, 2 ** bit, -(2 ** bit), -(2 ** bit) + 1]) {
        if (!Number.isSafeInteger(value)) continue;
        const bytes = encodeWith(writeVarlong, value);
        expect(bytes.length).toBe(sizeOfVarlong(value));
        expect(decodeWith(readVarlong, bytes).value).toBe(value);
      }
    }
  });

  test('round trips timestamps and deltas of realistic size', () => {
    const values = [1_700_000_000_000, -1_700_000_000_000, 86_400_000, -1, 2 ** 31, -(2 ** 31) - 1];
    for (const value of values) {
      expect(decodeWith(readVarlong, encodeWith(writeVarlong, value)).value).toBe(value);
    }
  });

  test.each(UNSAFE_VARLONGS)('%s, outside the safe range, is corrupt', (_name, bytes) => {
    expectCorrupt(() => decodeWith(readVarlong, bytes));
  });

  test('refuses an eleventh byte, as Kafka does', () => {
    expectCorrupt(() =>
      decodeWith(readVarlong, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
    );
  });

  test('truncated input is corrupt', () => {
    expectCorrupt(() => decodeWith(readVarlong, [0x80, 0x80, 0x80, 0x80, 0x80, 0x80]));
  });

  test('an unsafe value is a bug, not input', () => {
    expect(() => writeVarlong(Buffer.alloc(16), 0, 2 ** 53)).toThrow(/safe integer/);
  });
});
