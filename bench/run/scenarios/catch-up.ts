// (c) Consume / catch-up: N records of 100 B stored first (1,000,000 in a full run), then read
// back from the start, all partitions in parallel, as fast as the consumer can — Tributary over
// REST fetch and over a WebSocket subscription in JSON and in binary frames (catch-up-ws.ts), NATS JetStream with one pull
// consumer per subject, Redis Streams with XREADGROUP per key, each peer also at its best (the
// subjects or keys split over several load-generator processes). Preloading is not measured.
import { assert } from '@tributary/common';
import { num } from '../../common/format';
import { Aborted } from '../cleanup';
import { type Job } from '../drivers/driver';
import { type WatchedServer } from '../measure';
import { isPeer, peerDurability } from '../peers/peer';
import { type Profile, SHAPE } from '../plan';
import { type Row, type RowIdentity } from '../results';
import { tributaryWsCatchUpRow, WS_CATCH_UP_WORKLOAD } from './catch-up-ws';
import { TRIBUTARY_DURABILITY_NOTES } from './produce-rows';
import {
  type BenchContext,
  measureRow,
  nodeServer,
  onLoadCore,
  onAllCores,
  type Scenario,
  scoped,
  sizeLabel,
  skipped,
} from './scenario';

/** A preload that takes longer than this has gone wrong. */
const PRELOAD_MS_MAX = 10 * 60_000;
const BYTES = SHAPE.smallValueBytes;
const GROUP = `${sizeLabel(BYTES)}`;

/** Stores exactly `records` records through a produce job (not measured). */
export async function preload(ctx: BenchContext, job: Job, records: number): Promise<void> {
  ctx.progress(`  preloading ${num(records)} records (${job.driver})`);
  const { runs } = await onLoadCore(
    ctx,
    { job, warmupMs: 0, durationMs: PRELOAD_MS_MAX, runs: 1 },
    { reason: 'preload' },
  );
  const stored = runs[0]?.records ?? 0;
  if (stored !== records)
    throw new Error(`preload stored ${stored} of ${records} records (${runs[0]?.errors} errors)`);
}

/**
 * Runs `body` with a fresh Tributary topic of the shared shape holding exactly `records`
 * records (preloaded over HTTP, not measured); the topic is deleted afterwards.
 */
export function withPreloadedTopic<T>(
  ctx: BenchContext,
  topic: string,
  records: number,
  body: () => Promise<T>,
): Promise<T> {
  return scoped(
    ctx,
    `topic ${topic}`,
    () => ctx.node.createTopic(topic, SHAPE.partitions, 'replicated'),
    () => ctx.node.deleteTopic(topic),
    async () => {
      await preload(
        ctx,
        {
          driver: 'http-produce',
          origin: ctx.node.origin,
          path: `/v1/topics/${topic}/records?acks=1`,
          key: ctx.node.key,
          ...preloadShape(records),
        },
        records,
      );
      return body();
    },
  );
}

/** The catch-up plan: one warm-up read, then the profile's runs, each a whole read. */
function readPlan(ctx: BenchContext, job: Job) {
  return { job, warmupMs: 1, durationMs: 1, runs: ctx.profile.runs };
}

export const preloadShape = (records: number) => ({
  messageBytes: BYTES,
  batch: SHAPE.preloadBatchRecords,
  concurrency: SHAPE.preloadConcurrency,
  recordsMax: records,
});

function failedRows(identities: RowIdentity[], error: unknown): Row[] {
  const reason = error instanceof Error ? error.message : String(error);
  return identities.map((identity) => ({ ...identity, status: 'failed', reason }));
}

async function tributaryRows(ctx: BenchContext, records: number): Promise<Row[]> {
  const topic = 'c-catch-up';
  const base = {
    system: 'tributary' as const,
    group: GROUP,
    durability: 'replicated' as const,
    durabilityNote: TRIBUTARY_DURABILITY_NOTES.replicated,
    messageBytes: BYTES,
  };
  const rest: RowIdentity = {
    ...base,
    variant: 'REST fetch',
    workload: `GET .../partitions/{p}/records, maxRecords=${SHAPE.fetchRecords}, one loop per partition`,
  };
  const ws: RowIdentity = {
    ...base,
    variant: 'WebSocket',
    workload: WS_CATCH_UP_WORKLOAD,
  };
  const wsBinary: RowIdentity = {
    ...base,
    variant: 'WebSocket binary',
    workload: `${WS_CATCH_UP_WORKLOAD}; "format":"binary", frames decoded by the decoder docs/API.md shows`,
  };
  try {
    return await withPreloadedTopic(ctx, topic, records, async () => {
      const job: Job = {
        driver: 'tributary-fetch',
        origin: ctx.node.origin,
        key: ctx.node.key,
        topic,
        partitions: SHAPE.partitions,
        fetchRecords: SHAPE.fetchRecords,
        messageBytes: BYTES,
        expectedRecords: records,
      };
      return [
        await measureRow(ctx, rest, () => onLoadCore(ctx, readPlan(ctx, job), nodeServer(ctx))),
        await tributaryWsCatchUpRow(ctx, ws, topic, records, 'json'),
        await tributaryWsCatchUpRow(ctx, wsBinary, topic, records, 'binary'),
      ];
    });
  } catch (error) {
    if (error instanceof Aborted) throw error;
    return failedRows([rest, ws, wsBinary], error);
  }
}

/** Splits a catch-up job's subjects or keys over the peer's-best worker processes. */
function shares<T>(items: readonly T[]): T[][] {
  const n = Math.min(SHAPE.peerBest.processes, items.length);
  return Array.from({ length: n }, (_, w) => items.filter((_, i) => i % n === w));
}

