// Idempotent producers: the state's rules on their own, then through a partition log, across
// reopening after a clean close (snapshot) and after a kill (scan), truncation and the window.
import { ManualClock } from '@tributary/common';
import { encodeRecordBatch, KEYED_PRODUCER_ID_MIN } from '@tributary/protocol';
import { HandlePool } from './handle-pool';
import { DEFAULT_LOG_CONFIG } from './log-config';
import { MemoryFileSystem } from './memory-file-system';
import { PartitionLog } from './partition-log';
import { readProducerSnapshot } from './producer-snapshot';
import { type ProducerBatch, ProducerState } from './producer-state';

const T0 = 1_700_000_000_000;
const KEYED = KEYED_PRODUCER_ID_MIN + 12345;
const DIR = '/data/orders-0';

function entry(producerId: number, baseOffset: number, extra: Partial<ProducerBatch> = {}) {
  return {
    producerId,
    producerEpoch: 1,
    baseSequence: 7,
    recordCount: 2,
    baseOffset,
    lastOffset: baseOffset + 1,
    appendedMs: T0,
    ...extra,
  };
}

describe('ProducerState', () => {
  const limits = { entriesMax: 3, windowMs: 1000 };

  it('tells a retry, a reused key and a new batch apart', () => {
    const state = new ProducerState(limits);
    const first = entry(KEYED, 10);
    expect(state.check(first, T0)).toEqual({ kind: 'new' });
    state.record(first);
    expect(state.check(first, T0)).toEqual({ kind: 'duplicate', batch: first });
    expect(state.check({ ...first, producerEpoch: 2 }, T0)).toEqual({
      kind: 'conflict',
      batch: first,
    });
    expect(state.check({ ...first, recordCount: 3 }, T0).kind).toBe('conflict');
    // An allocated producer's next batch is new, its repeat a duplicate.
    const allocated = entry(5, 20);
    state.record(allocated);
    expect(state.check({ ...allocated, baseSequence: 9 }, T0)).toEqual({ kind: 'new' });
    expect(state.check(allocated, T0).kind).toBe('duplicate');
  });

  it('forgets past the window and the oldest past the count', () => {
    const state = new ProducerState(limits);
    state.record(entry(KEYED, 0));
    expect(state.check(entry(KEYED, 0), T0 + 1001)).toEqual({ kind: 'new' });
    for (let i = 1; i <= 3; i++) state.record(entry(KEYED + i, i * 2));
    expect(state.size).toBe(3);
    expect(state.check(entry(KEYED, 0), T0).kind).toBe('new'); // evicted, oldest
    expect(state.check(entry(KEYED + 1, 2), T0).kind).toBe('duplicate');
    state.evict(T0 + 1001);
    expect(state.size).toBe(0);
  });

  it('drops what a truncation removes and what an append failed to write', () => {
    const state = new ProducerState(limits);
    const kept = entry(KEYED, 0);
    const cut = entry(KEYED + 1, 2);
    state.record(kept);
    state.record(cut);
    state.truncateFrom(3);
    expect(state.below(100)).toEqual([kept]);
    state.forget(kept);
    expect(state.size).toBe(0);
  });
});

