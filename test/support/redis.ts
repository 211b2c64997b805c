// The machine's real Redis for tests: each user gets a key prefix of its own and removes every
// key under it afterwards, since test runs share the server.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

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
