// Damage on disk is found, cut off or rebuilt, and never served: bytes flipped in the middle of
// a segment, a segment cut short, a missing index.
import * as path from 'node:path';
import { decodeRecordBatches, encodeRecordBatch } from '@tributary/protocol';
import { HandlePool } from './handle-pool';
import { DEFAULT_LOG_CONFIG } from './log-config';
import { PARTITION_CHECKPOINT } from './log-loader';
import { MemoryFileSystem } from './memory-file-system';
import { PartitionLog } from './partition-log';

const DIR = '/data/t-0';
const config = { ...DEFAULT_LOG_CONFIG, segmentBytes: 1000, indexIntervalBytes: 100 };

function batch(i: number): Buffer {
  return encodeRecordBatch([{ key: null, value: Buffer.from(`value-${i}`.padEnd(40, '.')) }], {
    defaultTimestampMs: 1_700_000_000_000 + i,
  });
}

async function build(count: number): Promise<{ fs: MemoryFileSystem; sizes: number[] }> {
  const fs = new MemoryFileSystem();
  const pool = new HandlePool(fs, 16);
  const log = await PartitionLog.open({ dir: DIR, fs, pool, config });
  const sizes: number[] = [];
  for (let i = 0; i < count; i++) {
    const b = batch(i);
    sizes.push(b.length);
    await log.append(b);
  }
  await log.close();
  await pool.closeAll();
  return { fs, sizes };
}

async function reopen(fs: MemoryFileSystem): Promise<PartitionLog> {
  return PartitionLog.open({ dir: DIR, fs, pool: new HandlePool(fs, 16), config });
}

/** Forces recovery of every segment, as after an unclean stop. */
async function forgetRecoveryPoint(fs: MemoryFileSystem): Promise<void> {
  await fs.unlink(path.join(DIR, PARTITION_CHECKPOINT));
}

async function values(log: PartitionLog): Promise<string[]> {
  const out: string[] = [];
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const read = await log.read(offset, 1 << 20);
    for (const b of decodeRecordBatches(read.records))
      for (const r of b.records) out.push(`${r.offset}:${r.value!.toString().replace(/\.+$/, '')}`);
    offset = read.nextOffset;
  }
  return out;
}

function segmentFiles(fs: MemoryFileSystem, suffix: string): Promise<string[]> {
  return fs
    .readdir(DIR)
    .then((names) => names.filter((n) => n.endsWith(suffix)).map((n) => path.join(DIR, n)));
}

describe('corruption', () => {
  it('truncates at a flipped byte found by recovery and drops the segments after it', async () => {
    const { fs, sizes } = await build(40);
    const logs = await segmentFiles(fs, '.log');
    expect(logs.length).toBeGreaterThan(2);
    // Flip a byte inside the fourth batch of the second segment.
    const second = fs.rawFile(logs[1]!)!;
    const position = sizes[0]! * 3 + 70;
    second[position] = second[position]! ^ 0xff;
    await forgetRecoveryPoint(fs);
    const log = await reopen(fs);
    expect(log.loadStats.bytesTruncated).toBeGreaterThan(0);
    expect(log.loadStats.segmentsDropped).toBe(logs.length - 2);
    const got = await values(log);
    const perSegment = Math.floor(1000 / sizes[0]!);
    expect(got).toEqual(Array.from({ length: perSegment + 3 }, (_, i) => `${i}:value-${i}`));
    // The log carries on densely after the cut.
    expect((await log.append(batch(99))).baseOffset).toBe(perSegment + 3);
    await log.close();
  });

  it('never serves a corrupt batch below the recovery point: the read fails instead', async () => {
    const { fs, sizes } = await build(40);
    const logs = await segmentFiles(fs, '.log');
    const first = fs.rawFile(logs[0]!)!;
    first[sizes[0]! * 2 + 66] = first[sizes[0]! * 2 + 66]! ^ 0x01;
    const log = await reopen(fs); // clean stop: the damaged segment is not rescanned
    await expect(log.read(2, 1 << 20)).rejects.toMatchObject({ code: 'CORRUPT_RECORD' });
    await expect(log.read(0, 1 << 20)).rejects.toMatchObject({ code: 'CORRUPT_RECORD' });
    // Batches before the damage are still served alone.
    const ok = await log.read(0, sizes[0]! + 1);
    expect(decodeRecordBatches(ok.records)).toHaveLength(1);
    await log.close();
  });

  it('cuts a torn tail back to the last whole batch', async () => {
    const { fs, sizes } = await build(10);
    const lastLog = (await segmentFiles(fs, '.log')).at(-1);
    const handle = await fs.open(lastLog!);
    const size = await handle.sizeBytes();
    await handle.truncate(size - Math.floor(sizes[0]! / 2));
    await forgetRecoveryPoint(fs);
    const log = await reopen(fs);
    expect(log.loadStats.bytesTruncated).toBe(sizes[0]! - Math.floor(sizes[0]! / 2));
    expect(log.logEndOffset).toBe(9);
    expect((await values(log)).at(-1)).toBe('8:value-8');
    await log.close();
  });

  it('cuts trailing zeros left by a preallocated or half-written tail', async () => {
    const { fs } = await build(5);
    const [onlyLog] = await segmentFiles(fs, '.log');
    const handle = await fs.open(onlyLog!);
    await handle.writev([Buffer.alloc(500)], await handle.sizeBytes());
    await forgetRecoveryPoint(fs);
    const log = await reopen(fs);
    expect(log.loadStats.bytesTruncated).toBe(500);
    expect(await values(log)).toHaveLength(5);
    await log.close();
  });

  it('rebuilds missing indexes and time indexes, answering exactly as before', async () => {
    const { fs } = await build(40);
    const before = await reopen(fs);
    const expected = await values(before);
    const byTime = decodeRecordBatches((await before.batchForTimestamp(1_700_000_000_025))!)[0]!
      .baseOffset;
    await before.close();
    for (const file of [
      ...(await segmentFiles(fs, '.index')),
      ...(await segmentFiles(fs, '.timeindex')),
    ]) {
      await fs.unlink(file);
    }
    const log = await reopen(fs);
    expect(log.loadStats.indexesRebuilt).toBeGreaterThan(0);
    expect(await values(log)).toEqual(expected);
    expect(
      decodeRecordBatches((await log.batchForTimestamp(1_700_000_000_025))!)[0]!.baseOffset,
    ).toBe(byTime);
    expect(byTime).toBe(25);
    await log.close();
  });
});
