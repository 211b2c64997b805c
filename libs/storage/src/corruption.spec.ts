// Damage on disk is found, cut off or rebuilt, and never served: bytes flipped in the middle of
// a segment (below the recovery point too: a clean stop does not make bytes immune to rot), a
// segment cut short, a gap between segments, a missing index. After the cut the log takes the
// rest again as a follower's appends, at the offsets the leader gave them.
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

  it('never serves a batch that rots on disk while the log is open: the read fails instead', async () => {
    const { fs, sizes } = await build(40);
    const log = await reopen(fs);
    const logs = await segmentFiles(fs, '.log');
    const first = fs.rawFile(logs[0]!)!;
    first[sizes[0]! * 2 + 66] = first[sizes[0]! * 2 + 66]! ^ 0x01;
    await expect(log.read(2, 1 << 20)).rejects.toMatchObject({ code: 'CORRUPT_RECORD' });
    await expect(log.read(0, 1 << 20)).rejects.toMatchObject({ code: 'CORRUPT_RECORD' });
    // Batches before the damage are still served alone.
    const ok = await log.read(0, sizes[0]! + 1);
    expect(decodeRecordBatches(ok.records)).toHaveLength(1);
    await log.close();
  });

  describe('after a clean stop (everything below the recovery point)', () => {
    const COUNT = 40;

    /** Every batch from the log end on, copied from an undamaged replica of the same log. */
    async function catchUp(log: PartitionLog): Promise<void> {
      const { fs } = await build(COUNT);
      const leader = await reopen(fs);
      for (let round = 0; round < COUNT && log.logEndOffset < leader.logEndOffset; round++) {
        const read = await leader.read(log.logEndOffset, 1 << 20, leader.logEndOffset);
        await log.appendAsFollower(read.records);
      }
      await leader.close();
    }

    /** The log holds exactly the first `end` records, each readable and intact. */
    async function expectIntactPrefix(log: PartitionLog, end: number): Promise<void> {
      expect(log.logEndOffset).toBe(end);
      expect(await values(log)).toEqual(Array.from({ length: end }, (_, i) => `${i}:value-${i}`));
      expect((await log.read(end, 1 << 20, log.logEndOffset)).records).toHaveLength(0);
    }

    it('cuts at bytes flipped in a middle segment, drops the segments after it, and takes the rest again', async () => {
      const { fs, sizes } = await build(COUNT);
      const logs = await segmentFiles(fs, '.log');
      expect(logs.length).toBeGreaterThan(3);
      const perSegment = Math.floor(1000 / sizes[0]!);
      // Inside the records of the third batch of the second segment.
      const second = fs.rawFile(logs[1]!)!;
      second[sizes[0]! * 2 + 70] = second[sizes[0]! * 2 + 70]! ^ 0xff;
      const log = await reopen(fs);
      expect(log.loadStats.cut).toMatchObject({
        file: logs[1],
        position: sizes[0]! * 2,
        offset: perSegment + 2,
        problem: 'bad-crc',
      });
      expect(log.loadStats.segmentsDropped).toBe(logs.length - 2);
      await expectIntactPrefix(log, perSegment + 2);
      await catchUp(log);
      await expectIntactPrefix(log, COUNT);
      await log.close();
    });

    it('cuts where a middle segment was cut short at a batch boundary (a gap before the next segment)', async () => {
      const { fs, sizes } = await build(COUNT);
      const logs = await segmentFiles(fs, '.log');
      const perSegment = Math.floor(1000 / sizes[0]!);
      const handle = await fs.open(logs[1]!);
      await handle.truncate(sizes[0]! * 3);
      await handle.close();
      const log = await reopen(fs);
      expect(log.loadStats.cut).toMatchObject({
        file: logs[2],
        offset: perSegment + 3,
        problem: 'segment-gap',
      });
      expect(log.loadStats.segmentsDropped).toBe(logs.length - 2);
      await expectIntactPrefix(log, perSegment + 3);
      await catchUp(log);
      await expectIntactPrefix(log, COUNT);
      await log.close();
    });

    it('cuts where a middle segment was cut short inside a batch', async () => {
      const { fs, sizes } = await build(COUNT);
      const logs = await segmentFiles(fs, '.log');
      const perSegment = Math.floor(1000 / sizes[0]!);
      const handle = await fs.open(logs[1]!);
      await handle.truncate(sizes[0]! * 4 + 10);
      await handle.close();
      const log = await reopen(fs);
      expect(log.loadStats.cut).toMatchObject({ file: logs[1], offset: perSegment + 4 });
      await expectIntactPrefix(log, perSegment + 4);
      await catchUp(log);
      await expectIntactPrefix(log, COUNT);
      await log.close();
    });

    it('cuts at bytes flipped in the active segment', async () => {
      const { fs, sizes } = await build(COUNT);
      const logs = await segmentFiles(fs, '.log');
      const active = fs.rawFile(logs.at(-1)!)!;
      const activeBase = Number(path.basename(logs.at(-1)!, '.log'));
      expect(active.length).toBeGreaterThan(sizes[0]! * 2);
      active[sizes[0]! + 66] = active[sizes[0]! + 66]! ^ 0x10;
      const log = await reopen(fs);
      expect(log.loadStats.cut).toMatchObject({ offset: activeBase + 1, problem: 'bad-crc' });
      expect(log.loadStats.segmentsDropped).toBe(0);
      await expectIntactPrefix(log, activeBase + 1);
      await catchUp(log);
      await expectIntactPrefix(log, COUNT);
      await log.close();
    });

    it('cuts at a batch whose offset field was flipped (outside the CRC)', async () => {
      const { fs, sizes } = await build(COUNT);
      const logs = await segmentFiles(fs, '.log');
      const perSegment = Math.floor(1000 / sizes[0]!);
      // The low byte of the base offset of the second segment's second batch.
      const second = fs.rawFile(logs[1]!)!;
      second[sizes[0]! + 7] = second[sizes[0]! + 7]! ^ 0x04;
      const log = await reopen(fs);
      expect(log.loadStats.cut).toMatchObject({ offset: perSegment + 1 });
      await expectIntactPrefix(log, perSegment + 1);
      await catchUp(log);
      await expectIntactPrefix(log, COUNT);
      await log.close();
    });

    it('loads an undamaged log whole, reporting no cut', async () => {
      const { fs } = await build(COUNT);
      const log = await reopen(fs);
      expect(log.loadStats).toMatchObject({
        cut: undefined,
        bytesTruncated: 0,
        segmentsDropped: 0,
      });
      await expectIntactPrefix(log, COUNT);
      await log.close();
    });
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