describe('PartitionLog with idempotent producers', () => {
  let fs: MemoryFileSystem;
  let pool: HandlePool;
  let clock: ManualClock;
  const logs: PartitionLog[] = [];

  const open = async (windowMs = 60_000) => {
    const log = await PartitionLog.open({
      dir: DIR,
      fs,
      pool,
      clock,
      config: DEFAULT_LOG_CONFIG,
      producerLimits: { windowMs },
    });
    logs.push(log);
    return log;
  };
  const keyed = (values: string[], producerId = KEYED, producerEpoch = 3) =>
    encodeRecordBatch(
      values.map((v) => ({ value: Buffer.from(v) })),
      {
        defaultTimestampMs: clock.nowMs(),
        producerId: BigInt(producerId),
        producerEpoch,
        baseSequence: 11,
      },
    );
  const plain = (values: string[]) =>
    encodeRecordBatch(
      values.map((v) => ({ value: Buffer.from(v) })),
      { defaultTimestampMs: clock.nowMs() },
    );
  /** A process kill: the files stay as written, nothing is closed or snapshotted. */
  const kill = () => {
    pool = new HandlePool(fs, 64);
  };

  beforeEach(() => {
    fs = new MemoryFileSystem();
    pool = new HandlePool(fs, 64);
    clock = new ManualClock(T0);
  });
  afterEach(async () => {
    for (const log of logs.splice(0)) await log.close().catch(() => undefined);
  });

  it('answers a retry with the first offsets and writes nothing', async () => {
    const log = await open();
    await log.append(plain(['a']));
    const first = await log.append(keyed(['x', 'y']));
    expect(first).toEqual({ baseOffset: 1, lastOffset: 2, duplicate: false });
    await log.append(plain(['b']));
    expect(await log.append(keyed(['x', 'y']))).toEqual({ ...first, duplicate: true });
    expect(log.logEndOffset).toBe(4);
    await expect(log.append(keyed(['x', 'y'], KEYED, 4))).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
    expect(log.logEndOffset).toBe(4);
  });

  it('holds a retry that arrives while the first write is in flight until it is written', async () => {
    const log = await open();
    const first = log.append(keyed(['x']));
    const retry = log.append(keyed(['x']));
    expect(await Promise.all([first, retry])).toEqual([
      { baseOffset: 0, lastOffset: 0, duplicate: false },
      { baseOffset: 0, lastOffset: 0, duplicate: true },
    ]);
    expect(log.logEndOffset).toBe(1);
  });

  it('remembers producers across a kill (scanning the log) and a clean close (snapshot)', async () => {
    let log = await open();
    await log.append(keyed(['k1']));
    await log.close();
    expect((await readProducerSnapshot(fs, DIR))?.offset).toBe(1);

    log = await open();
    await log.append(plain(['p']));
    await log.append(keyed(['k2'], KEYED + 1));
    kill(); // no close: the snapshot still says offset 1
    log = await open();
    expect(await log.append(keyed(['k1']))).toEqual({
      baseOffset: 0,
      lastOffset: 0,
      duplicate: true,
    });
    expect(await log.append(keyed(['k2'], KEYED + 1))).toEqual({
      baseOffset: 2,
      lastOffset: 2,
      duplicate: true,
    });
    expect(log.logEndOffset).toBe(3);
    // The scan's result is snapshotted at once, so the next crash need not scan again.
    expect((await readProducerSnapshot(fs, DIR))?.offset).toBe(3);
  });

  it('rebuilds the state by scanning when no snapshot is left', async () => {
    let log = await open();
    await log.append(keyed(['k1']));
    await log.close();
    for (const name of await fs.readdir(DIR))
      if (name.endsWith('.snapshot')) await fs.unlink(`${DIR}/${name}`);
    log = await open();
    expect((await log.append(keyed(['k1']))).duplicate).toBe(true);
  });

  it('writes again what a truncation removed, and forgets producers past the window', async () => {
    let log = await open(1000);
    await log.append(plain(['a']));
    await log.append(keyed(['x']));
    await log.truncateTo(1);
    expect(await log.append(keyed(['x']))).toEqual({
      baseOffset: 1,
      lastOffset: 1,
      duplicate: false,
    });
    await log.close();
    log = await open(1000);
    expect((await log.append(keyed(['x']))).duplicate).toBe(true);
    clock.advance(1001);
    expect(await log.append(keyed(['x']))).toEqual({
      baseOffset: 2,
      lastOffset: 2,
      duplicate: false,
    });
  });

  it('refuses producer ids that are not exact numbers', async () => {
    const log = await open();
    const batch = encodeRecordBatch([{ value: Buffer.from('v') }], {
      defaultTimestampMs: T0,
      producerId: 2n ** 60n,
      producerEpoch: 0,
      baseSequence: 0,
    });
    await expect(log.append(batch)).rejects.toMatchObject({ code: 'INVALID_RECORD' });
    expect(log.logEndOffset).toBe(0);
  });
});
