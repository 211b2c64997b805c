// `fsync` durability on the in-memory file system, whose hooks hold writes and syncs: group
// N+1 is written while group N's fdatasync runs, an append never resolves before an fdatasync
// issued after its write, and a power cut keeps everything acknowledged.
import { decodeRecordBatches, encodeRecordBatch } from '@tributary/protocol';
import { seededRandom, testSeed } from '../../../test/support/random';
import { HandlePool } from './handle-pool';
import { DEFAULT_LOG_CONFIG, type LogConfig } from './log-config';
import { segmentFileName } from './log-segment';
import { MemoryFileSystem } from './memory-file-system';
import { PartitionLog } from './partition-log';

const SEED = testSeed();
const DIR = '/d/p-0';
const SEGMENT = `${DIR}/${segmentFileName(0, '.log')}`;

function batch(values: string[]): Buffer {
  return encodeRecordBatch(
    values.map((v) => ({ key: null, value: Buffer.from(v) })),
    { defaultTimestampMs: 1_700_000_000_000 },
  );
}

function open(fs: MemoryFileSystem, config: Partial<LogConfig> = {}): Promise<PartitionLog> {
  return PartitionLog.open({
    dir: DIR,
    fs,
    pool: new HandlePool(fs, 16),
    config: { ...DEFAULT_LOG_CONFIG, ...config },
  });
}

/** Every record of the log as "offset:value". */
async function readAll(log: PartitionLog): Promise<string[]> {
  const all: string[] = [];
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const read = await log.read(offset, 1 << 20);
    for (const b of decodeRecordBatches(read.records))
      for (const r of b.records) all.push(`${r.offset}:${r.value?.toString()}`);
    offset = read.nextOffset;
  }
  return all;
}

/** "offset:value" of every record in the bytes that would survive a power cut now. */
function durableRecords(fs: MemoryFileSystem, file: string): Set<string> {
  const out = new Set<string>();
  for (const b of decodeRecordBatches(fs.durableFile(file) ?? Buffer.alloc(0)))
    for (const r of b.records) out.add(`${r.offset}:${r.value?.toString()}`);
  return out;
}

function signal(): { fired: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const fired = new Promise<void>((resolve) => (fire = resolve));
  return { fired, fire };
}

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('PartitionLog with fsync durability (in-memory file system)', () => {
  it("submits the next group's write while the previous group's fdatasync is in flight", async () => {
    const fs = new MemoryFileSystem();
    const log = await open(fs);
    const events: string[] = [];
    const firstSync = signal();
    const secondWrite = signal();
    const releaseFirstSync = signal();
    fs.onWrite = (file) => {
      if (file !== SEGMENT) return;
      events.push('write');
      if (events.filter((e) => e === 'write').length === 2) secondWrite.fire();
    };
    fs.onSync = (file) => {
      if (file !== SEGMENT) return undefined;
      events.push('sync');
      if (events.filter((e) => e === 'sync').length > 1) return undefined;
      firstSync.fire();
      return releaseFirstSync.fired.then(() => void events.push('first sync done'));
    };
    const a = log.append(batch(['a'])).then(() => events.push('ack a'));
    await firstSync.fired;
    const b = log.append(batch(['b'])).then(() => events.push('ack b'));
    await secondWrite.fired;
    expect(events).toEqual(['write', 'sync', 'write']);
    expect(log.highWatermark).toBe(0);
    releaseFirstSync.fire();
    await Promise.all([a, b]);
    // b's write completed while the first sync ran: it waits for a sync issued after it.
    expect(events).toEqual(['write', 'sync', 'write', 'first sync done', 'sync', 'ack a', 'ack b']);
    expect([log.highWatermark, log.durableEndOffset]).toEqual([2, 2]);
    await log.close();
  });

  it(`never resolves an append before its bytes are durable (seed ${SEED}, TEST_SEED to replay)`, async () => {
    const random = seededRandom(SEED);
    const fs = new MemoryFileSystem();
    const log = await open(fs);
    // A write lands a random number of turns after it starts; a sync makes what had landed
    // when it started durable, a random number of turns later.
    fs.onWrite = () => turns(Math.floor(random() * 4));
    fs.onSync = () => turns(Math.floor(random() * 6));
    const violations: string[] = [];
    const appender = async (id: number): Promise<void> => {
      for (let i = 0; i < 40; i++) {
        // Think time spreads the appenders over several groups, so that a sync can end while
        // the next write is still in flight.
        await turns(Math.floor(random() * 3));
        const value = `w${id}-${i}`;
        const result = await log.append(batch([value]));
        const record = `${result.baseOffset}:${value}`;
        if (!durableRecords(fs, SEGMENT).has(record)) violations.push(record);
        if (log.highWatermark > log.durableEndOffset) violations.push(`hw ${log.highWatermark}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, id) => appender(id)));
    expect(violations).toEqual([]);
    expect(log.highWatermark).toBe(320);
    await log.close();
  });

  it('keeps every acknowledged record when the power is cut with a sync and a write in flight', async () => {
    const fs = new MemoryFileSystem();
    const log = await open(fs);
    const acked: string[] = [];
    const append = (value: string) =>
      log.append(batch([value])).then(
        (r) => void acked.push(`${r.baseOffset}:${value}`),
        () => undefined,
      );
    for (let i = 0; i < 12; i++) await append(`v${i}`);
    const syncHeld = signal();
    const writeHeld = signal();
    fs.onSync = (file) => {
      if (file.endsWith('.log')) syncHeld.fire();
      return file.endsWith('.log') ? new Promise<void>(() => undefined) : undefined;
    };
    void append('in-sync');
    await syncHeld.fired;
    fs.onWrite = () => {
      writeHeld.fire();
      return new Promise<void>(() => undefined);
    };
    void append('in-write');
    await writeHeld.fired;
    fs.crash();
    fs.onSync = undefined;
    fs.onWrite = undefined;
    expect(acked).toHaveLength(12);
    const reopened = await open(fs);
    const all = await readAll(reopened);
    expect(all.slice(0, 12)).toEqual(acked);
    expect(all.some((v) => v.endsWith(':in-write'))).toBe(false);
    await reopened.close();
  });

  it('keeps every fsync-acknowledged record and drops only unsynced bytes', async () => {
    const fs = new MemoryFileSystem();
    const log = await open(fs, { segmentBytes: 500 });
    const acked: number[] = [];
    for (let i = 0; i < 25; i++) acked.push((await log.append(batch([`v${i}`]))).baseOffset);
    // Writes that never got their fdatasync: the appender is blocked mid-write by a crash.
    fs.onWrite = () => {
      fs.onWrite = undefined;
      fs.crash();
      throw new Error('power cut');
    };
    await log.append(batch(['lost'])).catch(() => undefined);
    const reopened = await open(fs, { segmentBytes: 500 });
    const all = await readAll(reopened);
    expect(all.slice(0, 25)).toEqual(acked.map((o, i) => `${o}:v${i}`));
    expect(all.some((v) => v.endsWith(':lost'))).toBe(false);
    await reopened.close();
  });
});
