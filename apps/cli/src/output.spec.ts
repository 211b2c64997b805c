import { recordFormatter, type RecordWithTopic, text } from './output';
import { UsageError } from './options';

const record: RecordWithTopic = {
  topic: 'orders',
  partition: 2,
  offset: 41,
  timestamp: 1763700000000,
  key: 'alice',
  value: { n: 1 },
  headers: [
    { key: 'trace', value: 'abc' },
    { key: 'empty', value: null },
  ],
};

describe('recordFormatter', () => {
  it.each([
    ['value', '{"n":1}'],
    ['key', 'alice'],
    ['%k:%v', 'alice:{"n":1}'],
    ['%t/%p@%o %T', 'orders/2@41 1763700000000'],
    ['%h', 'trace=abc,empty='],
    ['100%% %k\\t%v\\n', '100% alice\t{"n":1}'],
    ['a\\\\b', 'a\\b'],
  ])('formats %s', (format, expected) => {
    expect(recordFormatter(format)(record)).toBe(expected);
  });

  it('writes json as one line with the topic', () => {
    expect(JSON.parse(recordFormatter('json')(record))).toEqual(record);
  });

  it('refuses a field it does not know', () => {
    expect(() => recordFormatter('%x')).toThrow(UsageError);
  });

  it('writes null as nothing and strings as they are', () => {
    expect([text(null), text('a"b'), text(3), text([1])]).toEqual(['', 'a"b', '3', '[1]']);
  });
});