const bestWorkload = (what: string) =>
  `; at its best, the ${SHAPE.partitions} ${what} split over ${SHAPE.peerBest.processes} processes on both cores, reading at once`;

/**
 * A peer's two catch-up rows over one preloaded stream: read by one process, as Tributary is,
 * then by several at once (each its share of the subjects or keys).
 */
async function peerRows(
  ctx: BenchContext,
  identity: RowIdentity,
  /** What the reads are split by: subjects, keys. */
  what: string,
  records: number,
  server: WatchedServer | { reason: string },
  withStream: (read: (jobs: (share: 'all' | number) => Job) => Promise<Row[]>) => Promise<Row[]>,
): Promise<Row[]> {
  const best: RowIdentity = {
    ...identity,
    variant: `${identity.variant}, ${SHAPE.peerBest.processes} processes (peer's best)`,
    workload: identity.workload + bestWorkload(what),
    clientShape: 'best',
  };
  const same: RowIdentity = { ...identity, clientShape: 'same' };
  try {
    return await withStream(async (jobOf) => [
      await measureRow(ctx, same, () => onLoadCore(ctx, readPlan(ctx, jobOf('all')), server)),
      await measureRow(ctx, best, () =>
        onAllCores(
          ctx,
          Array.from({ length: SHAPE.peerBest.processes }, (_, w) => readPlan(ctx, jobOf(w))),
          server,
          records,
        ),
      ),
    ]);
  } catch (error) {
    if (error instanceof Aborted) throw error;
    return failedRows([same, best], error);
  }
}

async function natsRows(ctx: BenchContext, records: number): Promise<Row[]> {
  const nats = ctx.nats;
  const identity: RowIdentity = {
    system: 'nats',
    variant: 'pull consumers',
    group: GROUP,
    ...peerDurability(nats),
    workload: `one pull consumer per subject (ack none), fetches of up to ${SHAPE.fetchRecords}`,
    messageBytes: BYTES,
  };
  if (!isPeer(nats)) return [skipped(identity, nats.reason)];
  const tokens = Array.from({ length: SHAPE.partitions }, (_, p) => `p${p}`);
  return peerRows(ctx, identity, 'subjects', records, nats.server, (read) =>
    scoped(
      ctx,
      'NATS stream c',
      () => nats.createStream('c', tokens),
      ({ stream }) => nats.deleteStream(stream),
      async ({ stream, subjects }) => {
        const shape = preloadShape(records);
        await preload(ctx, { driver: 'nats-produce', url: nats.url, subjects, ...shape }, records);
        const split = shares(subjects);
        return read((share) => ({
          driver: 'nats-catch-up',
          url: nats.url,
          stream,
          subjects: share === 'all' ? subjects : split[share]!,
          fetchRecords: SHAPE.fetchRecords,
          messageBytes: BYTES,
          expectedRecords: share === 'all' ? records : null,
        }));
      },
    ),
  );
}

async function redisRows(ctx: BenchContext, records: number): Promise<Row[]> {
  const redis = ctx.redis;
  const identity: RowIdentity = {
    system: 'redis',
    variant: 'XREADGROUP',
    group: GROUP,
    ...peerDurability(redis),
    workload: `XREADGROUP COUNT ${SHAPE.fetchRecords} NOACK, one connection per key`,
    messageBytes: BYTES,
  };
  if (!isPeer(redis)) return [skipped(identity, redis.reason)];
  const keys = Array.from({ length: SHAPE.partitions }, (_, p) => redis.key(`c-p${p}`));
  return peerRows(ctx, identity, 'keys', records, redis.server, (read) =>
    scoped(
      ctx,
      'Redis keys c',
      async () => keys,
      () => redis.deleteKeys(keys),
      async () => {
        const shape = preloadShape(records);
        // MAXLEN above the record count: nothing is trimmed before it is read.
        const produce = { driver: 'redis-produce' as const, url: redis.url, keys, ...shape };
        await preload(ctx, { ...produce, maxLen: records + 1 }, records);
        const split = shares(keys);
        return read((share) => ({
          driver: 'redis-catch-up',
          url: redis.url,
          keys: share === 'all' ? keys : split[share]!,
          fetchRecords: SHAPE.fetchRecords,
          messageBytes: BYTES,
          expectedRecords: share === 'all' ? records : null,
        }));
      },
    ),
  );
}

export const catchUp: Scenario = {
  id: 'c',
  title: '(c) Consume / catch-up of stored records',
  metric: 'throughput',
  describe: (p: Profile) =>
    `${num(p.catchUpRecords)} records of ${sizeLabel(BYTES)} stored over ${SHAPE.partitions} partitions ` +
    `(preloaded in batches of ${SHAPE.preloadBatchRecords}, not measured), then read from the first ` +
    `record to the last, all partitions in parallel. One warm-up read, then ${p.runs} measured reads; ` +
    'records/s = records read / time of the whole read. Each peer also reads at its best: the ' +
    `${SHAPE.partitions} subjects or keys split over ${SHAPE.peerBest.processes} load-generator processes on both cores, reading at once.`,
  async rows(ctx: BenchContext): Promise<Row[]> {
    const records = ctx.profile.catchUpRecords;
    assert(records % SHAPE.preloadBatchRecords === 0, 'preload count must be whole batches');
    return [
      ...(await tributaryRows(ctx, records)),
      ...(await natsRows(ctx, records)),
      ...(await redisRows(ctx, records)),
    ];
  },
};
