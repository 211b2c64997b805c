import { OffsetIndex } from './offset-index';
import { TimeIndex } from './time-index';

describe('OffsetIndex', () => {
  it('finds the greatest entry at or below an offset', () => {
    const index = new OffsetIndex(100, 10);
    index.append(110, 4000);
    index.append(120, 8000);
    index.append(135, 12500);
    expect(index.lookup(99)).toEqual({ offset: 100, position: 0 });
    expect(index.lookup(109)).toEqual({ offset: 100, position: 0 });
    expect(index.lookup(110)).toEqual({ offset: 110, position: 4000 });
    expect(index.lookup(134)).toEqual({ offset: 120, position: 8000 });
    expect(index.lookup(10_000)).toEqual({ offset: 135, position: 12500 });
  });

  it('refuses entries that do not increase and reports when full', () => {
    const index = new OffsetIndex(0, 2);
    index.append(5, 100);
    expect(() => index.append(5, 200)).toThrow(/must increase/);
    expect(() => index.append(6, 100)).toThrow(/must increase/);
    index.append(6, 200);
    expect(index.isFull).toBe(true);
    expect(() => index.append(7, 300)).toThrow(/full/);
  });

  it('drops entries at or past a truncated position', () => {
    const index = new OffsetIndex(0, 10);
    index.append(10, 100);
    index.append(20, 200);
    index.append(30, 300);
    index.flushedCount = 3;
    index.truncateToPosition(200);
    expect(index.entryCount).toBe(1);
    expect(index.flushedCount).toBe(1);
    expect(index.lookup(25)).toEqual({ offset: 10, position: 100 });
  });

  it('round-trips through bytes and rejects bad files', () => {
    const index = new OffsetIndex(50, 10);
    index.append(60, 100);
    index.append(70, 250);
    const loaded = OffsetIndex.load(50, 10, Buffer.from(index.bytes()), 1000);
    expect(loaded?.lookup(65)).toEqual({ offset: 60, position: 100 });

    const bad = (bytes: number[]) => Buffer.from(bytes);
    const cases: [string, Buffer, number][] = [
      ['size not a multiple of 8', bad([0, 0, 0, 1, 0, 0, 0]), 1000],
      ['offsets not increasing', Buffer.concat([index.bytes(), index.bytes()]), 1000],
      ['position past the log end', Buffer.from(index.bytes()), 200],
      ['more entries than allowed', Buffer.alloc(8 * 11), 1000],
    ];
    for (const [name, data, logSize] of cases) {
      expect([name, OffsetIndex.load(50, 10, data, logSize)]).toEqual([name, undefined]);
    }
  });
});

describe('TimeIndex', () => {
  it('keeps timestamps increasing and finds the last entry strictly before a time', () => {
    const index = new TimeIndex(0, 10);
    expect(index.maybeAppend(1000, 0)).toBe(true);
    expect(index.maybeAppend(900, 5)).toBe(false);
    expect(index.maybeAppend(2000, 10)).toBe(true);
    expect(index.maybeAppend(3000, 20)).toBe(true);
    expect(index.lookupBefore(1000)).toBeUndefined();
    expect(index.lookupBefore(1001)).toEqual({ timestamp: 1000, offset: 0 });
    expect(index.lookupBefore(3000)).toEqual({ timestamp: 2000, offset: 10 });
    expect(index.lookupBefore(9999)).toEqual({ timestamp: 3000, offset: 20 });
  });

  it('replaces the entry of the same batch instead of repeating its offset', () => {
    const index = new TimeIndex(0, 10);
    index.maybeAppend(1000, 4);
    index.maybeAppend(1500, 4);
    expect(index.entryCount).toBe(1);
    expect(index.lastEntry()).toEqual({ timestamp: 1500, offset: 4 });
  });

  it('truncates by offset and rejects bad files', () => {
    const index = new TimeIndex(100, 10);
    index.maybeAppend(10, 100);
    index.maybeAppend(20, 110);
    index.truncateToOffset(110);
    expect(index.lastEntry()).toEqual({ timestamp: 10, offset: 100 });
    expect(TimeIndex.load(100, 10, Buffer.from(index.bytes()), 105)?.entryCount).toBe(1);
    expect(TimeIndex.load(100, 10, Buffer.alloc(13), 105)).toBeUndefined();
    expect(TimeIndex.load(100, 10, Buffer.from(index.bytes()), 100)).toBeUndefined();
    const twice = Buffer.concat([index.bytes(), index.bytes()]);
    expect(TimeIndex.load(100, 10, twice, 105)).toBeUndefined();
  });
});
