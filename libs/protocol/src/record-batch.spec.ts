import { gunzipSync } from 'node:zlib';
import { isBrokerError } from '@tributary/common';
import { BATCH_HEADER_BYTES, validateBatch } from './batch-header';
import { CompressionType, compressionName } from './compression';
import {
  GZIP_BATCH_HEX,
  HEADERS_BATCH_HEX,
  LOG_APPEND_TIME_BATCH_HEX,
  OUR_ENCODER_BATCH_HEX,
  PLAIN_BATCH_HEX,
  RAW_SNAPPY_BATCH_HEX,
} from './fixtures/kafka-batches';
import type { DecodedRecord, RecordInput } from './record';
import {
  type DecodedBatch,
  type EncodeBatchOptions,
  encodeRecordBatch,
  encodeRecordBatchAsync,
  TimestampType,
} from './record-batch';
import {
  decodeRecordBatch,
  decodeRecordBatchAsync,
  decodeRecordBatches,
  decodeRecordBatchesAsync,
} from './record-batch-decoder';
import { snappyDecompress } from './xerial-snappy';

const NOW_MS = 1_700_000_001_000;

const GOLDEN_RECORDS: RecordInput[] = [
  {
    key: Buffer.from('user-42'),
    value: Buffer.from('{"a":1}'),
    timestamp: 1_700_000_000_500,
    headers: [
      { key: 'trace-id', value: Buffer.from('abc') },
      { key: 'ünïcode', value: null },
    ],
  },
  { key: null, value: Buffer.from('second'), timestamp: 1_700_000_000_000 },
  { value: null, headers: [{ key: '', value: Buffer.alloc(0) }] },
  { key: Buffer.alloc(0), value: Buffer.alloc(200, 0x61), timestamp: 1_700_000_000_000 + 2 ** 33 },
];

const GOLDEN_OPTIONS: EncodeBatchOptions = {
  baseOffset: 1234,
  partitionLeaderEpoch: 7,
  defaultTimestampMs: NOW_MS,
  producerId: 2n ** 62n,
  producerEpoch: 3,
  baseSequence: 17,
  isTransactional: true,
};

function hex(value: string): Buffer {
  return Buffer.from(value, 'hex');
}

function text(bytes: Buffer | null): string | null {
  return bytes === null ? null : bytes.toString();
}

function base64(bytes: Buffer | null): string | null {
  return bytes === null ? null : bytes.toString('base64');
}

/** What a producer would send again for a decoded record. */
function toInput(record: DecodedRecord): RecordInput {
  return {
    key: record.key,
    value: record.value,
    headers: record.headers,
    timestamp: record.timestamp,
  };
}

function batchOptions(batch: DecodedBatch): EncodeBatchOptions {
  return {
    baseOffset: batch.baseOffset,
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    compression: batch.compression,
    defaultTimestampMs: batch.maxTimestamp,
    timestampType: batch.timestampType,
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    isTransactional: batch.isTransactional,
  };
}

/** A varied batch: keys, nulls, headers, timestamps out of order, values past one codec block. */
function sampleRecords(count: number): RecordInput[] {
  return Array.from({ length: count }, (_, i) => ({
    key: i % 7 === 0 ? null : Buffer.from(`key-${i}`),
    value: i % 11 === 0 ? null : Buffer.from(`value-${i}-`.repeat(1 + (i % 5))),
    headers: i % 3 === 0 ? [] : [{ key: `h${i}`, value: i % 2 ? Buffer.from([i & 0xff]) : null }],
    timestamp: NOW_MS - 5_000 + ((i * 7919) % 10_000),
  }));
}

function expectRecordsMatch(
  decoded: DecodedRecord[],
  inputs: RecordInput[],
  baseOffset: number,
): void {
  expect(decoded).toHaveLength(inputs.length);
  decoded.forEach((record, i) => {
    const input = inputs[i]!;
    expect(record.offset).toBe(baseOffset + i);
    expect(record.timestamp).toBe(input.timestamp ?? NOW_MS);
    // As strings: Jest compares large Buffers byte by byte, slowly.
    expect(base64(record.key)).toBe(base64(input.key ?? null));
    const value = typeof input.value === 'string' ? Buffer.from(input.value) : input.value;
    expect(base64(record.value)).toBe(base64(value));
    expect(record.headers).toEqual(input.headers ?? []);
  });
}

