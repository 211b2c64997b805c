import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { isBrokerError, LIMITS } from '@tributary/common';
import { compressSync as lz4BlockCompress, decompressFrameSync } from 'lz4-napi';
import { compressSync as snappyRawCompress } from 'snappy';
import {
  compressAsync,
  CompressionType,
  compressionName,
  compressSync,
  decompressAsync,
  decompressSync,
  hasSyncCodec,
  toCompressionType,
} from './compression';

const LIMIT = LIMITS.decompressedBatchBytesMax;
const XERIAL_HEADER = Buffer.from('82534e41505059000000000100000001', 'hex');
const KAFKA_LZ4_HEADER = Buffer.from('04224d18604082', 'hex');

const INPUTS: Array<[string, Buffer]> = [
  ['one byte', Buffer.from([7])],
  ['100 KB of text', Buffer.alloc(100_000, 'the quick brown fox ')],
  ['100 KB of noise', randomBytes(100_000)],
  ['noise then text', Buffer.concat([randomBytes(70_000), Buffer.alloc(70_000, 'abc')])],
];
const CODECS = [
  CompressionType.None,
  CompressionType.Gzip,
  CompressionType.Snappy,
  CompressionType.Lz4,
  CompressionType.Zstd,
];

async function failureOf(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error: unknown) {
    return error;
  }
  return undefined;
}

async function expectCorrupt(fn: () => unknown, reason: RegExp): Promise<void> {
  const error = await failureOf(fn);
  expect(isBrokerError(error, 'CORRUPT_RECORD')).toBe(true);
  expect((error as Error).message).toMatch(reason);
}

function int32(value: number): Buffer {
  const buf = Buffer.alloc(4);
  buf.writeInt32BE(value);
  return buf;
}

function uint32le(value: number): Buffer {
  const buf = Buffer.alloc(4);
  buf.writeUInt32LE(value);
  return buf;
}

describe('codec ids', () => {
  test('0-4 are the Kafka codecs, 5-7 are refused', () => {
    expect([0, 1, 2, 3, 4].map((id) => compressionName(toCompressionType(id)))).toEqual([
      'none',
      'gzip',
      'snappy',
      'lz4',
      'zstd',
    ]);
    for (const id of [5, 6, 7, -1, 1.5]) {
      expect(() => toCompressionType(id)).toThrow(
        expect.objectContaining({ code: 'UNSUPPORTED_COMPRESSION_TYPE' }),
      );
    }
    expect(CODECS.filter(hasSyncCodec)).toEqual([0, 1, 2, 3]);
  });
});

describe.each(CODECS.map((c) => [compressionName(c), c] as const))('%s', (_name, type) => {
  test.each(INPUTS)('%s round trips through the async API', async (_name, data) => {
    const compressed = await compressAsync(type, data);
    expect((await decompressAsync(type, compressed, LIMIT)).equals(data)).toBe(true);
  });

  if (hasSyncCodec(type)) {
    test.each(INPUTS)('%s round trips synchronously', (_name, data) => {
      expect(decompressSync(type, compressSync(type, data), LIMIT).equals(data)).toBe(true);
    });
  }
});

describe('snappy as Kafka writes and reads it', () => {
  test('xerial framing: stream header, then one int32-sized chunk per 32 KiB of input', () => {
    const data = Buffer.alloc(100_000, 'snappy ');
    const framed = compressSync(CompressionType.Snappy, data);
    expect(framed.subarray(0, 16).equals(XERIAL_HEADER)).toBe(true);
    const chunkSizes: number[] = [];
    for (let pos = 16; pos < framed.length; pos += 4 + framed.readInt32BE(pos)) {
      chunkSizes.push(framed.readInt32BE(pos));
    }
    expect(chunkSizes).toHaveLength(Math.ceil(100_000 / 32_768));
  });

  test('raw snappy, as non-Java clients send it, decodes too', () => {
    const data = Buffer.from('raw snappy block');
    expect(
      decompressSync(CompressionType.Snappy, snappyRawCompress(data), LIMIT).equals(data),
    ).toBe(true);
  });

  test('concatenated xerial streams decode as one', () => {
    const a = compressSync(CompressionType.Snappy, Buffer.from('first part, '));
    const b = compressSync(CompressionType.Snappy, Buffer.from('second part'));
    expect(decompressSync(CompressionType.Snappy, Buffer.concat([a, b]), LIMIT).toString()).toBe(
      'first part, second part',
    );
  });
});

