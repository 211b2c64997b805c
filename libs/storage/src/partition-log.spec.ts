// One suite, two file systems: every behaviour of the log holds on the real disk and on the
// in-memory file system alike.
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { ManualClock } from '@tributary/common';
import { decodeRecordBatches, encodeRecordBatch } from '@tributary/protocol';
import { DiskFileSystem } from './disk-file-system';
import { type FileSystem } from './file-system';
import { HandlePool } from './handle-pool';
import { DEFAULT_LOG_CONFIG, type LogConfig } from './log-config';
import { MemoryFileSystem } from './memory-file-system';
import { PartitionLog } from './partition-log';

interface Harness {
  name: string;
  setup(): Promise<{ fs: FileSystem; dir: string; cleanup(): Promise<void> }>;
}

const harnesses: Harness[] = [
  {
    name: 'disk',
    async setup() {
      const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'tributary-log-'));
      return {
        fs: new DiskFileSystem(),
        dir: path.join(root, 'orders-0'),
        cleanup: () => fsp.rm(root, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'memory',
    async setup() {
      return { fs: new MemoryFileSystem(), dir: '/data/orders-0', cleanup: async () => undefined };
    },
  },
];

const T0 = 1_700_000_000_000;

function flip(buf: Buffer, position: number): Buffer {
  buf[position] = buf[position]! ^ 0xff;
  return buf;
}

function batch(values: string[], timestamp = T0): Buffer {
  return encodeRecordBatch(
    values.map((v) => ({ key: null, value: Buffer.from(v), timestamp })),
    { defaultTimestampMs: timestamp },
  );
}

describe.each(harnesses)('PartitionLog on $name', (harness) => {
  let env: Awaited<ReturnType<Harness['setup']>>;
  let pool: HandlePool;
  let clock: ManualClock;
  const open = (config: Partial<LogConfig> = {}, extra: { pendingAppendBytesMax?: number } = {}) =>
    PartitionLog.open({
      dir: env.dir,
      fs: env.fs,
      pool,
      clock,
      config: { ...DEFAULT_LOG_CONFIG, ...config },
      ...extra,
    });

  beforeEach(async () => {
    env = await harness.setup();
    pool = new HandlePool(env.fs, 64);
    clock = new ManualClock(T0);
  });

  afterEach(async () => {
    await pool.closeAll();
    await env.cleanup();
  });

  /** Every record from `from` up to the high watermark, as "offset:value". */
  async function readAll(
    log: PartitionLog,
    from = log.logStartOffset,
    maxBytes = 1 << 20,
  ): Promise<string[]> {
    const out: string[] = [];
    let offset = from;
    while (offset < log.highWatermark) {
      const read = await log.read(offset, maxBytes);
      for (const b of decodeRecordBatches(read.records)) {
        for (const r of b.records)
          if (r.offset >= offset) out.push(`${r.offset}:${r.value?.toString()}`);
      }
      expect(read.nextOffset).toBeGreaterThan(offset);
      offset = read.nextOffset;
    }
    return out;
  }

  it('assigns dense offsets in call order and reads them back', async () => {
    const log = await open();
    const results = await Promise.all([
      log.append(batch(['a', 'b', 'c'])),
      log.append(batch(['d'])),
      log.append(batch(['e', 'f'])),
    ]);
    expect(results.map((r) => [r.baseOffset, r.lastOffset])).toEqual([
      [0, 2],
      [3, 3],
      [4, 5],
    ]);
    expect([log.logEndOffset, log.highWatermark, log.durableEndOffset]).toEqual([6, 6, 6]);
    expect(await readAll(log)).toEqual(['0:a', '1:b', '2:c', '3:d', '4:e', '5:f']);
    await log.close();
  });

  it('with replicated durability acknowledges from the page cache and flushes on demand', async () => {
    const log = await open({ durability: 'replicated' });
    await log.append(batch(['a', 'b']));
    expect([log.highWatermark, log.durableEndOffset]).toEqual([2, 0]);
    await log.flush();
    expect(log.durableEndOffset).toBe(2);
    await log.close();
  });

  it('returns whole batches: the first even past maxBytes, then only those that fit', async () => {
    const log = await open();
    const sizes: number[] = [];
    for (const values of [['a', 'b'], ['c'], ['d', 'e', 'f']]) {
      const b = batch(values);
      sizes.push(b.length);
      await log.append(b);
    }
    const tiny = await log.read(0, 1);
    expect(tiny.records.length).toBe(sizes[0]);
    expect(tiny.nextOffset).toBe(2);
    const two = await log.read(0, sizes[0]! + sizes[1]!);
    expect(two.records.length).toBe(sizes[0]! + sizes[1]!);
    expect(two.nextOffset).toBe(3);
    // An offset in the middle of a batch returns that whole batch.
    const mid = await log.read(4, 1 << 20);
    expect(decodeRecordBatches(mid.records)[0]!.baseOffset).toBe(3);
    // Nothing reaching maxOffset is returned.
    const capped = await log.read(0, 1 << 20, 4);
    expect(capped.nextOffset).toBe(3);
    expect((await log.read(6, 100)).records.length).toBe(0);
    await log.close();
  });

  it('refuses offsets outside [log start, high watermark] with both bounds in the error', async () => {
    const log = await open({ durability: 'replicated' });
    await log.append(batch(['a', 'b', 'c']));
    await expect(log.read(4, 100)).rejects.toMatchObject({
      code: 'OFFSET_OUT_OF_RANGE',
      extra: { logStartOffset: 0, highWatermark: 3 },
    });
    await log.deleteRecordsBefore(2);
    await expect(log.read(1, 100)).rejects.toMatchObject({
      code: 'OFFSET_OUT_OF_RANGE',
      extra: { logStartOffset: 2, highWatermark: 3 },
    });
    await log.close();
  });

  it('rolls segments by segment.bytes and reads across them', async () => {
    const log = await open({ segmentBytes: 300 });
    for (let i = 0; i < 20; i++) await log.append(batch([`record-${i}`]));
    expect(log.segmentCount).toBeGreaterThan(5);
    const names = (await env.fs.readdir(env.dir)).filter((n) => n.endsWith('.log'));
    expect(names.every((n) => /^\d{20}\.log$/.test(n))).toBe(true);
    expect(names[0]).toBe('00000000000000000000.log');
    expect(await readAll(log, 0, 1)).toEqual(
      Array.from({ length: 20 }, (_, i) => `${i}:record-${i}`),
    );
    await log.close();
  });

  it('rolls segments by segment.ms, counted in record time', async () => {
    const log = await open({ segmentMs: 1000 });
    await log.append(batch(['a'], T0));
    await log.append(batch(['b'], T0 + 500));
    expect(log.segmentCount).toBe(1);
    await log.append(batch(['c'], T0 + 1500));
    expect(log.segmentCount).toBe(2);
    await log.close();
  });

  it('finds the first batch at or after a timestamp', async () => {
    const log = await open({ indexIntervalBytes: 1 });
    for (let i = 0; i < 10; i++) await log.append(batch([`v${i}`], T0 + i * 100));
    const at = async (ts: number) => {
      const found = await log.batchForTimestamp(ts);
      return found === undefined ? undefined : decodeRecordBatches(found)[0]!.baseOffset;
    };
    expect(await at(T0 - 1)).toBe(0);
    expect(await at(T0 + 250)).toBe(3);
    expect(await at(T0 + 300)).toBe(3);
    expect(await at(T0 + 900)).toBe(9);
    expect(await at(T0 + 901)).toBeUndefined();
    await log.close();
  });

  it('reopens after a clean close without recovering or rebuilding anything', async () => {
    let log = await open({ segmentBytes: 400, indexIntervalBytes: 50 });
    for (let i = 0; i < 30; i++) await log.append(batch([`r${i}`], T0 + i));
    const before = await readAll(log);
    await log.close();
    log = await open({ segmentBytes: 400, indexIntervalBytes: 50 });
    expect(log.loadStats).toMatchObject({
      segmentsRecovered: 0,
      indexesRebuilt: 0,
      bytesTruncated: 0,
    });
    expect([log.logEndOffset, log.highWatermark]).toEqual([30, 30]);
    expect(await readAll(log)).toEqual(before);
    expect(decodeRecordBatches((await log.batchForTimestamp(T0 + 17))!)[0]!.baseOffset).toBe(17);
    await log.append(batch(['after']));
    expect(await readAll(log, 30)).toEqual(['30:after']);
    await log.close();
  });

  it('rebuilds a deleted or garbled index on open', async () => {
    let log = await open({ segmentBytes: 400, indexIntervalBytes: 50 });
    for (let i = 0; i < 30; i++) await log.append(batch([`r${i}`]));
    const before = await readAll(log);
    await log.close();
    const indexes = (await env.fs.readdir(env.dir)).filter((n) => n.endsWith('.index'));
    await env.fs.unlink(path.join(env.dir, indexes[0]!));
    await env.fs.writeFileAtomic(path.join(env.dir, indexes[1]!), Buffer.from('garbage!garbage!'));
    log = await open({ segmentBytes: 400, indexIntervalBytes: 50 });
    expect(log.loadStats.indexesRebuilt).toBe(2);
    expect(await readAll(log, 0, 1)).toEqual(before);
    await log.close();
  });

  it('truncates whole batches and carries on from the new end', async () => {
    const log = await open({ segmentBytes: 250, durability: 'replicated' }, {});
    for (let i = 0; i < 6; i++) await log.append(batch([`a${i}`, `b${i}`]));
    expect(log.logEndOffset).toBe(12);
    // Offset 7 sits inside the batch [6, 7]: that batch goes too.
    expect(await log.truncateTo(7)).toBe(6);
    expect([log.logEndOffset, log.highWatermark]).toEqual([6, 6]);
    const next = await log.append(batch(['new']));
    expect(next.baseOffset).toBe(6);
    expect((await readAll(log)).slice(-2)).toEqual(['5:b2', '6:new']);
    expect(await log.truncateTo(0)).toBe(0);
    expect((await log.append(batch(['again']))).baseOffset).toBe(0);
    await log.close();
  });

  it('stamps leader epochs into batches and keeps the epoch cache through truncation and reopen', async () => {
    let log = await open();
    await log.append(batch(['a']), 0);
    await log.append(batch(['b']), 0);
    await log.append(batch(['c']), 2);
    await log.append(batch(['d']), 5);
    const read = await log.read(0, 1 << 20);
    expect(decodeRecordBatches(read.records).map((b) => b.partitionLeaderEpoch)).toEqual([
      0, 0, 2, 5,
    ]);
    expect(log.epochs.all()).toEqual([
      { epoch: 0, startOffset: 0 },
      { epoch: 2, startOffset: 2 },
      { epoch: 5, startOffset: 3 },
    ]);
    await log.truncateTo(3);
    expect(log.epochs.endOffsetFor(2, log.logEndOffset)).toEqual({ epoch: 2, endOffset: 3 });
    await log.close();
    log = await open();
    expect(log.epochs.all()).toEqual([
      { epoch: 0, startOffset: 0 },
      { epoch: 2, startOffset: 2 },
    ]);
    await log.close();
  });

  it('deletes segments older than retention.ms, never above the high watermark', async () => {
    const log = await open({ segmentBytes: 200, retentionMs: 1000 });
    for (let i = 0; i < 10; i++) await log.append(batch([`old${i}`], T0));
    for (let i = 0; i < 3; i++) await log.append(batch([`new${i}`], T0 + 5000));
    clock.set(T0 + 5500);
    const deleted = await log.applyRetention();
    expect(deleted).toBeGreaterThan(0);
    expect(log.logStartOffset).toBeGreaterThanOrEqual(9);
    const remaining = await readAll(log);
    expect(remaining.filter((r) => r.includes('new'))).toHaveLength(3);
    // Everything expired, including the active segment: the log rolls and stays readable.
    clock.set(T0 + 100_000);
    await log.applyRetention();
    expect(log.logStartOffset).toBe(13);
    expect((await log.read(13, 100)).records.length).toBe(0);
    expect((await log.append(batch(['fresh']))).baseOffset).toBe(13);
    await log.close();
  });

  it('deletes the oldest segments past retention.bytes', async () => {
    const log = await open({ segmentBytes: 200, retentionBytes: 600 });
    for (let i = 0; i < 20; i++) await log.append(batch([`r${i}`]));
    const sizeBefore = log.sizeBytes;
    await log.applyRetention();
    expect(log.sizeBytes).toBeLessThan(sizeBefore);
    expect(log.sizeBytes).toBeGreaterThanOrEqual(600);
    expect((await readAll(log)).at(-1)).toBe('19:r19');
    await log.close();
  });

  it('moves the log start with delete-records, durably', async () => {
    let log = await open({ segmentBytes: 200 });
    for (let i = 0; i < 20; i++) await log.append(batch([`r${i}`]));
    const segmentsBefore = log.segmentCount;
    expect(await log.deleteRecordsBefore(12)).toBe(12);
    expect(log.segmentCount).toBeLessThan(segmentsBefore);
    await expect(log.deleteRecordsBefore(21)).rejects.toMatchObject({
      code: 'OFFSET_OUT_OF_RANGE',
    });
    expect(await log.deleteRecordsBefore(5)).toBe(12);
    await log.close();
    log = await open({ segmentBytes: 200 });
    expect(log.logStartOffset).toBe(12);
    expect((await readAll(log))[0]).toBe('12:r12');
    await log.close();
  });

  it('refuses bad batches on append and writes nothing', async () => {
    const log = await open({ maxMessageBytes: 200 });
    const cases: [string, Buffer, string][] = [
      ['too large', batch(['x'.repeat(300)]), 'MESSAGE_TOO_LARGE'],
      ['bad crc', flip(batch(['y']), 66), 'CORRUPT_RECORD'],
      ['truncated', batch(['z']).subarray(0, 40), 'CORRUPT_RECORD'],
      ['trailing bytes', Buffer.concat([batch(['z']), Buffer.alloc(3)]), 'CORRUPT_RECORD'],
    ];
    for (const [name, bytes, code] of cases) {
      await expect(
        log.append(bytes).catch((e: { code: string }) => `${name}:${e.code}`),
      ).resolves.toBe(`${name}:${code}`);
    }
    expect(log.logEndOffset).toBe(0);
    expect((await log.append(batch(['ok']))).baseOffset).toBe(0);
    await log.close();
  });

  it('refuses appends past the pending byte bound with a retriable error', async () => {
    const one = batch(['payload']);
    const log = await open({}, { pendingAppendBytesMax: one.length * 3 });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, () => log.append(batch(['payload']))),
    );
    const accepted = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o) => o.status === 'rejected');
    expect(accepted.length).toBe(3);
    expect(refused.every((o) => o.reason.code === 'BACKPRESSURE')).toBe(true);
    expect(log.logEndOffset).toBe(3);
    await log.close();
  });

  it('wakes listeners when the high watermark moves', async () => {
    const log = await open();
    const seen: number[] = [];
    const stop = log.addListener((e) => seen.push(e.highWatermark));
    await log.append(batch(['a', 'b']));
    await log.append(batch(['c']));
    stop();
    await log.append(batch(['d']));
    expect(seen).toEqual([2, 3]);
    await log.close();
  });
});

describe('PartitionLog reads racing appends', () => {
  it('a read is not confused by an append that finishes while it reads', async () => {
    const fs = new MemoryFileSystem();
    const pool = new HandlePool(fs, 8);
    const log = await PartitionLog.open({
      dir: '/data/orders-0',
      fs,
      pool,
      clock: new ManualClock(T0),
      config: { ...DEFAULT_LOG_CONFIG, durability: 'replicated' },
    });
    await log.append(batch(['a']));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    fs.onRead = () => gate;
    const reading = log.read(0, 1 << 20);
    // The read is held inside its first file read; the log grows meanwhile.
    await log.append(batch(['b']));
    fs.onRead = undefined;
    release();
    const read = await reading;
    const offsets = decodeRecordBatches(read.records).flatMap((b) =>
      b.records.map((r) => r.offset),
    );
    expect(offsets).toEqual([0]);
    const next = await log.read(read.nextOffset, 1 << 20);
    expect(decodeRecordBatches(next.records)[0]!.records[0]!.value!.toString()).toBe('b');
    await log.close();
    await pool.closeAll();
  });
});
