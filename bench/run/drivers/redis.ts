// Redis Streams, driven through ioredis: XADD pipelined (a batch is one pipeline of `batch`
// XADDs, awaited whole), catch-up with XREADGROUP over one connection per stream key (like
// Tributary's one fetch loop per partition), and produce-to-delivery latency at a fixed rate
// with a blocking XREADGROUP on a second connection. Keys are made and removed by the parent
// (peers/redis.ts); every XADD of the produce driver caps its stream (MAXLEN ~) so that a long
// run cannot fill a shared server's memory.
import { assert } from '@tributary/common';
import Redis from 'ioredis';
import { caughtUp, type Driver, type DriverRun, type JobOf, produceRun } from './driver';
import { latencyRun } from './latency';

const CONNECT_TIMEOUT_MS = 5_000;
/** How long one blocking XREADGROUP of the latency receiver waits before it looks again. */
const BLOCK_MS = 100;
/** Entries one XREADGROUP of the latency receiver takes at most. */
const RECEIVE_COUNT = 1_000;

/** A client that fails at once instead of retrying: a bench reports, it does not wait. */
export function redisClient(url: string, connectTimeoutMs = CONNECT_TIMEOUT_MS): Redis {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: connectTimeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined); // reported through the failing command instead
  return client;
}

async function open(url: string, connections: number): Promise<Redis[]> {
  const clients = Array.from({ length: connections }, () => redisClient(url));
  await Promise.all(clients.map((c) => c.connect()));
  return clients;
}

async function closeAll(clients: Redis[]): Promise<void> {
  await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
}

type StreamItems = [Buffer, Buffer[]][];

/**
 * Field lists of the entries of an XREADGROUP reply: RESP2 nests [[key, items], ...], RESP3
 * (ioredis 6's default) answers a map, which arrives flattened as [key, items, key, items].
 */
function entries(reply: unknown): Buffer[][] {
  if (reply === null) return [];
  const parts = reply as unknown[];
  const streams: StreamItems[] = Buffer.isBuffer(parts[0])
    ? parts.filter((_, i) => i % 2 === 1).map((items) => items as StreamItems)
    : (parts as [Buffer, StreamItems][]).map(([, items]) => items);
  return streams.flatMap((items) => items.map(([, fields]) => fields));
}

function readGroup(client: Redis, group: string, key: string, options: (string | number)[]) {
  return client.callBuffer('XREADGROUP', [
    'GROUP',
    group,
    'bench',
    ...options,
    'NOACK',
    'STREAMS',
    key,
    '>',
  ]);
}

export async function redisProduce(job: JobOf<'redis-produce'>): Promise<Driver> {
  assert(job.keys.length > 0, 'no stream keys to add to');
  const clients = await open(job.url, job.concurrency);
  const payload = Buffer.alloc(job.messageBytes, 'x');
  const maxLen = String(job.maxLen);
  return {
    run: (durationMs) =>
      produceRun(job, job.keys.length, durationMs, async (loop, target) => {
        const pipeline = clients[loop]!.pipeline();
        for (let i = 0; i < job.batch; i++)
          pipeline.xadd(job.keys[target]!, 'MAXLEN', '~', maxLen, '*', 'v', payload);
        const replies = (await pipeline.exec()) ?? [];
        const failed = replies.filter(([error]) => error !== null).length;
        return { records: replies.length - failed, errors: failed + job.batch - replies.length };
      }),
    close: () => closeAll(clients),
  };
}

export async function redisCatchUp(job: JobOf<'redis-catch-up'>): Promise<Driver> {
  const clients = await open(job.url, job.keys.length);
  let runNo = 0;
  return {
    async run(): Promise<DriverRun> {
      // A new group per run reads from the start; made before the clock starts. MKSTREAM:
      // with few batches, some keys may have received none.
      const group = `catch-up-${runNo++}`;
      await Promise.all(
        job.keys.map((key, i) => clients[i]!.xgroup('CREATE', key, group, '0', 'MKSTREAM')),
      );
      const startedMs = performance.now();
      const counts = await Promise.all(
        job.keys.map(async (key, i) => {
          let received = 0;
          for (;;) {
            const got = entries(
              await readGroup(clients[i]!, group, key, ['COUNT', job.fetchRecords]),
            ).length;
            if (got === 0) return received;
            received += got;
          }
        }),
      );
      const seconds = (performance.now() - startedMs) / 1000;
      await Promise.all(job.keys.map((key, i) => clients[i]!.xgroup('DESTROY', key, group)));
      return caughtUp(
        counts.reduce((sum, n) => sum + n, 0),
        seconds,
        job,
      );
    },
    close: () => closeAll(clients),
  };
}

/** Each run adds to its own key (unlinked after the run), read by a group created at `$`. */
export async function redisLatency(job: JobOf<'redis-latency'>): Promise<Driver> {
  const [producer, consumer] = await open(job.url, 2);
  let runNo = 0;
  return {
    run(durationMs): Promise<DriverRun> {
      const key = `${job.keyPrefix}${runNo++}`;
      return latencyRun(job, durationMs, {
        async receive(onRecord) {
          await consumer!.xgroup('CREATE', key, 'latency', '$', 'MKSTREAM');
          let receiving = true;
          const loop = (async () => {
            while (receiving) {
              const reply = await readGroup(consumer!, 'latency', key, [
                'COUNT',
                RECEIVE_COUNT,
                'BLOCK',
                BLOCK_MS,
              ]);
              for (const fields of entries(reply)) onRecord(fields[1]!);
            }
          })();
          return async () => {
            receiving = false;
            await loop;
            await producer!.unlink(key);
          };
        },
        send: (payload) => producer!.xadd(key, '*', 'v', payload),
      });
    },
    close: () => closeAll([producer!, consumer!]),
  };
}
