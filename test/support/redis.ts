// The machine's real Redis for tests: each user gets a key prefix of its own and removes every
// key under it afterwards, since test runs share the server. A test that must flush or kill
// Redis starts a server of its own instead (startPrivateRedis).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { waitUntil } from '@tributary/common';
import { Redis } from 'ioredis';
import { freePort } from './ports';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestRedis {
  url: string;
  keyPrefix: string;
  cleanup(): Promise<void>;
}

export function testRedis(): TestRedis {
  const keyPrefix = `trb-test-${process.pid}-${randomBytes(4).toString('hex')}:`;
  return { url: TEST_REDIS_URL, keyPrefix, cleanup: () => deleteKeys(keyPrefix) };
}

/** Keys under the prefix, sorted (SCAN, not KEYS, so a shared Redis is not blocked). */
export async function scanKeys(admin: Redis, keyPrefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await admin.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 500);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys.sort();
}

export async function deleteKeys(keyPrefix: string): Promise<void> {
  const admin = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    const keys = await scanKeys(admin, keyPrefix);
    if (keys.length > 0) await admin.del(...keys);
  } finally {
    admin.disconnect();
  }
}

/** A redis-server of a test's own, which it may flush, kill and start again at will. */
export interface PrivateRedis extends TestRedis {
  port: number;
  /** FLUSHALL: every key gone, as after a failover to an empty replica. */
  flushAll(): Promise<void>;
  /** Kills the server (SIGKILL) and starts an empty one on the same port. */
  restart(): Promise<void>;
  /** Kills the server for good. */
  stop(): Promise<void>;
}

const REDIS_SERVER = process.env.TEST_REDIS_SERVER ?? '/usr/bin/redis-server';
const REDIS_START_TIMEOUT_MS = 10_000;

/** Starts a redis-server on a free loopback port, without persistence. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let server = await spawnRedis(port);
  const admin = () => new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const kill = async (proc: ChildProcess) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  };
  return {
    url,
    port,
    keyPrefix: 'trb:',
    cleanup: () => kill(server),
    stop: () => kill(server),
    async flushAll() {
      const client = admin();
      try {
        await client.flushall();
      } finally {
        client.disconnect();
      }
    },
    async restart() {
      await kill(server);
      server = await spawnRedis(port);
    },
  };
}

/** Starts redis-server on `port`; resolves once it answers PING, bounded in time. */
async function spawnRedis(port: number): Promise<ChildProcess> {
  const proc = spawn(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const client = new Redis(`redis://127.0.0.1:${port}`, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await waitUntil(
      async () => {
        if (proc.exitCode !== null) throw new Error(`redis-server exited (${proc.exitCode})`);
        try {
          if (client.status !== 'ready') await client.connect();
          return (await client.ping()) === 'PONG';
        } catch {
          client.disconnect();
          return false;
        }
      },
      `redis-server on port ${port} answers`,
      REDIS_START_TIMEOUT_MS,
    );
  } catch (error) {
    proc.kill('SIGKILL');
    throw error;
  } finally {
    client.disconnect();
  }
  return proc;
}
