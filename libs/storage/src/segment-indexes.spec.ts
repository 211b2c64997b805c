import { HandlePool } from './handle-pool';
import { MemoryFileSystem } from './memory-file-system';
import { OFFSET_INDEX_ENTRY_BYTES } from './offset-index';
import { SegmentIndexes } from './segment-indexes';

const BASE = 100;
const OPTIONS = { indexIntervalBytes: 1000, maxIndexBytes: 10 * 1024 };

function indexes(options = OPTIONS): SegmentIndexes {
  return new SegmentIndexes(BASE, options, '/d/seg.index', '/d/seg.timeindex');
}

/** Adds `count` batches of 10 records and 600 bytes each; batch i has max timestamp 1000 + i. */
function addBatches(target: SegmentIndexes, count: number, timestamp = (i: number) => 1000 + i) {
  for (let i = 0; i < count; i++) {
    target.add(BASE + i * 10, BASE + i * 10 + 9, timestamp(i), i * 600, 600);
  }
}

describe('SegmentIndexes', () => {
  it('tracks the next offset, the max timestamp and the first batch timestamp', () => {
    const seg = indexes();
    expect(seg.nextOffset).toBe(BASE);
    expect(seg.rollingTimestamp).toBeUndefined();
    addBatches(seg, 5, (i) => [50, 70, 60, 90, 80][i]!);
    expect(seg.nextOffset).toBe(BASE + 50);
    expect(seg.rollingTimestamp).toBe(50);
    expect(seg.maxTimestamp).toBe(90);
    expect(seg.offsetOfMaxTimestamp).toBe(BASE + 30);
  });

  it('writes one sparse entry each time more than the interval went by', () => {
    const seg = indexes();
    addBatches(seg, 10); // 600 B each: an entry at batches 2, 4, 6, 8 (after 1,200 B each)
    expect(seg.offsetIndex.entryCount).toBe(4);
    expect(seg.offsetIndex.lookup(BASE + 45)).toEqual({ offset: BASE + 40, position: 2400 });
    expect(seg.timeIndex.lookupBefore(1005)).toEqual({ timestamp: 1004, offset: BASE + 40 });
  });

  it('refuses batches out of offset order', () => {
    const seg = indexes();
    addBatches(seg, 2);
    expect(() => seg.add(BASE + 5, BASE + 6, 1, 1200, 100)).toThrow(/offset order/);
  });

  it('seal puts the max timestamp in the time index, even when it is full', () => {
    const seg = indexes({ indexIntervalBytes: 0, maxIndexBytes: 2 * 12 });
    addBatches(seg, 6, (i) => (i === 4 ? 5000 : 1000 + i));
    expect(seg.timeIndex.isFull).toBe(true);
    expect(seg.timeIndex.lastEntry()?.timestamp).toBeLessThan(5000);
    seg.seal();
    expect(seg.timeIndex.lastEntry()).toEqual({ timestamp: 5000, offset: BASE + 40 });
  });

  it('clear forgets every batch', () => {
    const seg = indexes();
    addBatches(seg, 10);
    seg.clear();
    expect(seg.nextOffset).toBe(BASE);
    expect(seg.maxTimestamp).toBe(-1);
    expect(seg.rollingTimestamp).toBeUndefined();
    expect(seg.offsetIndex.entryCount).toBe(0);
    expect(seg.timeIndex.entryCount).toBe(0);
  });

  it('flushes both files and loads them back', async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdir('/d');
    const pool = new HandlePool(fs, 4);
    const written = indexes();
    addBatches(written, 10);
    await written.flush(pool);
    expect((await fs.readFileIfExists('/d/seg.index'))?.length).toBe(4 * OFFSET_INDEX_ENTRY_BYTES);

    const loaded = indexes();
    expect(await loaded.loadOffsetIndex(fs, 6000)).toBe(true);
    expect(loaded.offsetIndex.entryCount).toBe(4);
    const ok = await loaded.loadRest(fs, {
      nextOffset: BASE + 100,
      rollingTimestamp: 1000,
      tailStart: 4800,
      sizeBytes: 6000,
      max: { timestamp: 1009, offset: BASE + 90 },
    });
    expect(ok).toBe(true);
    expect(loaded.nextOffset).toBe(BASE + 100);
    expect(loaded.maxTimestamp).toBe(1009);
    expect(loaded.offsetOfMaxTimestamp).toBe(BASE + 90);
    expect(loaded.timeIndex.entryCount).toBe(written.timeIndex.entryCount);
  });

  it('reports a missing index file, but not a missing time index of an empty segment', async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdir('/d');
    const seg = indexes();
    expect(await seg.loadOffsetIndex(fs, 600)).toBe(false);
    const tail = {
      rollingTimestamp: undefined,
      tailStart: 0,
      max: { timestamp: -1, offset: BASE },
    };
    expect(await seg.loadRest(fs, { ...tail, nextOffset: BASE + 10, sizeBytes: 600 })).toBe(false);
    expect(await seg.loadRest(fs, { ...tail, nextOffset: BASE, sizeBytes: 0 })).toBe(true);
  });
});
