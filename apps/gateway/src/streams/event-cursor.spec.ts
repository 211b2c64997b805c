import { isBrokerError } from '@tributary/common';
import { CURSOR_PARTITIONS_MAX, formatCursor, parseFrom, parseLastEventId } from './event-cursor';

describe('event stream cursors', () => {
  test('from: earliest, latest (the default) or a timestamp in ms', () => {
    expect(parseFrom(undefined)).toBe('latest');
    expect(parseFrom('latest')).toBe('latest');
    expect(parseFrom('earliest')).toBe('earliest');
    expect(parseFrom('1763700000000')).toEqual({ timestamp: 1763700000000 });
    for (const bad of ['', 'now', '-1', '1.5', '1e3', '99999999999999999', 'Earliest']) {
      expect(() => parseFrom(bad)).toThrow(
        expect.objectContaining({
          code: 'INVALID_REQUEST',
          message: expect.stringMatching(/^from:/),
        }),
      );
    }
  });

  test('Last-Event-ID: a record id or a cursor, as partition -> last offset delivered', () => {
    expect(parseLastEventId(undefined)).toBeUndefined();
    expect(parseLastEventId('  ')).toBeUndefined();
    expect(parseLastEventId('2:17')).toEqual(new Map([[2, 17]]));
    expect(parseLastEventId('0:41,1:-1,2:17')).toEqual(
      new Map([
        [0, 41],
        [1, -1],
        [2, 17],
      ]),
    );
  });

  const tooLong = Array.from({ length: CURSOR_PARTITIONS_MAX * 3 }, (_, p) => `${p}:1000000`);
  test.each([
    ['a bare number', '17'],
    ['a letter partition', 'a:1'],
    ['no offset', '0:'],
    ['an offset below -1', '0:-2'],
    ['a trailing comma', '0:1,'],
    ['another separator', '0:1;1:2'],
    ['a space', '0: 1'],
    ['a partition twice', '0:1,0:2'],
    ['a partition past 2^31-1', '2147483648:0'],
    ['an offset past 2^53', '0:99999999999999999'],
    ['an oversized list', tooLong.join(',')],
  ])('Last-Event-ID with %s is refused', (_label, raw) => {
    let error: unknown;
    try {
      parseLastEventId(raw);
    } catch (caught) {
      error = caught;
    }
    expect(isBrokerError(error, 'INVALID_REQUEST')).toBe(true);
  });

  test('a cursor names the offset before each next position, and round-trips', () => {
    const cursor = formatCursor([42, 0, 18]);
    expect(cursor).toBe('0:41,1:-1,2:17');
    expect(parseLastEventId(cursor)).toEqual(
      new Map([
        [0, 41],
        [1, -1],
        [2, 17],
      ]),
    );
    const widest = formatCursor(Array.from({ length: CURSOR_PARTITIONS_MAX }, () => 2 ** 53 - 1));
    expect(parseLastEventId(widest)?.size).toBe(CURSOR_PARTITIONS_MAX);
    expect(formatCursor(new Array<number>(CURSOR_PARTITIONS_MAX + 1).fill(0))).toBeUndefined();
  });
});