/** Base timestamp of the pinned vectors (fixtures/kafka-batches.ts). */
const FIXTURE_MS = 1_700_000_000_000;

/** Batch fields of a producer that is neither idempotent nor transactional. */
const NO_PRODUCER = { producerId: -1n, producerEpoch: -1, baseSequence: -1 } as const;

/** The inputs each pinned vector was generated from, with the batch fields used. */
const PLAIN_RECORDS: RecordInput[] = [
  {
    key: Buffer.from('order-1001'),
    value: Buffer.from('{"item":"widget","qty":3}'),
    timestamp: FIXTURE_MS,
  },
];
const PLAIN_OPTIONS: EncodeBatchOptions = {
  baseOffset: 0,
  partitionLeaderEpoch: 0,
  defaultTimestampMs: FIXTURE_MS,
  ...NO_PRODUCER,
};

const HEADERS_RECORDS: RecordInput[] = [
  {
    key: Buffer.from('key-0'),
    value: Buffer.from('value-0'),
    timestamp: FIXTURE_MS,
    headers: [{ key: 'trace-id', value: Buffer.from('trace-0') }],
  },
  {
    key: Buffer.from('key-1'),
    value: Buffer.from('value-1'),
    timestamp: FIXTURE_MS + 250,
    headers: [
      { key: 'trace-id', value: Buffer.from('trace-1') },
      { key: 'attempt', value: Buffer.from('2') },
    ],
  },
  {
    key: Buffer.from('key-2'),
    value: Buffer.from('value-2'),
    timestamp: FIXTURE_MS - 100,
    headers: [
      { key: 'tag', value: Buffer.from('x') },
      { key: 'tag', value: Buffer.from('y') },
      { key: 'empty', value: Buffer.alloc(0) },
    ],
  },
];
const HEADERS_OPTIONS: EncodeBatchOptions = {
  baseOffset: 0,
  partitionLeaderEpoch: 0,
  defaultTimestampMs: FIXTURE_MS,
  producerId: 7000n,
  producerEpoch: 1,
  baseSequence: 42,
};

const GZIP_RECORDS: RecordInput[] = [0, 1, 2].map((i) => ({
  key: Buffer.from(`key-${i}`),
  value: Buffer.from(`gzip-value-${i}`),
  timestamp: FIXTURE_MS + 10 * i,
}));
const GZIP_OPTIONS: EncodeBatchOptions = {
  baseOffset: 0,
  partitionLeaderEpoch: 0,
  compression: CompressionType.Gzip,
  defaultTimestampMs: FIXTURE_MS,
  ...NO_PRODUCER,
};

const LOG_APPEND_TIME_RECORDS: RecordInput[] = [
  { key: Buffer.from('key-0'), value: Buffer.from('appended-0'), timestamp: FIXTURE_MS },
  { key: Buffer.from('key-1'), value: Buffer.from('appended-1'), timestamp: FIXTURE_MS + 5 },
];
const LOG_APPEND_TIME_OPTIONS: EncodeBatchOptions = {
  baseOffset: 500,
  partitionLeaderEpoch: 3,
  defaultTimestampMs: FIXTURE_MS,
  timestampType: TimestampType.LogAppendTime,
  logAppendTimeMs: FIXTURE_MS + 1234,
  ...NO_PRODUCER,
};

const RAW_SNAPPY_RECORDS: RecordInput[] = [0, 1].map((i) => ({
  key: Buffer.from(`key-${i}`),
  value: Buffer.from(`${'snappy-'.repeat(8)}${i}`),
  timestamp: FIXTURE_MS + i,
}));
const RAW_SNAPPY_OPTIONS: EncodeBatchOptions = {
  partitionLeaderEpoch: 0,
  compression: CompressionType.Snappy,
  defaultTimestampMs: FIXTURE_MS,
};

