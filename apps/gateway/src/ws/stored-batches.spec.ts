import { isBrokerError } from '@tributary/common';
import {
  ATTR_CONTROL,
  CompressionType,
  decodeRecordBatches,
  encodeRecordBatchAsync,
  OFFSET_ATTRIBUTES,
  updateBatchCrc,
} from '@tributary/protocol';
import { takeStoredBatches } from './stored-batches';

const NOW_MS = 1_700_000_000_000;

/** A batch of `count` records at `baseOffset`, values "v<offset>". */
async function batch(
  baseOffset: number,
  count: number,
  options: { compression?: CompressionType; control?: boolean; valueBytes?: number } = {},
): Promise<Buffer> {
  const records = Array.from({ length: count }, (_, i) => ({
    key: Buffer.from(`k${baseOffset + i}`),
    value: Buffer.from(`v${baseOffset + i}`.padEnd(options.valueBytes ?? 0, '.')),
  }));
  const out = await encodeRecordBatchAsync(records, {
    baseOffset,
    defaultTimestampMs: NOW_MS,
    compression: options.compression ?? CompressionType.None,
  });
  if (options.control === true) {
    out.writeInt16BE(out.readInt16BE(OFFSET_ATTRIBUTES) | ATTR_CONTROL, OFFSET_ATTRIBUTES);
    updateBatchCrc(out, 0, out.length);
  }
  return out;
}

/** The offsets of the records in the batches taken, and whether every batch is uncompressed. */
function offsetsOf(batches: Buffer[]): number[] {
  const decoded = decodeRecordBatches(Buffer.concat(batches));
  expect(decoded.every((b) => b.compression === CompressionType.None && !b.isControl)).toBe(true);
  return decoded.flatMap((b) => b.records.map((r) => r.offset));
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const ANY = { maxRecords: 1_000, maxBytes: 1 << 20, wholeBytesMax: 1 << 20 };

describe('taking stored batches for a binary push', () => {
  let fetched: Buffer;
  beforeAll(async () => {
    // 10-14, a transaction marker at 15, 16-18 gzip, 19-23
    fetched = Buffer.concat([
      await batch(10, 5),
      await batch(15, 1, { control: true }),
      await batch(16, 3, { compression: CompressionType.Gzip }),
      await batch(19, 5),
    ]);
  });

  it('passes whole uncompressed batches through without copying them', async () => {
    const taken = await takeStoredBatches(fetched, 10, ANY);
    expect(offsetsOf(taken.batches)).toEqual([...range(10, 15), ...range(16, 24)]);
    expect([taken.records, taken.nextOffset]).toEqual([13, 24]);
    expect(taken.batches[0]!.buffer).toBe(fetched.buffer);
    expect(taken.batches[2]!.buffer).toBe(fetched.buffer);
    expect(taken.bytes).toBe(taken.batches.reduce((sum, b) => sum + b.length, 0));
  });

  it('cuts a batch that straddles the position to the records from it', async () => {
    const taken = await takeStoredBatches(fetched, 12, ANY);
    expect(offsetsOf(taken.batches)).toEqual([...range(12, 15), ...range(16, 24)]);
    expect(taken.records).toBe(11);
    expect(offsetsOf((await takeStoredBatches(fetched, 17, ANY)).batches)).toEqual(range(17, 24));
  });

  it('stops inside a batch when the records run out, and goes on from there', async () => {
    const first = await takeStoredBatches(fetched, 10, { ...ANY, maxRecords: 3 });
    expect(offsetsOf(first.batches)).toEqual([10, 11, 12]);
    expect([first.records, first.nextOffset]).toEqual([3, 13]);
    const second = await takeStoredBatches(fetched, first.nextOffset, { ...ANY, maxRecords: 3 });
    expect(offsetsOf(second.batches)).toEqual([13, 14, 16]);
    expect(second.nextOffset).toBe(17);
    const third = await takeStoredBatches(fetched, 14, { ...ANY, maxRecords: 1 });
    // The marker is not passed yet: the records stopped before it.
    expect([offsetsOf(third.batches), third.nextOffset]).toEqual([[14], 15]);
  });

  it('moves past a transaction marker at the end without sending it', async () => {
    const marker = await batch(15, 1, { control: true });
    const taken = await takeStoredBatches(Buffer.concat([await batch(10, 5), marker]), 10, ANY);
    expect([taken.batches.length, taken.records, taken.nextOffset]).toEqual([1, 5, 16]);
    const only = await takeStoredBatches(marker, 15, ANY);
    expect([only.batches, only.records, only.nextOffset]).toEqual([[], 0, 16]);
  });

  it('takes whole batches until the bytes run out, at least one', async () => {
    const first = await batch(10, 5);
    const taken = await takeStoredBatches(fetched, 10, { ...ANY, maxBytes: first.length });
    expect([offsetsOf(taken.batches), taken.nextOffset]).toEqual([range(10, 15), 15]);
    const tiny = await takeStoredBatches(fetched, 10, { ...ANY, maxBytes: 1 });
    expect(tiny.records).toBe(5);
  });

  it('cuts a decompressed batch at the byte budget, at least one record', async () => {
    const big = await batch(0, 100, { compression: CompressionType.Lz4, valueBytes: 1_000 });
    expect(big.length).toBeLessThan(10_000);
    const taken = await takeStoredBatches(big, 0, { ...ANY, maxBytes: 10_000 });
    expect(taken.records).toBeGreaterThan(5);
    expect(taken.records).toBeLessThan(15);
    expect(offsetsOf(taken.batches)).toEqual(range(0, taken.records));
    expect(taken.nextOffset).toBe(taken.records);
    const one = await takeStoredBatches(big, 42, { ...ANY, maxBytes: 1 });
    expect([offsetsOf(one.batches), one.nextOffset]).toEqual([[42], 43]);
  });

  it('cuts a stored batch larger than may go whole at the byte budget', async () => {
    const big = await batch(0, 100, { valueBytes: 1_000 });
    const limits = { maxRecords: 1_000, maxBytes: 10_000, wholeBytesMax: 10_000 };
    const first = await takeStoredBatches(big, 0, limits);
    expect(first.records).toBe(10);
    expect(first.batches[0]!.buffer).not.toBe(big.buffer);
    const second = await takeStoredBatches(big, first.nextOffset, limits);
    expect(offsetsOf(second.batches)).toEqual(range(10, 20));
    // One that may go whole goes whole, past what is left of the budget.
    const whole = await takeStoredBatches(big, 0, { ...limits, wholeBytesMax: big.length });
    expect([whole.records, whole.batches[0]!.buffer]).toEqual([100, big.buffer]);
  });

  it('skips batches below the position, and refuses a broken frame', async () => {
    const taken = await takeStoredBatches(fetched, 19, ANY);
    expect([offsetsOf(taken.batches), taken.batches[0]!.buffer]).toEqual([
      range(19, 24),
      fetched.buffer,
    ]);
    const broken = Buffer.from(fetched);
    broken.writeInt32BE(7, 8); // a batch length shorter than a header
    let error: unknown;
    await takeStoredBatches(broken, 10, ANY).catch((caught: unknown) => (error = caught));
    expect(isBrokerError(error, 'CORRUPT_RECORD')).toBe(true);
  });
});
