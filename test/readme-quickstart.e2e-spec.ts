// The README's quickstart works as written: the service started as `npm start` does (in a
// fresh directory, default DATA_DIR), then the README's curl commands run one by one in bash.
// Only the port is changed, so the test does not depend on 8080 being free.
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from './support/ports';
import { bash, readmeBlocks as blocks, streamUntil } from './support/readme';
import { startService } from './support/service-process';

function quickstartCommands(): string[] {
  const block = blocks('## Quickstart')[0]?.code ?? '';
  return block.split('\n').filter((line) => line.startsWith('curl '));
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
