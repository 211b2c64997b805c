// tributary groups list | describe | reset-offsets | delete
import { type ResetTarget } from '@tributary/client';
import { type Command } from '../command';
import { parseInteger, parsePosition, positionals, stringOption, UsageError } from '../options';

const JSON_HELP = '  --json              the API answer as JSON';

const list: Command = {
  name: 'groups list',
  args: '[--json]',
  summary: "list the key's consumer groups",
  help: JSON_HELP,
  options: { json: { type: 'boolean' } },
  async run(ctx) {
    positionals(ctx.parsed, []);
    const groups = await ctx.client.listGroups();
    if (ctx.parsed.values.json === true) return ctx.out.json(groups);
    await ctx.out.table(
      ['GROUP', 'STATE'],
      groups.map((g) => [g.group, g.state]),
    );
  },
};

const describe: Command = {
  name: 'groups describe',
  args: '<group> [--json]',
  summary: "a group's members, committed offsets and lag",
  help: JSON_HELP,
  options: { json: { type: 'boolean' } },
  async run(ctx) {
    const [name] = positionals(ctx.parsed, ['group']);
    const group = await ctx.client.describeGroup(name!);
    if (ctx.parsed.values.json === true) return ctx.out.json(group);
    await ctx.out.line(
      `group ${group.group}: ${group.state}, epoch ${group.groupEpoch}, ${group.members.length} members, assignor ${group.assignor ?? '-'}`,
    );
    if (group.members.length > 0) {
      await ctx.out.table(
        ['MEMBER', 'INSTANCE', 'EPOCH', 'ASSIGNMENT'],
        group.members.map((m) => [
          m.memberId,
          m.instanceId,
          m.memberEpoch,
          m.assignment.map((a) => `${a.topic}:${a.partitions.join(',')}`).join(' ') || '-',
        ]),
      );
    }
    await ctx.out.table(
      ['TOPIC', 'PARTITION', 'COMMITTED', 'POSITION', 'HIGH-WATERMARK', 'LAG'],
      group.offsets.map((o) => [
        o.topic,
        o.partition,
        o.committedOffset,
        o.position,
        o.highWatermark,
        o.lag,
      ]),
    );
  },
};

const resetOffsets: Command = {
  name: 'groups reset-offsets',
  args: '<group> --topic <topic> --to <position> [--partitions 0,1,...] [--json]',
  summary: "move an empty group's committed offsets",
  help: [
    '  --topic <topic>         the topic whose offsets move',
    '  --to <position>         beginning, end, an offset, or a time (2025-01-31T12:00:00Z, @<ms>)',
    '  --partitions <list>     comma-separated partitions (default: all)',
    JSON_HELP,
  ].join('\n'),
  options: {
    topic: { type: 'string' },
    to: { type: 'string' },
    partitions: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(ctx) {
    const [name] = positionals(ctx.parsed, ['group']);
    const { values } = ctx.parsed;
    const topic = stringOption(values, 'topic');
    const to = stringOption(values, 'to');
    if (topic === undefined || to === undefined)
      throw new UsageError('--topic and --to are required');
    const partitionList = stringOption(values, 'partitions');
    const partitions = partitionList
      ?.split(',')
      .map((p) => parseInteger(p.trim(), '--partitions', { max: 2 ** 31 - 1 }));
    const target: ResetTarget = parsePosition(to, '--to');
    const offsets = await ctx.client.resetGroupOffsets(name!, {
      topic,
      ...(partitions === undefined ? {} : { partitions }),
      to: target,
    });
    if (values.json === true) return ctx.out.json(offsets);
    await ctx.out.table(
      ['TOPIC', 'PARTITION', 'OFFSET'],
      offsets.map((o) => [o.topic, o.partition, o.offset]),
    );
  },
};

const remove: Command = {
  name: 'groups delete',
  args: '<group>',
  summary: 'delete an empty group and its committed offsets',
  help: '',
  options: {},
  async run(ctx) {
    const [name] = positionals(ctx.parsed, ['group']);
    await ctx.client.deleteGroup(name!);
    await ctx.out.line(`deleted group ${name}`);
  },
};

export const GROUP_COMMANDS = [list, describe, resetOffsets, remove];
