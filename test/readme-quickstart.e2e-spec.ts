// The README's quickstart works as written: the service started as `npm start` does (in a
// fresh directory, default DATA_DIR), then the README's curl commands run one by one in bash.
// Only the port is changed, so the test does not depend on 8080 being free.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { startService } from './support/service-process';

function quickstartCommands(): string[] {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Quickstart'));
  const block = /```bash\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block.split('\n').filter((line) => line.startsWith('curl '));
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
    } finally {
      service.proc.kill('SIGTERM');
      await service.exited;
    }
  }, 90_000);
});