type RecordSummary = [number, number, string | null, string | null, [string, string | null][]];

/** A decoded record as plain values: offset, timestamp, key, value, headers. */
function summary(record: DecodedRecord): RecordSummary {
  return [
    record.offset,
    record.timestamp,
    text(record.key),
    text(record.value),
    record.headers.map((h) => [h.key, text(h.value)]),
  ];
}

/** The records section our encoder writes, uncompressed, for these inputs. */
function plainRecordsSection(records: RecordInput[], opts: EncodeBatchOptions): string {
  const bytes = encodeRecordBatch(records, { ...opts, compression: CompressionType.None });
  return bytes.subarray(BATCH_HEADER_BYTES).toString('hex');
}

describe('pinned batches from the kafkajs encoder and ours', () => {
  test('a plain batch with a key and a value decodes and re-encodes byte for byte', () => {
    const bytes = hex(PLAIN_BATCH_HEX);
    expect(validateBatch(bytes, 0, 1 << 20)).toEqual({ ok: true, sizeBytes: 103 });
    const batch = decodeRecordBatch(bytes);
    expect(batch).toMatchObject({
      baseOffset: 0,
      partitionLeaderEpoch: 0,
      attributes: 0,
      compression: CompressionType.None,
      timestampType: TimestampType.CreateTime,
      isTransactional: false,
      isControl: false,
      producerId: -1n,
      producerEpoch: -1,
      baseSequence: -1,
      baseTimestamp: 1_700_000_000_000,
      maxTimestamp: 1_700_000_000_000,
      lastOffsetDelta: 0,
      sizeBytes: 103,
    });
    expect(batch.records.map(summary)).toEqual([
      [0, 1_700_000_000_000, 'order-1001', '{"item":"widget","qty":3}', []],
    ]);
    expect(encodeRecordBatch(PLAIN_RECORDS, PLAIN_OPTIONS).toString('hex')).toBe(PLAIN_BATCH_HEX);
    expect(encodeRecordBatch(batch.records.map(toInput), batchOptions(batch))).toEqual(bytes);
  });

  test('a batch with headers decodes and re-encodes byte for byte', () => {
    const bytes = hex(HEADERS_BATCH_HEX);
    expect(validateBatch(bytes, 0, 1 << 20)).toEqual({ ok: true, sizeBytes: 183 });
    const batch = decodeRecordBatch(bytes);
    expect(batch).toMatchObject({
      baseOffset: 0,
      partitionLeaderEpoch: 0,
      attributes: 0,
      compression: CompressionType.None,
      timestampType: TimestampType.CreateTime,
      isTransactional: false,
      producerId: 7000n,
      producerEpoch: 1,
      baseSequence: 42,
      baseTimestamp: 1_700_000_000_000,
      maxTimestamp: 1_700_000_000_250,
      lastOffsetDelta: 2,
      sizeBytes: 183,
    });
    expect(batch.records.map(summary)).toEqual([
      [0, 1_700_000_000_000, 'key-0', 'value-0', [['trace-id', 'trace-0']]],
      [
        1,
        1_700_000_000_250,
        'key-1',
        'value-1',
        [
          ['trace-id', 'trace-1'],
          ['attempt', '2'],
        ],
      ],
      [
        2,
        1_699_999_999_900,
        'key-2',
        'value-2',
        [
          ['tag', 'x'],
          ['tag', 'y'],
          ['empty', ''],
        ],
      ],
    ]);
    expect(encodeRecordBatch(HEADERS_RECORDS, HEADERS_OPTIONS).toString('hex')).toBe(
      HEADERS_BATCH_HEX,
    );
    expect(encodeRecordBatch(batch.records.map(toInput), batchOptions(batch))).toEqual(bytes);
  });

  test('a gzip batch decodes, and its payload is the records section we would write', () => {
    const bytes = hex(GZIP_BATCH_HEX);
    expect(validateBatch(bytes, 0, 1 << 20)).toEqual({ ok: true, sizeBytes: 126 });
    const batch = decodeRecordBatch(bytes);
    expect(batch).toMatchObject({
      baseOffset: 0,
      partitionLeaderEpoch: 0,
      attributes: 1,
      compression: CompressionType.Gzip,
      timestampType: TimestampType.CreateTime,
      producerId: -1n,
      producerEpoch: -1,
      baseSequence: -1,
      baseTimestamp: 1_700_000_000_000,
      maxTimestamp: 1_700_000_000_020,
      lastOffsetDelta: 2,
      sizeBytes: 126,
    });
    expect(batch.records.map(summary)).toEqual([
      [0, 1_700_000_000_000, 'key-0', 'gzip-value-0', []],
      [1, 1_700_000_000_010, 'key-1', 'gzip-value-1', []],
      [2, 1_700_000_000_020, 'key-2', 'gzip-value-2', []],
    ]);
    const payload = bytes.subarray(BATCH_HEADER_BYTES);
    // gzip member header: magic, deflate, no flags, mtime 0, no extra flags, OS 3 (Unix).
    expect(payload.subarray(0, 10).toString('hex')).toBe('1f8b0800000000000003');
    // The deflate bytes depend on the zlib build, so the comparison is made after inflating.
    expect(gunzipSync(payload).toString('hex')).toBe(
      plainRecordsSection(GZIP_RECORDS, GZIP_OPTIONS),
    );
    const ours = decodeRecordBatch(encodeRecordBatch(GZIP_RECORDS, GZIP_OPTIONS));
    expect(ours.records.map(summary)).toEqual(batch.records.map(summary));
  });

  test('a LOG_APPEND_TIME batch gives every record the batch maxTimestamp', () => {
    const bytes = hex(LOG_APPEND_TIME_BATCH_HEX);
    expect(validateBatch(bytes, 0, 1 << 20)).toEqual({ ok: true, sizeBytes: 105 });
    const batch = decodeRecordBatch(bytes);
    expect(batch).toMatchObject({
      baseOffset: 500,
      partitionLeaderEpoch: 3,
      attributes: 0x08,
      compression: CompressionType.None,
      timestampType: TimestampType.LogAppendTime,
      producerId: -1n,
      producerEpoch: -1,
      baseSequence: -1,
      baseTimestamp: 1_700_000_000_000,
      maxTimestamp: 1_700_000_001_234,
      lastOffsetDelta: 1,
      sizeBytes: 105,
    });
    expect(batch.records.map(summary)).toEqual([
      [500, 1_700_000_001_234, 'key-0', 'appended-0', []],
      [501, 1_700_000_001_234, 'key-1', 'appended-1', []],
    ]);
    // The create times survive only as deltas, so the re-encoding starts from the inputs.
    expect(
      encodeRecordBatch(LOG_APPEND_TIME_RECORDS, LOG_APPEND_TIME_OPTIONS).toString('hex'),
    ).toBe(LOG_APPEND_TIME_BATCH_HEX);
  });

  test('a raw (unframed) snappy batch decodes to the records section we would write', () => {
    const bytes = hex(RAW_SNAPPY_BATCH_HEX);
    expect(validateBatch(bytes, 0, 1 << 20)).toEqual({ ok: true, sizeBytes: 104 });
    const batch = decodeRecordBatch(bytes);
    expect(batch).toMatchObject({
      baseOffset: 0,
      partitionLeaderEpoch: 0,
      attributes: 2,
      compression: CompressionType.Snappy,
      timestampType: TimestampType.CreateTime,
      producerId: -1n,
      producerEpoch: -1,
      baseSequence: -1,
      baseTimestamp: 1_700_000_000_000,
      maxTimestamp: 1_700_000_000_001,
      lastOffsetDelta: 1,
      sizeBytes: 104,
    });
    const value = 'snappy-'.repeat(8);
    expect(batch.records.map(summary)).toEqual([
      [0, 1_700_000_000_000, 'key-0', `${value}0`, []],
      [1, 1_700_000_000_001, 'key-1', `${value}1`, []],
    ]);
    const payload = bytes.subarray(BATCH_HEADER_BYTES);
    // No xerial stream header: the block starts with its uncompressed length, a uvarint.
    expect(payload.subarray(0, 2).toString('hex')).toBe('8c01');
    const records = plainRecordsSection(RAW_SNAPPY_RECORDS, RAW_SNAPPY_OPTIONS);
    expect(records.length / 2).toBe(140);
    expect(snappyDecompress(payload, 1 << 20).toString('hex')).toBe(records);
    // Our encoder frames snappy the xerial way, so only the decoded records can match.
    const ours = encodeRecordBatch(RAW_SNAPPY_RECORDS, RAW_SNAPPY_OPTIONS);
    expect(ours.subarray(BATCH_HEADER_BYTES, BATCH_HEADER_BYTES + 8).toString('hex')).toBe(
      '82534e4150505900',
    );
    expect(decodeRecordBatch(ours).records.map(summary)).toEqual(batch.records.map(summary));
  });

  test('our encoder still writes the pinned bytes, and they decode to the input', () => {
    const bytes = encodeRecordBatch(GOLDEN_RECORDS, GOLDEN_OPTIONS);
    expect(bytes.toString('hex')).toBe(OUR_ENCODER_BATCH_HEX);
    const batch = decodeRecordBatch(bytes);
    expect(batch).toMatchObject({
      baseOffset: 1234,
      partitionLeaderEpoch: 7,
      isTransactional: true,
      isControl: false,
      producerId: 2n ** 62n,
      producerEpoch: 3,
      baseSequence: 17,
      baseTimestamp: 1_700_000_000_500,
      maxTimestamp: 1_700_000_000_000 + 2 ** 33,
      lastOffsetDelta: 3,
    });
    expectRecordsMatch(batch.records, GOLDEN_RECORDS, 1234);
  });
});

