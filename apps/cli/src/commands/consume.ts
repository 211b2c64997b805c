// tributary consume | tail <topic>: records to stdout in the chosen format, kcat-style.
// Without -G, each partition is read by offset (long-polls, one loop per partition, from
// --from); with -G, as a member of the group (the client's GroupConsumer: commits after the
// records were written out, leaves on exit). -c stops after that many records, -e at the end
// of the partitions; Ctrl-C stops cleanly (exit 0).
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Format,
  GroupConsumer,
  isTributaryError,
  type TributaryClient,
} from '@tributary/client';
import { type Command, type Context } from '../command';
import {
  choiceOption,
  intOption,
  listOption,
  parseInteger,
  parsePosition,
  type Position,
  positionals,
  stringOption,
  UsageError,
} from '../options';
import { recordFormatter, type RecordWithTopic } from '../output';
import { Progress } from '../progress';

const FORMATS = ['string', 'json', 'binary'] as const;
/** Records asked for per fetch or poll. */
const BATCH_RECORDS = 500;
/** How long a fetch or poll waits for records while following. */
const FOLLOW_WAIT_MS = 10_000;
/** With -e and -G: a poll that waited this long and found nothing is the end. */
const GROUP_END_WAIT_MS = 1_000;
/** Retriable failures in a row a partition reader sits out before giving up. */
const READ_ATTEMPTS_MAX = 10;

interface Settings {
  topic: string;
  count: number | undefined;
  exitAtEnd: boolean;
  keyFormat: Format;
  valueFormat: Format;
}

/** Writes a record unless -c was reached; false once it was. */
type Emit = (record: RecordWithTopic) => Promise<boolean>;

function command(name: 'consume' | 'tail', from: string, summary: string): Command {
  return {
    name,
    args: '<topic> [--from position] [-G group] [-p partition]... [--format f] [-c count] [-e]',
    summary,
    help: [
      `  --from <position>       beginning, end, an offset, or a time (2025-01-31T12:00:00Z, @<ms>); default ${from}`,
      '  -G, --group <group>     read as a member of this consumer group (--from: beginning or end,',
      '                          where the group has no commit yet); commits what was written out',
      '  -p, --partition <n>     read only this partition; repeatable (not with -G)',
      "  --format <f>            json, value (default), key, or a template such as '%k:%v':",
      '                          %t topic, %p partition, %o offset, %T timestamp, %k key, %v value,',
      '                          %h headers, %% a percent sign; \\n and \\t escapes',
      '  -c, --count <n>         stop after n records',
      '  -e, --exit              stop at the end of the partitions (with -G: after a poll that found',
      `                          nothing for ${GROUP_END_WAIT_MS / 1000} s)`,
      '  --key-format <f>        string (default), json or binary (base64)',
      '  --value-format <f>      string (default), json or binary (base64)',
    ].join('\n'),
    options: {
      from: { type: 'string' },
      group: { type: 'string', short: 'G' },
      partition: { type: 'string', short: 'p', multiple: true },
      format: { type: 'string' },
      count: { type: 'string', short: 'c' },
      exit: { type: 'boolean', short: 'e' },
      'key-format': { type: 'string' },
      'value-format': { type: 'string' },
    },
    run: (ctx) => consume(ctx, from),
  };
}

export const CONSUME_COMMANDS = [
  command('consume', 'beginning', 'write records to stdout, from a position or as a group member'),
  command('tail', 'end', 'consume, from the end by default: follow what is written next'),
];

async function consume(ctx: Context, defaultFrom: string): Promise<void> {
  const [topic] = positionals(ctx.parsed, ['topic']);
  const { values } = ctx.parsed;
  const settings: Settings = {
    topic: topic!,
    count: intOption(values, 'count', { min: 1 }),
    exitAtEnd: values.exit === true,
    keyFormat: choiceOption(values, 'key-format', FORMATS, 'string'),
    valueFormat: choiceOption(values, 'value-format', FORMATS, 'string'),
  };
  const from = parsePosition(stringOption(values, 'from') ?? defaultFrom, '--from');
  const group = stringOption(values, 'group');
  const partitions = listOption(values, 'partition').map((p) =>
    parseInteger(p, '-p', { max: 2 ** 31 - 1 }),
  );
  const format = recordFormatter(stringOption(values, 'format') ?? 'value');
  const progress = new Progress(ctx.io.stderr, 'consumed', ctx.progress);
  let written = 0;
  const emit: Emit = async (record) => {
    if (settings.count !== undefined && written >= settings.count) return false;
    written += 1;
    progress.add(1);
    await ctx.out.line(format(record));
    return settings.count === undefined || written < settings.count;
  };
  try {
    if (group === undefined) {
      await readPartitions(ctx, settings, from, partitions, emit);
      return;
    }
    if (partitions.length > 0) throw new UsageError('-p: a group assigns the partitions (-G)');
    if (typeof from !== 'string') {
      throw new UsageError('--from: with -G, beginning or end (where the group has no commit yet)');
    }
    await readAsMember(
      ctx,
      settings,
      group,
      from,
      () =>
        settings.count === undefined
          ? BATCH_RECORDS
          : Math.min(BATCH_RECORDS, settings.count - written),
      emit,
    );
  } finally {
    progress.stop();
  }
}

