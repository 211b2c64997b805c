import { isBrokerError } from '@tributary/common';
import { readBatchHeader, updateBatchCrc } from './batch-header';
import { batchRecords, isCompressedBatch, rebuildBatch, recordSpans } from './batch-slice';
import { CompressionType } from './compression';
import { encodeRecordBatchAsync, TimestampType } from './record-batch';
import { decodeRecordBatch, decodeRecordBatchAsync } from './record-batch-decoder';

const NOW_MS = 1_700_000_000_000;
const RECORDS = [
  { key: Buffer.from('a'), value: Buffer.from('{"n":0}'), timestamp: NOW_MS + 5 },
  { key: null, value: Buffer.from('two'), headers: [{ key: 'h', value: Buffer.from('x') }] },
  { key: Buffer.from('c'), value: null, timestamp: NOW_MS - 7 },
  {
    key: Buffer.alloc(300, 1),
    value: Buffer.alloc(20_000, 2),
    headers: [{ key: 'n', value: null }],
  },
  { key: Buffer.from('e'), value: Buffer.from('') },
];

function encode(
  compression: CompressionType,
  timestampType: TimestampType = TimestampType.CreateTime,
) {
  return encodeRecordBatchAsync(RECORDS, {
    baseOffset: 1_000,
    partitionLeaderEpoch: 3,
    compression,
    defaultTimestampMs: NOW_MS,
    timestampType,
    producerId: 9n,
    producerEpoch: 1,
    baseSequence: 0,
  });
}

describe('rebuilding a stored batch', () => {
  const codecs = Object.entries(CompressionType);

  it.each(codecs)('%s: spans give every record its offset and bytes', async (_name, codec) => {
    const batch = await encode(codec);
    expect(isCompressedBatch(batch)).toBe(codec !== CompressionType.None);
    const records = await batchRecords(batch);
    const spans = recordSpans(batch, records);
    expect(spans.map((s) => s.offset)).toEqual([1_000, 1_001, 1_002, 1_003, 1_004]);
    expect(spans[0]!.start).toBe(0);
    expect(spans.at(-1)!.end).toBe(records.length);
    spans.slice(1).forEach((span, i) => expect(span.start).toBe(spans[i]!.end));
  });

  it.each(codecs)('%s: a range of records decodes as in the stored batch', async (_name, codec) => {
    const batch = await encode(codec);
    const stored = await decodeRecordBatchAsync(batch);
    const records = await batchRecords(batch);
    const spans = recordSpans(batch, records);
    for (const [from, to] of [
      [0, 5],
      [1, 4],
      [3, 4],
      [4, 5],
    ] as const) {
      const rebuilt = rebuildBatch(batch, records, spans.slice(from, to));
      const decoded = decodeRecordBatch(rebuilt); // checks the CRC, counts and offsets
      expect(decoded.compression).toBe(CompressionType.None);
      expect(decoded.records).toEqual(stored.records.slice(from, to));
      expect(decoded.lastOffsetDelta).toBe(to - 1);
      const header = readBatchHeader(rebuilt);
      const original = readBatchHeader(batch);
      expect(header).toMatchObject({
        baseOffset: original.baseOffset,
        partitionLeaderEpoch: 3,
        baseTimestamp: original.baseTimestamp,
        maxTimestamp: original.maxTimestamp,
        producerId: 9n,
        recordCount: to - from,
      });
    }
  });

  it('keeps LogAppendTime: every record has the batch time', async () => {
    const batch = await encode(CompressionType.Gzip, TimestampType.LogAppendTime);
    const records = await batchRecords(batch);
    const rebuilt = rebuildBatch(batch, records, recordSpans(batch, records).slice(2, 3));
    const decoded = decodeRecordBatch(rebuilt);
    expect(decoded.timestampType).toBe(TimestampType.LogAppendTime);
    expect(decoded.records.map((r) => r.timestamp)).toEqual([NOW_MS]);
  });

  it('refuses records that do not fit their batch', async () => {
    const batch = await encode(CompressionType.None);
    const cases: [string, (b: Buffer) => void][] = [
      ['a count past the bytes', (b) => b.writeInt32BE(1_000, 57)],
      ['a negative record length', (b) => (b[61] = 0x7f)],
      ['bytes after the last record', (b) => b.writeInt32BE(4, 57)],
      ['an offset past lastOffsetDelta', (b) => b.writeInt32BE(3, 23)],
    ];
    for (const [what, damage] of cases) {
      const bad = Buffer.from(batch);
      damage(bad);
      updateBatchCrc(bad, 0, bad.length);
      let error: unknown;
      try {
        recordSpans(bad, await batchRecords(bad));
      } catch (caught) {
        error = caught;
      }
      expect([what, isBrokerError(error, 'CORRUPT_RECORD')]).toEqual([what, true]);
    }
  });
});
