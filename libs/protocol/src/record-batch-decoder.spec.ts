import { gzipSync } from 'node:zlib';
import { type ErrorCode, isBrokerError, LIMITS } from '@tributary/common';
import { compressSync as lz4BlockCompress } from 'lz4-napi';
import { updateBatchCrc } from './batch-header';
import { CompressionType } from './compression';
import { encodeRecordBatch } from './record-batch';
import { decodeRecordBatch, decodeRecordBatchAsync } from './record-batch-decoder';
import { writeVarint } from './varint';

const NOW_MS = 1_700_000_000_000;

/** A well-formed batch of three small records. */
const GOOD = encodeRecordBatch(
  [
    { key: Buffer.from('a'), value: Buffer.from('one') },
    { key: null, value: Buffer.from('two'), headers: [{ key: 'h', value: Buffer.from('x') }] },
    { key: Buffer.from('c'), value: null },
  ],
  { defaultTimestampMs: NOW_MS },
);

function varint(value: number): number[] {
  const buf = Buffer.alloc(5);
  return [...buf.subarray(0, writeVarint(buf, 0, value))];
}

/** A record from body fields, with its length prefix. */
function record(body: number[]): number[] {
  return [...varint(body.length), ...body];
}

/** Fields of a minimal record: attributes, timestampDelta, offsetDelta, null key, null value, no headers. */
function fields(offsetDelta = 0): number[] {
  return [0, 0, ...varint(offsetDelta), ...varint(-1), ...varint(-1), 0];
}

/** GOOD's header around another records section, with a valid CRC: what a buggy client could send. */
function craft(
  payload: number[] | Buffer,
  count: number,
  options: { lastOffsetDelta?: number; attributes?: number } = {},
): Buffer {
  const buf = Buffer.concat([GOOD.subarray(0, 61), Buffer.from(payload)]);
  buf.writeInt32BE(buf.length - 12, 8);
  buf.writeInt16BE(options.attributes ?? 0, 21);
  buf.writeInt32BE(options.lastOffsetDelta ?? Math.max(0, count - 1), 23);
  buf.writeInt32BE(count, 57);
  updateBatchCrc(buf, 0, buf.length);
  return buf;
}

const LZ4_HEADER = [0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82];

function lz4Block(data: Buffer): Buffer {
  const raw = lz4BlockCompress(data).subarray(4);
  const size = Buffer.alloc(4);
  size.writeUInt32LE(raw.length);
  return Buffer.concat([size, raw]);
}

function lz4Frame(blocks: Buffer[]): Buffer {
  return Buffer.concat([Buffer.from(LZ4_HEADER), ...blocks, Buffer.alloc(4)]);
}

function xerial(body: number[]): Buffer {
  return Buffer.concat([Buffer.from('82534e41505059000000000100000001', 'hex'), Buffer.from(body)]);
}

function flip(buf: Buffer, pos: number, mask: number): void {
  buf.writeUInt8(buf.readUInt8(pos) ^ mask, pos);
}

function patched(edit: (buf: Buffer) => void): Buffer {
  const buf = Buffer.from(GOOD);
  edit(buf);
  return buf;
}

async function failureOf(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error: unknown) {
    return error;
  }
  return undefined;
}

/** Both the sync and the async decoder refuse `buf` with `code`, for the expected reason. */
async function expectCode(buf: Buffer, code: ErrorCode, reason: RegExp): Promise<void> {
  for (const error of [
    await failureOf(() => decodeRecordBatch(buf)),
    await failureOf(() => decodeRecordBatchAsync(buf)),
  ]) {
    expect(isBrokerError(error, code)).toBe(true);
    expect((error as Error).message).toMatch(reason);
  }
}

/** zstd decodes only asynchronously. */
async function expectZstdCorrupt(payload: number[], reason: RegExp): Promise<void> {
  const error = await failureOf(() => decodeRecordBatchAsync(craft(payload, 1, { attributes: 4 })));
  expect(isBrokerError(error, 'CORRUPT_RECORD')).toBe(true);
  expect((error as Error).message).toMatch(reason);
}

