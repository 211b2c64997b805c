// Cross-checks against kafkajs, an independent implementation of the same wire format.
//
// How we drive kafkajs: its codecs are internal CommonJS modules under kafkajs/src/protocol,
// not part of its public API and without types, so we require them by path and type only the
// calls we make. We use them the way kafkajs itself does:
// - encoding follows its produce request (src/protocol/requests/produce/v3/request.js): one
//   Record({ offsetDelta, timestampDelta, key, value, headers }) encoder per record, then
//   RecordBatch({ records, firstTimestamp, maxTimestamp, lastOffsetDelta, ... }), whose
//   `.buffer` is the whole batch (gzip through its built-in codec);
// - decoding follows its fetch response parser: the RecordBatch v0 decoder reads one batch
//   from a Decoder positioned at the batch's first byte.
// kafkajs's decoder does not check CRCs, so its crc32C is compared with the CRC we write.
import { CompressionType } from './compression';
import { type EncodeBatchOptions, encodeRecordBatch } from './record-batch';
import { decodeRecordBatch } from './record-batch-decoder';
import type { DecodedRecord, RecordHeader, RecordInput } from './record';
import { seededRandom, testSeed } from '../../../test/support/random';

type KafkajsHeaders = Record<string, Buffer | null | Array<Buffer | null>>;

interface KafkajsEncoder {
  buffer: Buffer;
}

interface KafkajsBatchArgs {
  compression: number;
  firstOffset: string;
  firstTimestamp: number;
  maxTimestamp: number;
  partitionLeaderEpoch: number;
  lastOffsetDelta: number;
  transactional: boolean;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  records: KafkajsEncoder[];
}

interface KafkajsDecodedRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: KafkajsHeaders;
}

interface KafkajsDecodedBatch {
  firstOffset: string;
  firstTimestamp: string;
  maxTimestamp: string;
  partitionLeaderEpoch: number;
  inTransaction: boolean;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  records: KafkajsDecodedRecord[];
}

/* eslint-disable @typescript-eslint/no-require-imports */
const KafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (args: {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: KafkajsHeaders;
}) => KafkajsEncoder;
const { RecordBatch: KafkajsRecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (args: KafkajsBatchArgs) => Promise<KafkajsEncoder>;
};
const KafkajsDecoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => object;
const kafkajsDecodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (
  decoder: object,
) => Promise<KafkajsDecodedBatch>;
const kafkajsCrc32C = require('kafkajs/src/protocol/recordBatch/crc32C') as (buf: Buffer) => number;
/* eslint-enable @typescript-eslint/no-require-imports */

const NOW_MS = 1_700_000_000_000;
const SEED = testSeed();

/** Random records: null and empty keys and values, headers, timestamps far apart both ways. */
function randomRecords(random: () => number, count: number): RecordInput[] {
  const bytes = (max: number): Buffer => {
    const buf = Buffer.alloc(Math.floor(random() * max));
    for (let i = 0; i < buf.length; i++) buf[i] = Math.floor(random() * 256);
    return buf;
  };
  const maybe = (max: number): Buffer | null =>
    random() < 0.15 ? null : bytes(random() < 0.05 ? 20_000 : max);
  return Array.from({ length: count }, (_, i) => ({
    key: maybe(40),
    value: maybe(300),
    // Unique keys per record: kafkajs holds headers in an object keyed by name.
    headers: Array.from({ length: Math.floor(random() * 4) }, (_, h) => ({
      key: h === 1 ? `ключ-${i}` : `header-${h}`,
      value: random() < 0.2 ? null : bytes(30),
    })),
    timestamp: NOW_MS + Math.floor((random() - 0.5) * 2 * 10_000_000_000),
  }));
}

