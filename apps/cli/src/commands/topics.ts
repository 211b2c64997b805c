// tributary topics list | create | describe | alter | delete
import { type AlterTopic, type Topic } from '@tributary/client';
import { type Command, type Context } from '../command';
import { intOption, listOption, parsePairs, positionals } from '../options';

const JSON_HELP = '  --json              the API answer as JSON';

async function printTopic(ctx: Context, topic: Topic): Promise<void> {
  if (ctx.parsed.values.json === true) return ctx.out.json(topic);
  await ctx.out.line(
    `topic ${topic.name}: ${topic.partitions.length} partitions, replication factor ${topic.replicationFactor}`,
  );
  await ctx.out.table(
    ['PARTITION', 'LEADER', 'EPOCH', 'REPLICAS', 'ISR', 'LOG-START', 'HIGH-WATERMARK', 'LOG-END'],
    topic.partitions.map((p) => [
      p.partition,
      p.leader,
      p.leaderEpoch,
      p.replicas.join(','),
      p.isr.join(','),
      p.logStartOffset,
      p.highWatermark,
      p.logEndOffset,
    ]),
  );
  const configs = Object.entries(topic.configs).sort(([a], [b]) => (a < b ? -1 : 1));
  await ctx.out.line(`configs: ${configs.map(([k, v]) => `${k}=${v}`).join(' ')}`);
}

const list: Command = {
  name: 'topics list',
  args: '[--json]',
  summary: "list the key's topics",
  help: JSON_HELP,
  options: { json: { type: 'boolean' } },
  async run(ctx) {
    positionals(ctx.parsed, []);
    const topics = await ctx.client.listTopics();
    if (ctx.parsed.values.json === true) return ctx.out.json(topics);
    await ctx.out.table(
      ['TOPIC', 'PARTITIONS', 'REPLICATION'],
      topics.map((t) => [t.name, t.partitions, t.replicationFactor]),
    );
  },
};

const create: Command = {
  name: 'topics create',
  args: '<topic> [-p partitions] [-r replication-factor] [-C key=value]... [--json]',
  summary: 'create a topic',
  help: [
    '  -p, --partitions <n>            default 1',
    '  -r, --replication-factor <n>    default 1',
    '  -C, --config <key=value>        a topic setting (retention.ms=86400000, ...); repeatable',
    JSON_HELP,
  ].join('\n'),
  options: {
    partitions: { type: 'string', short: 'p' },
    'replication-factor': { type: 'string', short: 'r' },
    config: { type: 'string', short: 'C', multiple: true },
    json: { type: 'boolean' },
  },
  async run(ctx) {
    const [name] = positionals(ctx.parsed, ['topic']);
    const { values } = ctx.parsed;
    const partitions = intOption(values, 'partitions', { min: 1 });
    const replicationFactor = intOption(values, 'replication-factor', { min: 1 });
    const configs = Object.fromEntries(parsePairs(listOption(values, 'config'), '--config'));
    const topic = await ctx.client.createTopic({
      name: name!,
      ...(partitions === undefined ? {} : { partitions }),
      ...(replicationFactor === undefined ? {} : { replicationFactor }),
      ...(Object.keys(configs).length === 0 ? {} : { configs }),
    });
    if (values.json === true) return ctx.out.json(topic);
    await ctx.out.line(`created topic ${topic.name} with ${topic.partitions.length} partitions`);
  },
};

const describe: Command = {
  name: 'topics describe',
  args: '<topic> [--json]',
  summary: 'partitions (leader, replicas, ISR, offsets) and settings of a topic',
  help: JSON_HELP,
  options: { json: { type: 'boolean' } },
  async run(ctx) {
    const [name] = positionals(ctx.parsed, ['topic']);
    await printTopic(ctx, await ctx.client.describeTopic(name!));
  },
};

const alter: Command = {
  name: 'topics alter',
  args: '<topic> [-p partitions] [-C key=value]... [--json]',
  summary: "add partitions or change a topic's settings",
  help: [
    '  -p, --partitions <n>        the new partition count (partitions only grow)',
    '  -C, --config <key=value>    a setting to change; key= restores its default; repeatable',
    JSON_HELP,
  ].join('\n'),
  options: {
    partitions: { type: 'string', short: 'p' },
    config: { type: 'string', short: 'C', multiple: true },
    json: { type: 'boolean' },
  },
  async run(ctx) {
    const [name] = positionals(ctx.parsed, ['topic']);
    const { values } = ctx.parsed;
    const partitions = intOption(values, 'partitions', { min: 1 });
    const pairs = parsePairs(listOption(values, 'config'), '--config');
    const change: AlterTopic = {
      ...(partitions === undefined ? {} : { partitions }),
      ...(pairs.length === 0
        ? {}
        : { configs: Object.fromEntries(pairs.map(([k, v]) => [k, v === '' ? null : v])) }),
    };
    await printTopic(ctx, await ctx.client.alterTopic(name!, change));
  },
};

const remove: Command = {
  name: 'topics delete',
  args: '<topic>',
  summary: 'delete a topic and its data',
  help: '',
  options: {},
  async run(ctx) {
    const [name] = positionals(ctx.parsed, ['topic']);
    await ctx.client.deleteTopic(name!);
    await ctx.out.line(`deleted topic ${name}`);
  },
};

export const TOPIC_COMMANDS = [list, create, describe, alter, remove];
