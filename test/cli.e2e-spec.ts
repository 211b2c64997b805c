// The CLI as a user types it: `node bin/tributary.js …` (what `npx tributary` runs) in a child
// process against a real node, with the connection from the environment or a profile file.
// Every exit code it documents is met: 0 done, 1 usage, 2 refused by the server, 3 unreachable.
import { spawn } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { distScript } from './support/dist';
import { startTenantNode, type TenantNode } from './support/tenant-node';
import { freePort } from './support/ports';

const BIN = path.join(__dirname, '..', 'bin', 'tributary.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let node: TenantNode;
let home: string;

beforeAll(async () => {
  distScript('apps/cli/src/main.js'); // fails at once, saying to build, when dist/ is stale
  node = await startTenantNode();
  home = await fsp.mkdtemp(path.join(os.tmpdir(), 'tributary-cli-home-'));
}, 90_000);
afterAll(async () => {
  await node?.stop();
  await fsp.rm(home, { recursive: true, force: true });
});

/** Runs the CLI with `input` on stdin; the connection from the environment unless `env` says. */
function tributary(args: string[], input = '', env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const base: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: '',
    TRIBUTARY_URL: node.url,
    TRIBUTARY_API_KEY: node.key,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...base, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

const lines = (text: string) => text.split('\n').filter((l) => l !== '');

it('creates a topic, produces keyed lines from stdin and consumes them to the end', async () => {
  const created = await tributary(['topics', 'create', 'cli-orders', '-p', '2']);
  expect(created).toMatchObject({
    code: 0,
    stdout: 'created topic cli-orders with 2 partitions\n',
  });

  const produced = await tributary(
    ['produce', 'cli-orders', '-K', ':', '-H', 'source=cli', '--value-format', 'json'],
    'alice:{"n":1}\nbob:{"n":2}\n\ncarol:{"n":3}\n',
  );
  expect(produced).toMatchObject({ code: 0, stdout: '', stderr: '' });

  const consumed = await tributary(['consume', 'cli-orders', '-e', '--format', '%k=%v %h']);
  expect(consumed.code).toBe(0);
  expect(lines(consumed.stdout).sort()).toEqual([
    'alice={"n":1} source=cli',
    'bob={"n":2} source=cli',
    'carol={"n":3} source=cli',
  ]);

  const json = await tributary([
    'consume',
    'cli-orders',
    '-e',
    '-c',
    '1',
    '--format',
    'json',
    '-p',
    '1',
  ]);
  expect(lines(json.stdout).map((l) => JSON.parse(l))).toEqual([
    expect.objectContaining({ topic: 'cli-orders', partition: 1, offset: 0 }),
  ]);

  const listed = await tributary(['topics', 'list']);
  expect(lines(listed.stdout)).toContainEqual(expect.stringMatching(/^cli-orders\s+2\s+1$/));
});

it('produces from a file and reads as a group member, whose commits groups describe shows', async () => {
  const file = path.join(home, 'values.txt');
  await fsp.writeFile(file, 'one\ntwo\nthree\nfour\n');
  await tributary(['topics', 'create', 'cli-grouped']);
  expect((await tributary(['produce', 'cli-grouped', '-f', file])).code).toBe(0);

  const first = await tributary(['consume', 'cli-grouped', '-G', 'cli-readers', '-c', '3']);
  expect(first).toMatchObject({ code: 0, stdout: 'one\ntwo\nthree\n' });
  const described = await tributary(['groups', 'describe', 'cli-readers', '--json']);
  expect(JSON.parse(described.stdout).offsets).toEqual([
    expect.objectContaining({ topic: 'cli-grouped', partition: 0, committedOffset: 3, lag: 1 }),
  ]);
  const table = await tributary(['groups', 'describe', 'cli-readers']);
  expect(lines(table.stdout)).toContainEqual(
    expect.stringMatching(/^cli-grouped\s+0\s+3\s+-\s+4\s+1$/),
  );

  const rest = await tributary(['consume', 'cli-grouped', '-G', 'cli-readers', '-e']);
  expect(rest).toMatchObject({ code: 0, stdout: 'four\n' });

  const reset = await tributary([
    'groups',
    'reset-offsets',
    'cli-readers',
    '--topic',
    'cli-grouped',
    '--to',
    '1',
  ]);
  expect(reset.code).toBe(0);
  const again = await tributary(['consume', 'cli-grouped', '-G', 'cli-readers', '-e']);
  expect(again.stdout).toBe('two\nthree\nfour\n');
});

it('exits 2 with the problem code when the server refuses', async () => {
  const missing = await tributary(['topics', 'describe', 'cli-no-such-topic']);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(/^tributary: UNKNOWN_TOPIC_OR_PARTITION: /);

  const badKey = await tributary(['topics', 'list'], '', { TRIBUTARY_API_KEY: 'not-a-key' });
  expect(badKey.code).toBe(2);
  expect(badKey.stderr).toMatch(/UNAUTHENTICATED/);
});

it('exits 1 on a usage error, naming it', async () => {
  const noTopic = await tributary(['consume']);
  expect(noTopic.code).toBe(1);
  expect(noTopic.stderr).toMatch(/expected <topic>/);
  expect((await tributary(['frobnicate'])).code).toBe(1);
  expect((await tributary(['topics', 'list', '--no-such-option'])).code).toBe(1);
  const badLine = await tributary(
    ['produce', 'cli-orders', '--value-format', 'json'],
    '{"ok":1}\nnot json\n',
  );
  expect(badLine.code).toBe(1);
  expect(badLine.stderr).toMatch(/line 2: the value is not JSON/);
});

it('exits 3 when the server cannot be reached', async () => {
  const port = await freePort();
  const run = await tributary(['cluster'], '', { TRIBUTARY_URL: `http://127.0.0.1:${port}` });
  expect(run.code).toBe(3);
  expect(run.stderr).toMatch(/^tributary: NETWORK_ERROR: cannot reach/);
});

it('takes the connection from a profile, and flags over the environment', async () => {
  const dir = path.join(home, '.config', 'tributary');
  await fsp.mkdir(dir, { recursive: true });
  const profiles = { profiles: { staging: { url: node.url, key: node.key } } };
  await fsp.writeFile(path.join(dir, 'config.json'), JSON.stringify(profiles));
  const noEnv = { TRIBUTARY_URL: '', TRIBUTARY_API_KEY: '' };
  const viaProfile = await tributary(['cluster', '--profile', 'staging'], '', noEnv);
  expect(viaProfile.code).toBe(0);
  expect(viaProfile.stdout).toMatch(/^cluster \S+, controller 1\n/);
  const unknown = await tributary(['cluster', '--profile', 'nope'], '', noEnv);
  expect(unknown.code).toBe(1);
  const flags = await tributary(['cluster', '--url', node.url, '--key', node.key], '', {
    TRIBUTARY_URL: 'http://127.0.0.1:1',
  });
  expect(flags.code).toBe(0);
});

it('answers --help for every command', async () => {
  const overview = await tributary(['--help']);
  expect(overview.code).toBe(0);
  const names = lines(overview.stdout)
    .map((l) => /^ {2}([a-z]+(?: [a-z-]+)?)\s{2,}/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined);
  expect(names).toEqual(
    expect.arrayContaining([
      'topics create',
      'produce',
      'consume',
      'groups reset-offsets',
      'cluster',
    ]),
  );
  for (const name of names) {
    const help = await tributary([...name.split(' '), '--help']);
    expect({ name, code: help.code }).toEqual({ name, code: 0 });
    expect(help.stdout).toContain(`Usage: tributary ${name} `);
  }
});
