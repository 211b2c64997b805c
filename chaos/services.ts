// The run's own Postgres and Redis, so that faults (restarts, FLUSHALL) touch nothing another
// process shares. Postgres is initdb'd into a temporary directory and run as the `postgres`
// user (initdb and postgres refuse root); Redis runs without persistence, so a restart brings
// it back empty. Both stay on one port for the whole run, so a restart is seen by the nodes as
// an outage, not as a move. Every wait is bounded.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { waitUntil } from '@tributary/common';
import { freePort } from '../test/support/ports';

const run = promisify(execFile);

export const SERVICE_START_TIMEOUT_MS = 30_000;
const COMMAND_TIMEOUT_MS = 60_000;

function postgresBin(name: string): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((v) => fs.existsSync(path.join(root, v, 'bin', name)))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) throw new Error(`no ${name} under ${root}/*/bin`);
  return path.join(root, versions[0]!, 'bin', name);
}

function asPostgres(command: string, args: string[]): Promise<{ stdout: string }> {
  const asRoot = process.getuid?.() === 0;
  return run(
    asRoot ? 'runuser' : command,
    asRoot ? ['-u', 'postgres', '--', command, ...args] : args,
    { timeout: COMMAND_TIMEOUT_MS },
  );
}

export class ChaosPostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/tributary`;
  }

  private get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  static async start(): Promise<ChaosPostgres> {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tributary-chaos-pg-'));
    const postgres = new ChaosPostgres(dir, await freePort());
    try {
      if (process.getuid?.() === 0) await run('chown', ['-R', 'postgres', dir]);
      await asPostgres(postgresBin('initdb'), [
        '-D',
        postgres.dataDir,
        '-U',
        'postgres',
        '--auth=trust',
        '--no-sync',
      ]);
      await postgres.ctl('start');
      await postgres.untilReady();
      const client = postgres.client('postgres');
      await client.connect();
      await client.query('CREATE DATABASE tributary').finally(() => client.end());
    } catch (error) {
      await postgres.stop();
      throw error;
    }
    return postgres;
  }

  private client(database: string): Client {
    return new Client({
      connectionString: `postgresql://postgres@127.0.0.1:${this.port}/${database}`,
      connectionTimeoutMillis: 2_000,
    });
  }

  private async ctl(action: 'start' | 'restart'): Promise<void> {
    // fsync=off: a killed server keeps what it wrote (the page cache survives), which is the
    // fault run here; the machine is not crashed.
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
    await asPostgres(postgresBin('pg_ctl'), [
      action,
      '-D',
      this.dataDir,
      ...(action === 'restart' ? ['-m', 'fast'] : []),
      '-w',
      '-t',
      String(SERVICE_START_TIMEOUT_MS / 1000),
      '-o',
      options,
      '-l',
      path.join(this.dir, 'postgres.log'),
    ]);
  }

  /** Waits until a connection succeeds. */
  async untilReady(): Promise<void> {
    await waitUntil(
      async () => {
        const client = this.client('postgres');
        try {
          await client.connect();
          await client.query('SELECT 1');
          return true;
        } catch {
          return false;
        } finally {
          await client.end().catch(() => undefined);
        }
      },
      'postgres accepting connections',
      SERVICE_START_TIMEOUT_MS,
    );
  }

  /** pg_ctl restart -m fast: every connection is dropped, the server comes back on its port. */
  async restart(): Promise<void> {
    await this.ctl('restart');
    await this.untilReady();
  }

  /** Stops it at once and removes its directory. */
  async stop(): Promise<void> {
    await asPostgres(postgresBin('pg_ctl'), ['stop', '-D', this.dataDir, '-m', 'immediate']).catch(
      () => undefined,
    );
    await fsp.rm(this.dir, { recursive: true, force: true });
  }
}

export class ChaosRedis {
  private proc: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<ChaosRedis> {
    const redis = new ChaosRedis(await freePort());
    await redis.launch();
    return redis;
  }

  private async launch(): Promise<void> {
    const proc = spawn(
      '/usr/bin/redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    this.proc = proc;
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    await waitUntil(() => this.ping(), 'redis answering PING', SERVICE_START_TIMEOUT_MS);
  }

  /** One RESP command over a fresh connection; the reply's first line, or undefined. */
  private command(args: string[]): Promise<string | undefined> {
    const resp = `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
    return new Promise((resolve) => {
      const socket = net.connect(this.port, '127.0.0.1');
      const done = (reply: string | undefined) => {
        socket.destroy();
        resolve(reply);
      };
      socket.setTimeout(2_000, () => done(undefined));
      socket.once('error', () => done(undefined));
      socket.once('connect', () => socket.write(resp));
      socket.once('data', (data: Buffer) => done(data.toString('utf8').split('\r\n')[0]));
    });
  }

  private async ping(): Promise<boolean> {
    return (await this.command(['PING'])) === '+PONG';
  }

  async flushAll(): Promise<void> {
    const reply = await this.command(['FLUSHALL']);
    if (reply !== '+OK') throw new Error(`FLUSHALL answered ${reply ?? 'nothing'}`);
  }

  /** Killed (SIGKILL); start() brings it back, empty, on the same port. */
  async kill(): Promise<void> {
    this.proc?.kill('SIGKILL');
    await this.exited;
    this.proc = undefined;
  }

  async restart(): Promise<void> {
    if (this.proc !== undefined) await this.kill();
    await this.launch();
  }

  async stop(): Promise<void> {
    await this.kill();
  }
}
