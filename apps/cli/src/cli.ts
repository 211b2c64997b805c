// The tributary command line: finds the command, parses its options, connects, runs it, and
// turns the outcome into an exit code scripts can rely on:
//   0  done
//   1  usage error: an unknown command or option, a bad value, an input line not in its format
//   2  the server refused (the problem's code is printed: "tributary: UNKNOWN_TOPIC_OR_PARTITION: ...")
//   3  the server could not be reached (or did not answer in time)
import { TributaryClient, TributaryError } from '@tributary/client';
import { type Command, type Io } from './command';
import { CLUSTER_COMMAND } from './commands/cluster';
import { CONSUME_COMMANDS } from './commands/consume';
import { GROUP_COMMANDS } from './commands/groups';
import { PRODUCE_COMMAND } from './commands/produce';
import { TOPIC_COMMANDS } from './commands/topics';
import { GLOBAL_HELP, parseOptions, UsageError } from './options';
import { Output } from './output';
import { configPath, resolveConnection } from './profile';

export const EXIT = { ok: 0, usage: 1, server: 2, unreachable: 3 } as const;

const COMMANDS: Command[] = [
  ...TOPIC_COMMANDS,
  PRODUCE_COMMAND,
  ...CONSUME_COMMANDS,
  ...GROUP_COMMANDS,
  CLUSTER_COMMAND,
];

/** Commands that take a subcommand (`topics create`). */
const FAMILIES = ['topics', 'groups'];

function overview(env: NodeJS.ProcessEnv): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: tributary <command> [options]',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    GLOBAL_HELP,
    '',
    `Profiles: ${configPath(env)} (or $TRIBUTARY_CONFIG), as`,
    '  {"profiles": {"default": {"url": "http://localhost:8080", "key": "..."}}}',
    'Exit codes: 0 done, 1 usage error, 2 refused by the server (its code printed), 3 unreachable.',
    "Run 'tributary <command> --help' for a command's options.",
  ].join('\n');
}

function usage(command: Command): string {
  return [
    `Usage: tributary ${command.name} ${command.args}`,
    '',
    `${command.summary[0]!.toUpperCase()}${command.summary.slice(1)}.`,
    '',
    ...(command.help === '' ? [] : [command.help, '']),
    GLOBAL_HELP,
  ].join('\n');
}

/** The command named by the first words of argv, and the rest. */
function findCommand(argv: string[]): { command: Command; rest: string[] } | undefined {
  const [first, second] = argv;
  if (first !== undefined && FAMILIES.includes(first)) {
    const command = COMMANDS.find((c) => c.name === `${first} ${second}`);
    return command === undefined ? undefined : { command, rest: argv.slice(2) };
  }
  const command = COMMANDS.find((c) => c.name === first);
  return command === undefined ? undefined : { command, rest: argv.slice(1) };
}

export async function runCli(argv: string[], io: Io): Promise<number> {
  const err = (text: string) => io.stderr.write(`${text}\n`);
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    (argv.length === 0 ? err : (text: string) => io.stdout.write(`${text}\n`))(overview(io.env));
    return argv.length === 0 ? EXIT.usage : EXIT.ok;
  }
  const found = findCommand(argv);
  if (found === undefined) {
    const family = FAMILIES.includes(argv[0]!) ? argv[0]! : undefined;
    const known = COMMANDS.filter((c) => family === undefined || c.name.startsWith(`${family} `));
    err(`tributary: unknown command: ${argv.slice(0, family === undefined ? 1 : 2).join(' ')}`);
    err(`Commands: ${known.map((c) => c.name).join(', ')}. See 'tributary --help'.`);
    return EXIT.usage;
  }
  const { command, rest } = found;
  let url: string | undefined;
  try {
    const parsed = parseOptions(rest, command.options);
    if (parsed.values.help === true) {
      io.stdout.write(`${usage(command)}\n`);
      return EXIT.ok;
    }
    const connection = resolveConnection(parsed.values, io.env);
    url = connection.url;
    const client = new TributaryClient({
      url: connection.url,
      ...(connection.key === undefined ? {} : { apiKey: connection.key }),
    });
    await command.run({
      client,
      parsed,
      out: new Output(io.stdout),
      io,
      progress: parsed.values.progress === true || io.stderr.isTTY === true,
    });
    return EXIT.ok;
  } catch (error) {
    return report(error, command, url, err);
  }
}

function report(
  error: unknown,
  command: Command,
  url: string | undefined,
  err: (text: string) => void,
): number {
  if (error instanceof UsageError) {
    err(`tributary ${command.name}: ${error.message}`);
    err(`Usage: tributary ${command.name} ${command.args} (see --help)`);
    return EXIT.usage;
  }
  if (error instanceof TributaryError) {
    if (error.status === 0 && ['NETWORK_ERROR', 'TIMEOUT'].includes(error.code)) {
      err(`tributary: ${error.code}: cannot reach ${url ?? 'the server'}: ${error.message}`);
      return EXIT.unreachable;
    }
    if (error.code === 'INVALID_ARGUMENT') {
      err(`tributary ${command.name}: ${error.message}`);
      return EXIT.usage;
    }
    const request = error.requestId === undefined ? '' : ` (request ${error.requestId})`;
    err(`tributary: ${error.code}: ${error.message}${request}`);
    return EXIT.server;
  }
  const system = error as NodeJS.ErrnoException;
  if (typeof system?.code === 'string' && typeof system.syscall === 'string') {
    // The local system refused (a file to read, say): the user's to fix.
    err(`tributary ${command.name}: ${system.message}`);
    return EXIT.usage;
  }
  err(
    `tributary: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  return EXIT.server;
}