describe('decodeRecordBatch refuses malformed input with CORRUPT_RECORD', () => {
  test('the fixture batch itself is fine', () => {
    expect(decodeRecordBatch(GOOD).records).toHaveLength(3);
  });

  const cases: Array<[string, () => Buffer, RegExp]> = [
    // Caught by the frame checks, before anything is trusted.
    ['an empty buffer', () => Buffer.alloc(0), /fewer bytes than a batch header/],
    ['fewer bytes than a header', () => GOOD.subarray(0, 60), /fewer bytes than a batch header/],
    ['a batch cut short by one byte', () => GOOD.subarray(0, GOOD.length - 1), /runs past the end/],
    ['a batch cut right after its header', () => GOOD.subarray(0, 61), /runs past the end/],
    [
      'a batch length of 2^31 - 1',
      () => patched((b) => b.writeInt32BE(0x7fffffff, 8)),
      /batch length out of range/,
    ],
    [
      'a negative batch length',
      () => patched((b) => b.writeInt32BE(-5, 8)),
      /batch length out of range/,
    ],
    [
      'a batch length below the header size',
      () => patched((b) => b.writeInt32BE(20, 8)),
      /batch length out of range/,
    ],
    ['magic 1', () => patched((b) => b.writeInt8(1, 16)), /magic is not 2/],
    ['a flipped byte in the records', () => patched((b) => flip(b, 70, 0x01)), /CRC32C mismatch/],
    [
      'a flipped byte in the last record',
      () => patched((b) => flip(b, b.length - 2, 0x40)),
      /CRC32C mismatch/,
    ],
    ['flipped attributes', () => patched((b) => flip(b, 22, 0x01)), /CRC32C mismatch/],
    ['a flipped maxTimestamp', () => patched((b) => flip(b, 40, 0x10)), /CRC32C mismatch/],
    ['a flipped CRC', () => patched((b) => flip(b, 17, 0x80)), /CRC32C mismatch/],
    [
      'bytes after the batch',
      () => Buffer.concat([GOOD, Buffer.from([0])]),
      /bytes follow the batch/,
    ],
    [
      'a base offset beyond 2^53',
      () => patched((b) => b.writeBigInt64BE(2n ** 60n, 0)),
      /outside the safe integer range/,
    ],
    // CRC-valid batches whose contents lie.
    [
      'a negative record count',
      () => craft(record(fields()), -1, { lastOffsetDelta: 0 }),
      /record count and last offset delta disagree/,
    ],
    [
      'more records than the limit',
      () => craft(record(fields()), LIMITS.recordsPerBatchMax + 1),
      /more than 100000/,
    ],
    ['more records than the bytes can hold', () => craft(record(fields()), 1000), /cannot fit/],
    [
      'three records declared in the bytes of one',
      () => craft([...record(fields()), 0, 0, 0, 0, 0, 0, 0, 0], 3),
      /cannot fit/,
    ],
    [
      'two records declared, the second garbage',
      () => craft([...record(fields()), 0, 0, 0, 0, 0, 0, 0, 0], 2),
      /record length 0 /,
    ],
    [
      'a record length past the batch',
      () => craft([...varint(100), ...fields()], 1),
      /record length 100/,
    ],
    [
      'a record length below the minimum',
      () => craft([...varint(2), ...fields(), 0, 0], 1),
      /record length 2 /,
    ],
    ['a negative record length', () => craft([...varint(-7), ...fields()], 1), /record length -7/],
    [
      'a record length varint of six bytes',
      () => craft([0xff, 0xff, 0xff, 0xff, 0xff, 0x01, ...fields()], 1),
      /longer than 5 bytes/,
    ],
    [
      'a key length past the record',
      () => craft(record([0, 0, 0, ...varint(50), 0x61, ...varint(-1), 0]), 1),
      /key length 50/,
    ],
    [
      'a key length of -2',
      () => craft(record([0, 0, 0, ...varint(-2), ...varint(-1), 0]), 1),
      /key length -2/,
    ],
    [
      'a value length past the record',
      () => craft(record([0, 0, 0, ...varint(-1), ...varint(9), 0x61, 0]), 1),
      /value length 9/,
    ],
    [
      'a negative header count',
      () => craft(record([0, 0, 0, ...varint(-1), ...varint(-1), ...varint(-1)]), 1),
      /header count -1/,
    ],
    [
      'a header count past the limit',
      () => craft(record([0, 0, 0, ...varint(-1), ...varint(-1), ...varint(1001)]), 1),
      /header count 1001/,
    ],
    [
      'a negative header key length',
      () =>
        craft(
          record([
            0,
            0,
            0,
            ...varint(-1),
            ...varint(-1),
            ...varint(1),
            ...varint(-1),
            ...varint(-1),
          ]),
          1,
        ),
      /header key length -1/,
    ],
    [
      'a header key past the record',
      () =>
        craft(
          record([0, 0, 0, ...varint(-1), ...varint(-1), ...varint(1), ...varint(30), 0x61]),
          1,
        ),
      /header key length 30/,
    ],
    [
      'a record longer than its fields',
      () => craft(record([...fields(), 0x55]), 1),
      /declares 7 bytes but holds 6/,
    ],
    [
      'a record shorter than its fields',
      () => craft([...varint(6), 0, 0, 0, ...varint(1), 0x61, ...varint(-1), 0], 1),
      /runs past the end of its field/,
    ],
    [
      'bytes after the last record',
      () => craft([...record(fields()), 0], 1),
      /bytes follow the last record/,
    ],
    [
      'offset deltas out of order',
      () => craft([...record(fields(1)), ...record(fields(0))], 2),
      /record offset 0 is out of order/,
    ],
    [
      'an offset delta past lastOffsetDelta',
      () => craft(record(fields(5)), 1),
      /record offset 5 is out of order/,
    ],
    [
      'a negative offset delta',
      () => craft(record(fields(-1)), 1, { lastOffsetDelta: 0 }),
      /record offset -1 is out of order/,
    ],
    [
      'a timestamp delta past 2^53',
      () =>
        craft(
          record([
            0,
            0xfe,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0x7f,
            0,
            ...varint(-1),
            ...varint(-1),
            0,
          ]),
          1,
        ),
      /varlong at 2 is outside the safe integer range/,
    ],
    [
      'a gzip payload that is not gzip',
      () => craft(Buffer.from('definitely not gzip'), 1, { attributes: 1 }),
      /gzip payload does not decompress/,
    ],
    [
      'a gzip payload cut short',
      () => craft(gzipSync(Buffer.from(record(fields()))).subarray(0, 12), 1, { attributes: 1 }),
      /gzip payload does not decompress/,
    ],
    [
      'a snappy payload that is not snappy',
      () => craft([0x05, 0xff, 0xff, 0xff, 0xff, 0xff], 1, { attributes: 2 }),
      /snappy payload: block does not decompress/,
    ],
    ['an empty snappy payload', () => craft([], 1, { attributes: 2 }), /bad block length preamble/],
    [
      'a xerial chunk length past the payload',
      () => craft(xerial([0, 0, 0, 99, 1, 2, 3]), 1, { attributes: 2 }),
      /chunk length 99/,
    ],
    [
      'an lz4 payload without the frame magic',
      () => craft(Buffer.from('not an lz4 frame'), 1, { attributes: 3 }),
      /bad frame magic/,
    ],
    [
      'an lz4 frame without its end mark',
      () =>
        craft(lz4Frame([lz4Block(Buffer.from(record(fields())))]).subarray(0, -4), 1, {
          attributes: 3,
        }),
      /lz4 payload: truncated/,
    ],
    [
      'an lz4 block past the frame',
      () => craft([...LZ4_HEADER, 0x10, 0, 0, 0, 1, 2], 1, { attributes: 3 }),
      /lz4 payload: truncated/,
    ],
    [
      'an lz4 block larger than the frame allows',
      () => craft([...LZ4_HEADER, 0x01, 0x00, 0x01, 0x00, 0, 0, 0, 0], 1, { attributes: 3 }),
      /exceeds the frame's 65536/,
    ],
    [
      'an lz4 block of garbage',
      () =>
        craft([...LZ4_HEADER, 4, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0], 1, {
          attributes: 3,
        }),
      /lz4 payload does not decompress/,
    ],
  ];

  test.each(cases)('%s', async (_name, build, reason) => {
    await expectCode(build(), 'CORRUPT_RECORD', reason);
  });

  test.each([
    ['not zstd', [1, 2, 3, 4, 5, 6, 7, 8], /bad frame magic/],
    ['a zstd frame cut short', [0x28, 0xb5, 0x2f, 0xfd, 0x00], /zstd payload: truncated/],
    [
      'a reserved zstd block type',
      [0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58, 0x07, 0x00, 0x00],
      /reserved block type/,
    ],
    [
      'a zstd block of garbage',
      [0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58, 0x25, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff],
      /zstd payload does not decompress/,
    ],
  ])('zstd: %s', async (_name, payload, reason) => {
    await expectZstdCorrupt(payload, reason);
  });
});