describe('encodeRecordBatch', () => {
  test('takes the first record timestamp as base, as MemoryRecordsBuilder does', () => {
    const records = [
      { value: null, timestamp: 500 },
      { value: null, timestamp: 100 },
      { value: null, timestamp: 900 },
    ];
    const batch = decodeRecordBatch(encodeRecordBatch(records, { defaultTimestampMs: NOW_MS }));
    expect([batch.baseTimestamp, batch.maxTimestamp]).toEqual([500, 900]);
    expect(batch.records.map((r) => r.timestamp)).toEqual([500, 100, 900]);
  });

  test('defaults to a producer-style header: epoch -1, no producer id, create time', () => {
    const bytes = encodeRecordBatch([{ value: Buffer.from('v') }], { defaultTimestampMs: NOW_MS });
    expect(validateBatch(bytes, 0, 1 << 20)).toEqual({ ok: true, sizeBytes: bytes.length });
    expect(decodeRecordBatch(bytes)).toMatchObject({
      baseOffset: 0,
      partitionLeaderEpoch: -1,
      attributes: 0,
      producerId: -1n,
      producerEpoch: -1,
      baseSequence: -1,
      baseTimestamp: NOW_MS,
      maxTimestamp: NOW_MS,
    });
  });

  test('a LOG_APPEND_TIME batch carries the append time as maxTimestamp', () => {
    const bytes = encodeRecordBatch(
      [
        { value: null, timestamp: 5 },
        { value: null, timestamp: 9 },
      ],
      {
        defaultTimestampMs: NOW_MS,
        timestampType: TimestampType.LogAppendTime,
        logAppendTimeMs: NOW_MS + 1,
      },
    );
    const batch = decodeRecordBatch(bytes);
    expect(batch.attributes & 0x08).toBe(0x08);
    expect(batch.baseTimestamp).toBe(5);
    expect(batch.records.map((r) => r.timestamp)).toEqual([NOW_MS + 1, NOW_MS + 1]);
  });

  test.each([
    ['no records', [] as RecordInput[]],
    ['a negative timestamp', [{ value: null, timestamp: -1 }]],
    ['a fractional timestamp', [{ value: null, timestamp: 1.5 }]],
    [
      'too many headers',
      [{ value: null, headers: Array.from({ length: 1001 }, () => ({ key: 'k', value: null })) }],
    ],
  ])('refuses %s with INVALID_RECORD', (_name, records) => {
    expect(() => encodeRecordBatch(records, { defaultTimestampMs: NOW_MS })).toThrow(
      expect.objectContaining({ code: 'INVALID_RECORD' }),
    );
  });

  test('a text value is stored as its UTF-8 bytes: the same batch as the bytes given', () => {
    const texts = ['plain', 'ünïcödé ✓', '', '😀 four-byte', 'x'.repeat(300)];
    for (const compression of [CompressionType.None, CompressionType.Gzip]) {
      const asText = encodeRecordBatch(
        texts.map((value) => ({ value })),
        { defaultTimestampMs: NOW_MS, compression },
      );
      const asBytes = encodeRecordBatch(
        texts.map((value) => ({ value: Buffer.from(value, 'utf8') })),
        { defaultTimestampMs: NOW_MS, compression },
      );
      expect(asText.equals(asBytes)).toBe(true);
      const [batch] = decodeRecordBatches(asText);
      expect(batch!.records.map((r) => r.value!.toString('utf8'))).toEqual(texts);
    }
  });

  test('refuses more records than a batch may hold', () => {
    const records = Array.from({ length: 100_001 }, () => ({ value: null }));
    expect(() => encodeRecordBatch(records, { defaultTimestampMs: NOW_MS })).toThrow(
      expect.objectContaining({ code: 'INVALID_RECORD' }),
    );
  });
});

