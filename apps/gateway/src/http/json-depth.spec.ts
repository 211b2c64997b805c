import { nestsDeeperThan } from './json-depth';

/** Arrays nested `levels` deep around 1, parsed from text (building it any other way recurses). */
function nested(levels: number, open = '[', close = ']'): unknown {
  return JSON.parse(open.repeat(levels) + '1' + close.repeat(levels));
}

describe('nestsDeeperThan', () => {
  test.each([
    [1, 0],
    ['text', 0],
    [null, 0],
    [[], 1],
    [{}, 1],
    [[1, 'a', null], 1],
    [{ a: [1] }, 2],
    [[{ a: { b: [] } }], 4],
  ])('%j nests %i levels', (value, levels) => {
    expect(nestsDeeperThan(value, levels)).toBe(false);
    if (levels > 0) expect(nestsDeeperThan(value, levels - 1)).toBe(true);
  });

  test('the deepest branch counts, wherever it is', () => {
    const value = { shallow: [1, 2], deep: [[[[1]]]], after: {} };
    expect(nestsDeeperThan(value, 5)).toBe(false);
    expect(nestsDeeperThan(value, 4)).toBe(true);
  });

  test('values far deeper than the stack allows are measured without recursion', () => {
    const arrays = nested(200_000);
    const objects = nested(200_000, '{"a":', '}');
    expect(() => JSON.stringify(arrays)).toThrow(RangeError);
    expect(nestsDeeperThan(arrays, 64)).toBe(true);
    expect(nestsDeeperThan(objects, 64)).toBe(true);
    expect(nestsDeeperThan(nested(64), 64)).toBe(false);
    expect(nestsDeeperThan(nested(65), 64)).toBe(true);
  });

  test('wide values are walked in full', () => {
    const wide = Array.from({ length: 10_000 }, (_, i) => (i === 9_999 ? [[1]] : { i }));
    expect(nestsDeeperThan(wide, 2)).toBe(true);
    expect(nestsDeeperThan(wide, 3)).toBe(false);
  });
});
