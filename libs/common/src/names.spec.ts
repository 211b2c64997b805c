import { isBrokerError } from './errors';
import { checkName, isValidName } from './names';

describe('names', () => {
  test.each([
    ['orders', 10],
    ['a', 1],
    ['consumer group #1 (prod)', 64],
    ['größe-日本', 10],
    ['emoji 🎉🎉', 8],
    ['x'.repeat(255), 255],
  ])('%j is a valid name of at most %i characters', (name, lengthMax) => {
    expect(isValidName(name, lengthMax)).toBe(true);
  });

  test.each([
    ['', 'empty'],
    ['a\u0000b', 'NUL'],
    ['\u0001', 'a C0 control'],
    ['tab\there', 'a tab'],
    ['line\nbreak', 'a line break'],
    ['del\u007f', 'DEL'],
    ['c1\u0085', 'a C1 control'],
    ['\ud800', 'an unpaired high surrogate'],
    ['x\udc00y', 'an unpaired low surrogate'],
  ])('%j is refused (%s)', (name) => {
    expect(isValidName(name, 255)).toBe(false);
  });

  test('the length is counted in characters, not UTF-16 units', () => {
    expect(isValidName('🎉'.repeat(255), 255)).toBe(true);
    expect(isValidName('🎉'.repeat(256), 255)).toBe(false);
    expect(isValidName('x'.repeat(256), 255)).toBe(false);
    expect(isValidName('x'.repeat(1_000_000), 255)).toBe(false);
  });

  test('checkName throws the code it is given, naming the thing', () => {
    expect(() => checkName('ok', 'group id', 255)).not.toThrow();
    try {
      checkName('a\u0000', 'header key', 255, 'INVALID_RECORD');
      throw new Error('accepted');
    } catch (error) {
      expect(isBrokerError(error, 'INVALID_RECORD')).toBe(true);
      expect((error as Error).message).toMatch(/^header key must be 1-255 characters/);
    }
  });
});