describe('lz4 as Kafka writes it', () => {
  test('64 KiB independent blocks, incompressible ones stored, an end mark', () => {
    const data = Buffer.concat([
      Buffer.alloc(65_536, 'z'),
      randomBytes(65_536),
      Buffer.alloc(1000, 'end'),
    ]);
    const frame = compressSync(CompressionType.Lz4, data);
    expect(frame.subarray(0, 7).equals(KAFKA_LZ4_HEADER)).toBe(true);
    const blocks: Array<{ stored: boolean; size: number }> = [];
    let pos = 7;
    for (let word = frame.readUInt32LE(pos); word !== 0; word = frame.readUInt32LE(pos)) {
      blocks.push({ stored: word >>> 31 === 1, size: word & 0x7fffffff });
      pos += 4 + (word & 0x7fffffff);
    }
    expect(pos + 4).toBe(frame.length);
    expect(blocks.map((b) => b.stored)).toEqual([false, true, false]);
    expect(blocks[1]!.size).toBe(65_536);
    // lz4-napi's own frame decoder, an independent reader, agrees.
    expect(decompressFrameSync(frame).equals(data)).toBe(true);
  });
});

describe('decompression is bounded before it allocates', () => {
  test('gzip stops at the limit', async () => {
    const bomb = gzipSync(Buffer.alloc(LIMIT + 1));
    await expectCorrupt(
      () => decompressSync(CompressionType.Gzip, bomb, LIMIT),
      /gzip payload expands past 67108864/,
    );
  });

  test('raw snappy declaring more than the limit', async () => {
    // Preamble: uvarint 100 MiB, then elements that are never reached.
    const bomb = Buffer.from([0x80, 0x80, 0x80, 0x32, 0x00, 0x61]);
    await expectCorrupt(
      () => decompressSync(CompressionType.Snappy, bomb, LIMIT),
      /declares 104857600 bytes/,
    );
  });

  test('xerial chunks adding up past the limit', async () => {
    const chunk = Buffer.concat([int32(4), Buffer.from([0x80, 0x80, 0x80, 0x10])]); // 32 MiB each
    const bomb = Buffer.concat([XERIAL_HEADER, chunk, chunk, chunk]);
    await expectCorrupt(
      () => decompressSync(CompressionType.Snappy, bomb, LIMIT),
      /expands past 67108864/,
    );
  });

  test('lz4 blocks of zeros adding up past the limit', async () => {
    const block = lz4BlockCompress(Buffer.alloc(65_536)).subarray(4);
    const sized = Buffer.concat([uint32le(block.length), block]);
    const count = Math.ceil(LIMIT / 65_536) + 2;
    const bomb = Buffer.concat([
      KAFKA_LZ4_HEADER,
      ...Array<Buffer>(count).fill(sized),
      uint32le(0),
    ]);
    expect(bomb.length).toBeLessThan(LIMIT / 100);
    await expectCorrupt(
      () => decompressSync(CompressionType.Lz4, bomb, LIMIT),
      /lz4 payload may expand to/,
    );
  });

  test('an lz4 frame declaring a content size past the limit', async () => {
    const header = [0x04, 0x22, 0x4d, 0x18, 0x68, 0x40, 0, 0, 0, 0, 1, 0, 0, 0, 0x00];
    await expectCorrupt(
      () => decompressSync(CompressionType.Lz4, Buffer.from([...header, 0, 0, 0, 0]), LIMIT),
      /declares 4294967296 bytes/,
    );
  });

  test('zstd RLE blocks regenerating past the limit', async () => {
    // No content size, 2 MiB window; each 4-byte RLE block regenerates 128 KiB.
    const count = Math.ceil(LIMIT / 131_072) + 2;
    const rle = (last: boolean): number[] => [last ? 0x03 : 0x02, 0x00, 0x10, 0x00];
    const blocks = Array.from({ length: count }, (_, i) => rle(i === count - 1)).flat();
    const bomb = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58, ...blocks]);
    await expectCorrupt(
      () => decompressAsync(CompressionType.Zstd, bomb, LIMIT),
      /zstd payload may expand to/,
    );
  });

  test('a zstd frame declaring a content size past the limit', async () => {
    // FHD 0xa0: single segment, 4-byte content size of 256 MiB.
    const bomb = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xa0, 0x00, 0x00, 0x00, 0x10, 0x01, 0x00]);
    await expectCorrupt(
      () => decompressAsync(CompressionType.Zstd, bomb, LIMIT),
      /declares 268435456 bytes/,
    );
  });

  test.each([
    ['gzip', CompressionType.Gzip],
    ['snappy', CompressionType.Snappy],
    ['lz4', CompressionType.Lz4],
    ['zstd', CompressionType.Zstd],
  ])('%s output just over a small limit is refused', async (_name, type) => {
    const compressed = await compressAsync(type, Buffer.alloc(10_001, 'a'));
    await expectCorrupt(() => decompressAsync(type, compressed, 10_000), /10000/);
    expect((await decompressAsync(type, compressed, 10_001)).length).toBe(10_001);
  });

  test('the sync API refuses zstd rather than blocking on it', () => {
    for (const fn of [
      () => compressSync(CompressionType.Zstd, Buffer.from('x')),
      () => decompressSync(CompressionType.Zstd, Buffer.from('x'), LIMIT),
    ]) {
      expect(fn).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_COMPRESSION_TYPE' }));
    }
  });
});