/** Fixed records that hit the edges: empty everything, one byte, a negative delta. */
const EDGE_RECORDS: RecordInput[] = [
  { key: Buffer.from('first'), value: Buffer.from('v'), timestamp: NOW_MS },
  { key: null, value: null, timestamp: NOW_MS - 1 },
  {
    key: Buffer.alloc(0),
    value: Buffer.alloc(0),
    headers: [{ key: '', value: null }],
    timestamp: NOW_MS + 1,
  },
  {
    value: Buffer.from([0]),
    headers: [
      { key: 'a', value: Buffer.alloc(0) },
      { key: 'b', value: Buffer.from('x') },
    ],
  },
];

function kafkajsHeaders(headers: RecordHeader[] | undefined): KafkajsHeaders {
  return Object.fromEntries((headers ?? []).map((h) => [h.key, h.value]));
}

function timestampOf(record: RecordInput): number {
  return record.timestamp ?? NOW_MS;
}

/** Encodes with kafkajs, with every batch field taken from the options we would use. */
async function encodeWithKafkajs(
  records: RecordInput[],
  opts: Required<Omit<EncodeBatchOptions, 'timestampType' | 'logAppendTimeMs'>>,
): Promise<Buffer> {
  const firstTimestamp = timestampOf(records[0]!);
  const batch = await KafkajsRecordBatch({
    compression: opts.compression,
    firstOffset: String(opts.baseOffset),
    firstTimestamp,
    maxTimestamp: Math.max(...records.map(timestampOf)),
    partitionLeaderEpoch: opts.partitionLeaderEpoch,
    lastOffsetDelta: records.length - 1,
    transactional: opts.isTransactional,
    producerId: String(opts.producerId),
    producerEpoch: opts.producerEpoch,
    firstSequence: opts.baseSequence,
    records: records.map((record, i) =>
      KafkajsRecord({
        offsetDelta: i,
        timestampDelta: timestampOf(record) - firstTimestamp,
        key: record.key ?? null,
        value: asBytes(record.value),
        headers: kafkajsHeaders(record.headers),
      }),
    ),
  });
  return batch.buffer;
}

/**
 * kafkajs's encoder cannot size a null header value (Buffer.byteLength(null) throws), though
 * its decoder reads one; records that kafkajs encodes carry empty header values instead.
 */
function kafkajsEncodable(records: RecordInput[]): RecordInput[] {
  return records.map((r) => ({
    ...r,
    headers: r.headers?.map((h) => ({ key: h.key, value: h.value ?? Buffer.alloc(0) })),
  }));
}

function hexOrNull(bytes: Buffer | null): string | null {
  return bytes === null ? null : bytes.toString('hex');
}

function expectOursMatch(
  decoded: DecodedRecord[],
  records: RecordInput[],
  baseOffset: number,
): void {
  expect(
    decoded.map((r) => [r.offset, r.timestamp, hexOrNull(r.key), hexOrNull(r.value), r.headers]),
  ).toEqual(
    records.map((r, i) => [
      baseOffset + i,
      timestampOf(r),
      hexOrNull(r.key ?? null),
      hexOrNull(asBytes(r.value)),
      r.headers ?? [],
    ]),
  );
}

function expectKafkajsMatch(
  decoded: KafkajsDecodedRecord[],
  records: RecordInput[],
  baseOffset: number,
): void {
  const headers = (h: KafkajsHeaders): Array<[string, string | null]> =>
    Object.entries(h).map(([k, v]) => [k, Array.isArray(v) ? 'array' : hexOrNull(v)]);
  expect(
    decoded.map((r) => [
      r.offset,
      r.timestamp,
      hexOrNull(r.key),
      hexOrNull(r.value),
      headers(r.headers),
    ]),
  ).toEqual(
    records.map((r, i) => [
      String(baseOffset + i),
      String(timestampOf(r)),
      hexOrNull(r.key ?? null),
      hexOrNull(asBytes(r.value)),
      (r.headers ?? []).map((h) => [h.key, hexOrNull(h.value)]),
    ]),
  );
}