async function readAsMember(
  ctx: Context,
  settings: Settings,
  group: string,
  from: 'earliest' | 'latest',
  maxRecords: () => number,
  emit: Emit,
): Promise<void> {
  const consumer: GroupConsumer = new GroupConsumer(ctx.client, group, {
    topics: [settings.topic],
    autoOffsetReset: from,
    maxRecords,
    maxWaitMs: settings.exitAtEnd ? GROUP_END_WAIT_MS : FOLLOW_WAIT_MS,
    keyFormat: settings.keyFormat,
    valueFormat: settings.valueFormat,
    ...(settings.exitAtEnd ? { onIdle: () => void consumer.close() } : {}),
  });
  const stop = () => void consumer.close();
  ctx.io.signal.addEventListener('abort', stop, { once: true });
  try {
    await consumer.run(async (records) => {
      for (const record of records) {
        if (!(await emit(record))) {
          stop();
          return;
        }
      }
    });
  } finally {
    ctx.io.signal.removeEventListener('abort', stop);
  }
}

/** Every partition (or those of -p) read by offset, one long-polling loop each. */
async function readPartitions(
  ctx: Context,
  settings: Settings,
  from: Position,
  only: number[],
  emit: Emit,
): Promise<void> {
  const { client } = ctx;
  const partitions =
    only.length > 0
      ? only
      : (await client.describeTopic(settings.topic)).partitions.map((p) => p.partition);
  const starts = await Promise.all(
    partitions.map((p) => startOffset(client, settings.topic, p, from)),
  );
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  ctx.io.signal.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.all(
      partitions.map((partition, i) =>
        readPartition(client, settings, partition, starts[i]!, emit, stop.signal).then(
          (more) => {
            if (!more) stop.abort();
          },
          (error: unknown) => {
            stop.abort();
            throw error;
          },
        ),
      ),
    );
  } finally {
    ctx.io.signal.removeEventListener('abort', onAbort);
  }
}

async function startOffset(
  client: TributaryClient,
  topic: string,
  partition: number,
  from: Position,
): Promise<number> {
  if (typeof from === 'object' && 'offset' in from) return from.offset;
  const at = typeof from === 'object' ? from.timestamp : from;
  return (await client.listOffset(topic, partition, at)).offset;
}

/** Reads one partition until the end (-e), -c, or a stop; false when -c was reached. */
async function readPartition(
  client: TributaryClient,
  settings: Settings,
  partition: number,
  start: number,
  emit: Emit,
  signal: AbortSignal,
): Promise<boolean> {
  let offset = start;
  let failures = 0;
  while (!signal.aborted) {
    try {
      const fetched = await client.fetchRecords(settings.topic, partition, {
        offset,
        maxRecords: BATCH_RECORDS,
        maxWaitMs: settings.exitAtEnd ? 0 : FOLLOW_WAIT_MS,
        keyFormat: settings.keyFormat,
        valueFormat: settings.valueFormat,
        signal,
      });
      failures = 0;
      for (const record of fetched.records) {
        if (signal.aborted) return true;
        if (!(await emit({ topic: settings.topic, ...record }))) return false;
      }
      offset = fetched.nextOffset;
      if (settings.exitAtEnd && offset >= fetched.highWatermark) return true;
    } catch (error) {
      if (signal.aborted) return true;
      const logStart = isTributaryError(error, 'OFFSET_OUT_OF_RANGE')
        ? error.problem?.logStartOffset
        : undefined;
      if (typeof logStart === 'number' && logStart > offset) {
        offset = logStart; // retention removed the position: go on from the log start
        continue;
      }
      if (!isTributaryError(error) || !error.retriable || ++failures >= READ_ATTEMPTS_MAX) {
        throw error;
      }
      await sleep(Math.max(error.retryAfterMs ?? 0, 200 * failures), undefined, { signal }).catch(
        () => undefined,
      );
    }
  }
  return true;
}