describe('codecs', () => {
  const SYNC_CODECS = [
    CompressionType.None,
    CompressionType.Gzip,
    CompressionType.Snappy,
    CompressionType.Lz4,
  ];
  const ALL_CODECS = [...SYNC_CODECS, CompressionType.Zstd];
  // 300 records plus one 200 KB value: several 32 KiB snappy chunks and 64 KiB lz4 blocks.
  const records = [
    ...sampleRecords(300),
    { key: null, value: Buffer.alloc(200_000, 'abcdefgh'), timestamp: NOW_MS },
  ];

  test.each(SYNC_CODECS.map((c) => [compressionName(c), c] as const))(
    '%s round trips synchronously',
    (_name, compression) => {
      const bytes = encodeRecordBatch(records, {
        defaultTimestampMs: NOW_MS,
        compression,
        baseOffset: 42,
      });
      const batch = decodeRecordBatch(bytes);
      expect(batch.compression).toBe(compression);
      expect(batch.attributes & 0x07).toBe(compression);
      expectRecordsMatch(batch.records, records, 42);
    },
  );

  test.each(ALL_CODECS.map((c) => [compressionName(c), c] as const))(
    '%s round trips through the async API',
    async (_name, compression) => {
      const bytes = await encodeRecordBatchAsync(records, {
        defaultTimestampMs: NOW_MS,
        compression,
      });
      const batch = await decodeRecordBatchAsync(bytes);
      expect(batch.compression).toBe(compression);
      expectRecordsMatch(batch.records, records, 0);
    },
  );

  test('compressed batches are smaller, and framed the way Kafka frames them', async () => {
    const payload = (compression: CompressionType): Promise<Buffer> =>
      encodeRecordBatchAsync(records, { defaultTimestampMs: NOW_MS, compression }).then((b) =>
        b.subarray(61),
      );
    const plain = await payload(CompressionType.None);
    const gzip = await payload(CompressionType.Gzip);
    const snappy = await payload(CompressionType.Snappy);
    const lz4 = await payload(CompressionType.Lz4);
    const zstd = await payload(CompressionType.Zstd);
    for (const compressed of [gzip, snappy, lz4, zstd])
      expect(compressed.length).toBeLessThan(plain.length);
    expect(gzip.subarray(0, 3).toString('hex')).toBe('1f8b08');
    // snappy-java's stream header: magic, version 1, compatible version 1, then int32 chunk sizes.
    expect(snappy.subarray(0, 16).toString('hex')).toBe('82534e41505059000000000100000001');
    // Kafka's Lz4BlockOutputStream: FLG 0x60 (v1, independent blocks), BD 0x40 (64 KiB), HC 0x82.
    expect(lz4.subarray(0, 7).toString('hex')).toBe('04224d18604082');
    expect(zstd.subarray(0, 4).toString('hex')).toBe('28b52ffd');
  });

  test('the sync API refuses zstd with UNSUPPORTED_COMPRESSION_TYPE, both ways', async () => {
    const unsupported = expect.objectContaining({ code: 'UNSUPPORTED_COMPRESSION_TYPE' });
    expect(() =>
      encodeRecordBatch(records, { defaultTimestampMs: NOW_MS, compression: CompressionType.Zstd }),
    ).toThrow(unsupported);
    const zstd = await encodeRecordBatchAsync(records, {
      defaultTimestampMs: NOW_MS,
      compression: CompressionType.Zstd,
    });
    expect(() => decodeRecordBatch(zstd)).toThrow(unsupported);
  });
});