const SCENARIOS: Array<
  [string, Required<Omit<EncodeBatchOptions, 'timestampType' | 'logAppendTimeMs'>>]
> = [
  [
    'uncompressed, producer defaults',
    {
      baseOffset: 0,
      partitionLeaderEpoch: -1,
      compression: CompressionType.None,
      defaultTimestampMs: NOW_MS,
      producerId: -1n,
      producerEpoch: -1,
      baseSequence: -1,
      isTransactional: false,
    },
  ],
  [
    'uncompressed, idempotent and transactional at a large offset',
    {
      baseOffset: 123_456_789_012,
      partitionLeaderEpoch: 42,
      compression: CompressionType.None,
      defaultTimestampMs: NOW_MS,
      producerId: 4_000_000_000_123n,
      producerEpoch: 7,
      baseSequence: 2_000_000_000,
      isTransactional: true,
    },
  ],
  [
    'gzip',
    {
      baseOffset: 77,
      partitionLeaderEpoch: 3,
      compression: CompressionType.Gzip,
      defaultTimestampMs: NOW_MS,
      producerId: 12n,
      producerEpoch: 0,
      baseSequence: 0,
      isTransactional: false,
    },
  ],
];

describe(`kafkajs compatibility (seed ${SEED}, TEST_SEED to replay)`, () => {
  const random = seededRandom(SEED);
  const recordSets: Array<[string, RecordInput[]]> = [
    ['edge records', EDGE_RECORDS],
    ['one random record', randomRecords(random, 1)],
    ['200 random records', randomRecords(random, 200)],
  ];
  const cases = SCENARIOS.flatMap(([scenario, opts]) =>
    recordSets.map(([name, records]) => [`${scenario}, ${name}`, opts, records] as const),
  );

  test.each(cases)('%s: kafkajs encodes, we decode', async (_name, opts, allRecords) => {
    const records = kafkajsEncodable(allRecords);
    const batch = decodeRecordBatch(await encodeWithKafkajs(records, opts));
    expect(batch).toMatchObject({
      baseOffset: opts.baseOffset,
      partitionLeaderEpoch: opts.partitionLeaderEpoch,
      compression: opts.compression,
      isTransactional: opts.isTransactional,
      producerId: opts.producerId,
      producerEpoch: opts.producerEpoch,
      baseSequence: opts.baseSequence,
      lastOffsetDelta: records.length - 1,
    });
    expectOursMatch(batch.records, records, opts.baseOffset);
  });

  test.each(cases)('%s: we encode, kafkajs decodes', async (_name, opts, records) => {
    const bytes = encodeRecordBatch(records, opts);
    const batch = await kafkajsDecodeBatch(new KafkajsDecoder(bytes));
    expect(batch).toMatchObject({
      firstOffset: String(opts.baseOffset),
      firstTimestamp: String(timestampOf(records[0]!)),
      maxTimestamp: String(Math.max(...records.map(timestampOf))),
      partitionLeaderEpoch: opts.partitionLeaderEpoch,
      inTransaction: opts.isTransactional,
      lastOffsetDelta: records.length - 1,
      producerId: String(opts.producerId),
      producerEpoch: opts.producerEpoch,
      firstSequence: opts.baseSequence,
    });
    expect(kafkajsCrc32C(bytes.subarray(21))).toBe(bytes.readUInt32BE(17));
    expectKafkajsMatch(batch.records, records, opts.baseOffset);
  });

  test.each(cases)('%s: both encoders write the same bytes', async (_name, opts, allRecords) => {
    const records = kafkajsEncodable(allRecords);
    // Same zlib underneath, so even gzip payloads agree byte for byte.
    expect(encodeRecordBatch(records, opts).equals(await encodeWithKafkajs(records, opts))).toBe(
      true,
    );
  });
});

/** A record value as the bytes the batch holds (text is stored as UTF-8). */
function asBytes(value: Buffer | string | null): Buffer | null {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}
