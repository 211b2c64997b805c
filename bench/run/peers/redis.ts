// Redis Streams as a peer: reached at REDIS_URL (default redis://127.0.0.1:6379), its keys named
// with this run's prefix and unlinked again — after each row, and all of them (SCAN by prefix)
// when the runner exits. What an XADD reply means for durability is read from the server's own
// configuration (appendonly, appendfsync, save), so an in-memory Redis is labelled as such.
import { assert } from '@tributary/common';
import type Redis from 'ioredis';
import { redisClient } from '../drivers/redis';
import { type WatchedServer } from '../measure';
import { type Durability, type PeerSummary } from '../results';
import { errorText, type Peer, type PeerUnavailable, watchByName, watchText } from './peer';

const CONNECT_TIMEOUT_MS = 3_000;
const SCAN_COUNT = 1_000;

export class RedisPeer implements Peer {
  private constructor(
    readonly url: string,
    private readonly client: Redis,
    private readonly keyPrefix: string,
    readonly server: WatchedServer | { reason: string },
    readonly summary: PeerSummary,
  ) {}

  static async connect(url: string, prefix: string): Promise<RedisPeer | PeerUnavailable> {
    const client = redisClient(url, CONNECT_TIMEOUT_MS);
    const address = redact(url);
    try {
      await client.connect();
      const info = await client.info('server');
      const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
      const { durability, note } = await durabilityOf(client);
      const server = watchByName(url, 'redis-server');
      return new RedisPeer(url, client, prefix, server, {
        name: 'redis',
        status: 'ok',
        address,
        version: `redis-server ${version}`,
        durability,
        durabilityNote: note,
        serverWatch: watchText(server, 'redis-server'),
      });
    } catch (error) {
      client.disconnect();
      return {
        name: 'redis',
        address,
        reason: `Redis at ${address} unreachable: ${errorText(error)}`,
      };
    }
  }

  key(name: string): string {
    return `${this.keyPrefix}${name}`;
  }

  async deleteKeys(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.client.unlink(...keys);
  }

  async removeAll(): Promise<void> {
    await this.deleteByPrefix(this.keyPrefix);
  }

  /** Unlinks every key starting with `prefix` (which must be one of this run's). */
  async deleteByPrefix(prefix: string): Promise<void> {
    assert(prefix.startsWith(this.keyPrefix), 'not a key prefix of this run');
    let cursor = '0';
    do {
      const [next, keys] = await this.client.scan(
        cursor,
        'MATCH',
        `${prefix}*`,
        'COUNT',
        SCAN_COUNT,
      );
      await this.deleteKeys(keys);
      cursor = next;
    } while (cursor !== '0');
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

/** What an XADD reply means on this server, from CONFIG GET (n/a if CONFIG is disabled). */
async function durabilityOf(client: Redis): Promise<{ durability: Durability; note: string }> {
  try {
    const config = async (name: string): Promise<string> =>
      (await client.config('GET', name))[1] ?? '';
    const [appendonly, appendfsync, save] = await Promise.all([
      config('appendonly'),
      config('appendfsync'),
      config('save'),
    ]);
    if (appendonly === 'yes' && appendfsync === 'always')
      return { durability: 'fsync', note: 'AOF with appendfsync always' };
    if (appendonly === 'yes')
      return {
        durability: 'page-cache',
        note: `AOF with appendfsync ${appendfsync}: acknowledged before the fsync`,
      };
    return {
      durability: 'memory',
      note:
        save === ''
          ? 'keeps nothing on disk (appendonly no, no RDB snapshots): acknowledged from memory'
          : `acknowledged from memory; only periodic RDB snapshots (save ${save}), no AOF`,
    };
  } catch (error) {
    return { durability: 'unknown', note: `CONFIG GET refused: ${errorText(error)}` };
  }
}

/** The URL with its password (if any) masked, for the report. */
function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