describe('unknown codecs', () => {
  test.each([5, 6, 7])('codec id %d is UNSUPPORTED_COMPRESSION_TYPE', async (id) => {
    await expectCode(
      craft(GOOD.subarray(61), 3, { attributes: id }),
      'UNSUPPORTED_COMPRESSION_TYPE',
      /codec id \d/,
    );
  });
});

describe('decompression limits apply to batches (compression.spec.ts covers each codec)', () => {
  test('an lz4 payload that would expand past the limit is refused', async () => {
    const zeros = lz4Block(Buffer.alloc(64 * 1024));
    const blocks = Math.ceil(LIMITS.decompressedBatchBytesMax / (64 * 1024)) + 2;
    await expectCode(
      craft(lz4Frame(Array.from({ length: blocks }, () => zeros)), 1, { attributes: 3 }),
      'CORRUPT_RECORD',
      /lz4 payload may expand to/,
    );
  });

  test('a large but legitimate batch still decodes', () => {
    const value = Buffer.alloc(8 * 1024 * 1024, 'x');
    for (const compression of [CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4]) {
      const batch = decodeRecordBatch(
        encodeRecordBatch([{ value }], { defaultTimestampMs: NOW_MS, compression }),
      );
      expect(batch.records[0]!.value!.equals(value)).toBe(true);
    }
  });
});
