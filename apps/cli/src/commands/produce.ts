// tributary produce <topic>: one record per line of stdin or a file, kcat-style, through the
// client's batching producer (batches with an Idempotency-Key each, retried on retriable
// failures). Reading waits while the producer's buffer is full, so a fast input never fills
// memory. The first failure stops reading; what was read before it is still sent.
import * as fs from 'node:fs';
import { type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { type Format, Producer, type ProduceRecord } from '@tributary/client';
import { type Command } from '../command';
import {
  choiceOption,
  intOption,
  listOption,
  parsePairs,
  positionals,
  stringOption,
  UsageError,
} from '../options';
import { Progress } from '../progress';

const FORMATS = ['string', 'json', 'binary'] as const;
/** The longest input line read (the server refuses much smaller records anyway). */
const LINE_CHARS_MAX = 16 * 1024 * 1024;

/** The lines of a stream, without their line endings; a last line without one included. */
export async function* lines(input: Readable, maxChars = LINE_CHARS_MAX): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let buffer = '';
  for await (const chunk of input) {
    buffer += typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer);
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      yield buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
    }
    if (buffer.length > maxChars)
      throw new UsageError(`an input line is over ${maxChars} characters`);
  }
  buffer += decoder.end();
  if (buffer !== '') yield buffer.replace(/\r$/, '');
}

interface LineFormat {
  delimiter: string | undefined;
  keyFormat: Format;
  valueFormat: Format;
  headers: { key: string; value: string }[];
  partition: number | undefined;
}

/** One input line as a record: `key<delimiter>value` with -K, else the value alone. */
export function lineRecord(line: string, lineNo: number, format: LineFormat): ProduceRecord {
  let key: string | undefined;
  let value = line;
  if (format.delimiter !== undefined) {
    const at = line.indexOf(format.delimiter);
    if (at >= 0) {
      key = line.slice(0, at);
      value = line.slice(at + format.delimiter.length);
    }
  }
  const field = (text: string, fieldFormat: Format, what: string): unknown => {
    if (fieldFormat !== 'json') return text;
    try {
      return JSON.parse(text);
    } catch {
      throw new UsageError(`line ${lineNo}: the ${what} is not JSON (--${what}-format json)`);
    }
  };
  return {
    ...(key === undefined ? {} : { key: field(key, format.keyFormat, 'key') }),
    value: field(value, format.valueFormat, 'value'),
    ...(format.headers.length === 0 ? {} : { headers: format.headers }),
    ...(format.partition === undefined ? {} : { partition: format.partition }),
  };
}

export const PRODUCE_COMMAND: Command = {
  name: 'produce',
  args: '<topic> [-f file] [-K delimiter] [-H key=value]... [-p partition] [options]',
  summary: 'produce one record per input line (stdin, or -f file)',
  help: [
    '  -f, --file <path>           read this file instead of stdin',
    '  -K, --key-delimiter <sep>   split each line at the first <sep> into key and value',
    '  -H, --header <key=value>    a header on every record; repeatable',
    '  -p, --partition <n>         write to this partition (default: by key, else sticky)',
    '  --key-format <f>            string (default), json or binary (base64)',
    '  --value-format <f>          string (default), json or binary (base64)',
    '  --acks <acks>               all (default), 1 or 0',
    '  --linger-ms <n>             how long a batch waits for more records (default 5)',
    '  --batch-records <n>         records per produce request, at most (default 500)',
    'Empty lines are skipped. Exit 1 on a line that is not in its format (its number is named).',
  ].join('\n'),
  options: {
    file: { type: 'string', short: 'f' },
    'key-delimiter': { type: 'string', short: 'K' },
    header: { type: 'string', short: 'H', multiple: true },
    partition: { type: 'string', short: 'p' },
    'key-format': { type: 'string' },
    'value-format': { type: 'string' },
    acks: { type: 'string' },
    'linger-ms': { type: 'string' },
    'batch-records': { type: 'string' },
  },
  async run(ctx) {
    const [topic] = positionals(ctx.parsed, ['topic']);
    const { values } = ctx.parsed;
    const delimiter = stringOption(values, 'key-delimiter');
    if (delimiter === '') throw new UsageError('-K: the delimiter is empty');
    const format: LineFormat = {
      delimiter,
      keyFormat: choiceOption(values, 'key-format', FORMATS, 'string'),
      valueFormat: choiceOption(values, 'value-format', FORMATS, 'string'),
      headers: parsePairs(listOption(values, 'header'), '-H').map(([key, value]) => ({
        key,
        value,
      })),
      partition: intOption(values, 'partition', { max: 2 ** 31 - 1 }),
    };
    const acks = choiceOption(values, 'acks', ['all', '1', '0'], 'all');
    const lingerMs = intOption(values, 'linger-ms', { max: 60_000 });
    const batchRecordsMax = intOption(values, 'batch-records', { min: 1, max: 100_000 });
    const file = stringOption(values, 'file');
    const input =
      file === undefined || file === '-'
        ? ctx.io.stdin
        : fs.createReadStream(file, { highWaterMark: 256 * 1024 });

    const producer = new Producer(ctx.client, {
      acks: acks === 'all' ? 'all' : acks === '1' ? 1 : 0,
      keyFormat: format.keyFormat,
      valueFormat: format.valueFormat,
      ...(lingerMs === undefined ? {} : { lingerMs }),
      ...(batchRecordsMax === undefined ? {} : { batchRecordsMax }),
    });
    const progress = new Progress(ctx.io.stderr, 'produced', ctx.progress);
    let failure: unknown;
    let lineNo = 0;
    try {
      for await (const line of lines(input)) {
        lineNo += 1;
        if (failure !== undefined || ctx.io.signal.aborted) break;
        if (line === '') continue;
        const record = lineRecord(line, lineNo, format);
        await producer.whenWritable();
        producer.send(topic!, record).then(
          () => progress.add(1),
          (error: unknown) => (failure ??= error),
        );
      }
    } catch (error) {
      failure ??= error;
    } finally {
      await producer.close();
      progress.stop();
      if (input !== ctx.io.stdin) input.destroy();
    }
    // Only errors get here: the producer's TributaryErrors, a UsageError, a read error.
    if (failure !== undefined) throw failure as Error;
  },
};
