import { parseInteger, parseOptions, parsePairs, parsePosition, UsageError } from './options';

describe('parsePosition', () => {
  it.each([
    ['beginning', 'earliest'],
    ['earliest', 'earliest'],
    ['end', 'latest'],
    ['latest', 'latest'],
    ['42', { offset: 42 }],
    ['@1763700000000', { timestamp: 1763700000000 }],
    ['2025-01-31T12:00:00Z', { timestamp: Date.parse('2025-01-31T12:00:00Z') }],
    ['2025-01-31', { timestamp: Date.parse('2025-01-31') }],
  ])('reads %s', (raw, expected) => {
    expect(parsePosition(raw, '--from')).toEqual(expected);
  });

  it.each(['', 'soon', '-1', '1.5', '2025-13-45', '@x'])('refuses %j', (raw) => {
    expect(() => parsePosition(raw, '--from')).toThrow(UsageError);
  });
});

describe('option values', () => {
  it('reads integers within bounds only', () => {
    expect(parseInteger('7', '-c', { min: 1 })).toBe(7);
    for (const raw of ['0', '-3', '1e3', 'x', '9007199254740993']) {
      expect(() => parseInteger(raw, '-c', { min: 1 })).toThrow(UsageError);
    }
  });

  it('splits key=value pairs at the first =', () => {
    expect(parsePairs(['a=1', 'b=x=y', 'c='], '-H')).toEqual([
      ['a', '1'],
      ['b', 'x=y'],
      ['c', ''],
    ]);
    expect(() => parsePairs(['=1'], '-H')).toThrow(UsageError);
    expect(() => parsePairs(['novalue'], '-H')).toThrow(UsageError);
  });

  it('refuses an option the command does not take', () => {
    expect(() => parseOptions(['--nope'], {})).toThrow(UsageError);
    expect(
      parseOptions(['t', '-K', ':', '--url', 'http://x'], { k: { type: 'string', short: 'K' } }),
    ).toEqual({ values: { k: ':', url: 'http://x' }, positionals: ['t'] });
  });
});
