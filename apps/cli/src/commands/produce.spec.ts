import { Readable } from 'node:stream';
import { UsageError } from '../options';
import { lineRecord, lines } from './produce';

const plain = {
  delimiter: undefined,
  keyFormat: 'string' as const,
  valueFormat: 'string' as const,
  headers: [],
  partition: undefined,
};

describe('lines', () => {
  it('splits on LF and CRLF, across chunks, with a last line without an ending', async () => {
    const input = Readable.from([Buffer.from('a\r\nb'), Buffer.from('c\n\nd')]);
    const got: string[] = [];
    for await (const line of lines(input)) got.push(line);
    expect(got).toEqual(['a', 'bc', '', 'd']);
  });

  it('keeps a multi-byte character split between chunks', async () => {
    const bytes = Buffer.from('é\n');
    const input = Readable.from([bytes.subarray(0, 1), bytes.subarray(1)]);
    const got: string[] = [];
    for await (const line of lines(input)) got.push(line);
    expect(got).toEqual(['é']);
  });

  it('refuses a line over its bound', async () => {
    const read = async () => {
      for await (const _ of lines(Readable.from(['0123456789']), 5)) void _;
    };
    await expect(read()).rejects.toThrow(UsageError);
  });
});

describe('lineRecord', () => {
  it('splits the key at the first delimiter, as kcat -K does', () => {
    const format = { ...plain, delimiter: ':' };
    expect(lineRecord('a:b:c', 1, format)).toEqual({ key: 'a', value: 'b:c' });
    expect(lineRecord('no delimiter', 1, format)).toEqual({ value: 'no delimiter' });
  });

  it('parses JSON keys and values, naming the line of one that is not', () => {
    const format = {
      ...plain,
      delimiter: '\t',
      keyFormat: 'json' as const,
      valueFormat: 'json' as const,
    };
    expect(lineRecord('[1]\t{"a":1}', 3, format)).toEqual({ key: [1], value: { a: 1 } });
    expect(() => lineRecord('{"a":1', 7, { ...plain, valueFormat: 'json' })).toThrow(
      'line 7: the value is not JSON',
    );
  });

  it('adds the headers and the partition', () => {
    const headers = [{ key: 'h', value: 'v' }];
    expect(lineRecord('x', 1, { ...plain, headers, partition: 2 })).toEqual({
      value: 'x',
      headers,
      partition: 2,
    });
  });
});