describe('several batches in one buffer', () => {
  test('decode in order, sync and async', async () => {
    const parts = [
      encodeRecordBatch(sampleRecords(3), { defaultTimestampMs: NOW_MS, baseOffset: 0 }),
      encodeRecordBatch(sampleRecords(2), {
        defaultTimestampMs: NOW_MS,
        baseOffset: 3,
        compression: CompressionType.Lz4,
      }),
      encodeRecordBatch(sampleRecords(4), {
        defaultTimestampMs: NOW_MS,
        baseOffset: 5,
        compression: CompressionType.Gzip,
      }),
    ];
    const buf = Buffer.concat(parts);
    const offsets = (batches: DecodedBatch[]): number[][] =>
      batches.map((b) => b.records.map((r) => r.offset));
    const expected = [
      [0, 1, 2],
      [3, 4],
      [5, 6, 7, 8],
    ];
    expect(offsets(decodeRecordBatches(buf))).toEqual(expected);
    expect(offsets(await decodeRecordBatchesAsync(buf))).toEqual(expected);
    expect(decodeRecordBatches(Buffer.alloc(0))).toEqual([]);
  });

  test('a partial batch at the end is corrupt', () => {
    const one = encodeRecordBatch(sampleRecords(3), { defaultTimestampMs: NOW_MS });
    const buf = Buffer.concat([one, one.subarray(0, 70)]);
    let caught: unknown;
    try {
      decodeRecordBatches(buf);
    } catch (error: unknown) {
      caught = error;
    }
    expect(isBrokerError(caught, 'CORRUPT_RECORD')).toBe(true);
  });
});

describe('validateBatch with checkCrc: false', () => {
  test('skips only the CRC: a bad CRC passes, bad framing still fails', () => {
    const bytes = encodeRecordBatch([{ value: Buffer.from('v') }], { defaultTimestampMs: 1 });
    const badCrc = Buffer.from(bytes);
    badCrc.writeUInt8(badCrc.readUInt8(badCrc.length - 1) ^ 0xff, badCrc.length - 1); // covered by the CRC
    expect(validateBatch(badCrc, 0, 1 << 20)).toEqual({ ok: false, problem: 'bad-crc' });
    expect(validateBatch(badCrc, 0, 1 << 20, { checkCrc: false })).toEqual({
      ok: true,
      sizeBytes: bytes.length,
    });
    const badMagic = Buffer.from(bytes);
    badMagic[16] = 1; // magic
    expect(validateBatch(badMagic, 0, 1 << 20, { checkCrc: false })).toEqual({
      ok: false,
      problem: 'bad-magic',
    });
  });
});
