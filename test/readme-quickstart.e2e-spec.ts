// The README's quickstart works as written: the service started as `npm start` does (in a
// fresh directory, default DATA_DIR), then the README's curl commands run one by one in bash.
// Only the port is changed, so the test does not depend on 8080 being free.
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { startService } from './support/service-process';

const README = path.join(__dirname, '..', 'README.md');

/** The code blocks of a README section, in order, with their language. */
function blocks(heading: string): { lang: string; code: string }[] {
  const readme = fs.readFileSync(README, 'utf8');
  const start = readme.indexOf(heading);
  const next = readme.indexOf('\n#', start + heading.length);
  const section = readme.slice(start, next === -1 ? undefined : next);
  return [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({
    lang: m[1]!,
    code: m[2]!,
  }));
}

function quickstartCommands(): string[] {
  const block = blocks('## Quickstart')[0]?.code ?? '';
  return block.split('\n').filter((line) => line.startsWith('curl '));
}

/** Runs a streaming command until its output contains `expected`, then stops it. */
function streamUntil(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
  expected: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes(expected)) {
        child.kill();
        resolve(out);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', () => reject(new Error(`ended without ${expected}: ${out}${err}`)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function bash(command: string, cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', ['-c', command], { cwd }, (error, stdout, stderr) =>
      error ? reject(new Error(`${command}\n${stderr}`)) : resolve(stdout),
    );
  });
}

describe('README quickstart', () => {
  let cwd: string;
  beforeAll(async () => {
    cwd = await fsp.mkdtemp(path.join(os.tmpdir(), 'tributary-quickstart-'));
  });
  afterAll(() => fsp.rm(cwd, { recursive: true, force: true }));

  it('goes from npm start to a fetched record with at most three curl commands', async () => {
    const commands = quickstartCommands();
    expect(commands.length).toBeGreaterThan(0);
    expect(commands.length).toBeLessThanOrEqual(3);
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
    for (const name of ['DATA_DIR', 'DATABASE_URL', 'REDIS_URL', 'TRIBUTARY_ADMIN_TOKEN', 'HOST'])
      delete env[name];
    const service = await startService(env, cwd);
    try {
      let last = '';
      for (const command of commands)
        last = await bash(command.replaceAll('localhost:8080', `127.0.0.1:${port}`), cwd);
      const answer = JSON.parse(last);
      expect(answer.records).toEqual([
        {
          partition: 0,
          offset: 0,
          timestamp: expect.any(Number),
          key: 'alice',
          value: { hello: 'world' },
          headers: [],
        },
      ]);
      expect(answer.nextOffset).toBe(1);
      expect((await fsp.stat(path.join(cwd, 'data', 'default-key'))).mode & 0o777).toBe(0o600);

      // Consumer groups, WebSocket and SSE, as the next section shows them.
      const local = (text: string) => text.replaceAll('localhost:8080', `127.0.0.1:${port}`);
      const [group, socket, sse] = blocks('### Consumer groups, WebSocket and Server-Sent Events');
      expect([group?.lang, socket?.lang, sse?.lang]).toEqual(['bash', 'js', 'bash']);
      const polled = JSON.parse(await bash(local(group!.code), cwd));
      expect(polled.records).toEqual([
        expect.objectContaining({ topic: 'greetings', offset: 0, value: { hello: 'world' } }),
      ]);
      await fsp.writeFile(path.join(cwd, 'consumer.js'), local(socket!.code));
      const nodeEnv = { ...env, NODE_PATH: path.join(__dirname, '..', 'node_modules') };
      const pushed = await streamUntil(
        process.execPath,
        ['consumer.js'],
        { cwd, env: nodeEnv },
        '"op":"records"',
      );
      expect(pushed).toContain('"value":{"hello":"world"}');
      const events = await streamUntil('bash', ['-c', local(sse!.code)], { cwd, env }, 'id: 0:0');
      expect(events).toContain('"value":{"hello":"world"}');
    } finally {
      service.proc.kill('SIGTERM');
      await service.exited;
    }
  }, 90_000);
});
