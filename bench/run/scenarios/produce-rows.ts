// One produce row per system, shared by the batched (a) and single-record (b) scenarios: the
// same records (`messageBytes`-byte values), the same batch and the same number of loops in
// flight, into a fresh topic / stream / key set of `partitions` partitions that is removed
// after the row.
import { type ProduceShape, type WorkerPlan } from '../drivers/driver';
import { type WatchedServer } from '../measure';
import { isPeer, peerDurability } from '../peers/peer';
import { SHAPE } from '../plan';
import { type Row } from '../results';
import {
  type BenchContext,
  measureRow,
  nodeServer,
  onLoadCore,
  onAllCores,
  scoped,
  sizeLabel,
  skipped,
  timedPlan,
} from './scenario';

/** What a Redis stream of the produce rows may hold: ~256 MiB of values (XADD MAXLEN ~). */
const REDIS_STREAM_BYTES_MAX = 256 * 1024 * 1024;

export const TRIBUTARY_DURABILITY_NOTES = {
  fsync: 'acknowledged after fdatasync of the partition log (group commit)',
  replicated:
    'one node, replication factor 1: acknowledged from the page cache, no fsync per ack (flush.ms -1)',
} as const;

export interface ProduceRowSpec {
  /** Names the row's topic, stream and keys (unique within the run). */
  name: string;
  shape: ProduceShape;
  partitions: number;
  workload: string;
}

const group = (spec: ProduceRowSpec): string => sizeLabel(spec.shape.messageBytes);

export function tributaryProduceRow(
  ctx: BenchContext,
  spec: ProduceRowSpec,
  durability: 'fsync' | 'replicated',
): Promise<Row> {
  const topic = `${spec.name}-${durability}`;
  const identity = {
    system: 'tributary' as const,
    variant: durability,
    group: group(spec),
    durability,
    durabilityNote: TRIBUTARY_DURABILITY_NOTES[durability],
    workload: `HTTP POST, acks=all; ${spec.workload}`,
    messageBytes: spec.shape.messageBytes,
  };
  return measureRow(ctx, identity, () =>
    scoped(
      ctx,
      `topic ${topic}`,
      () => ctx.node.createTopic(topic, spec.partitions, durability),
      () => ctx.node.deleteTopic(topic),
      () =>
        onLoadCore(
          ctx,
          timedPlan(ctx, {
            driver: 'http-produce',
            origin: ctx.node.origin,
            path: `/v1/topics/${topic}/records?acks=all`,
            key: ctx.node.key,
            ...spec.shape,
          }),
          nodeServer(ctx),
        ),
    ),
  );
}

/** The client shapes of a peer's produce rows: as Tributary is driven, and the peer's best. */
export type ClientShape = 'same' | 'best';

/**
 * A peer's row: as Tributary is driven (`same`), or at its best: SHAPE.peerBest.processes
 * processes on both cores, each in the shape found fastest for that peer.
 */
function measurePeer(
  ctx: BenchContext,
  peer: 'nats' | 'redis',
  plan: WorkerPlan,
  server: WatchedServer | { reason: string },
  clientShape: ClientShape,
) {
  if (clientShape === 'same') return onLoadCore(ctx, plan, server);
  const job = { ...plan.job, ...bestShape(peer, plan.job as ProduceShape) } as WorkerPlan['job'];
  return onAllCores(ctx, Array(SHAPE.peerBest.processes).fill({ ...plan, job }), server);
}

/** The peer's best connections and batch for a produce row of this shape. */
function bestShape(peer: 'nats' | 'redis', shape: ProduceShape): ProduceShape {
  const best = SHAPE.peerBest[peer];
  return shape.batch === 1 ? { ...shape, ...best.single } : { ...shape, ...best.batched };
}

function shapeLabel(variant: string, clientShape: ClientShape): string {
  return clientShape === 'same'
    ? variant
    : `${variant}, ${SHAPE.peerBest.processes} processes (peer's best)`;
}

/** The best row's workload: what each of its processes sends, in place of the spec's shape. */
function bestWorkload(peer: 'nats' | 'redis', spec: ProduceRowSpec, unit: string): string {
  const best = bestShape(peer, spec.shape);
  return (
    `at its best: ${SHAPE.peerBest.processes} processes on both cores, each with ` +
    `${best.concurrency} connection${best.concurrency === 1 ? '' : 's'} of ${best.batch} ${unit} in flight`
  );
}

export function natsProduceRow(
  ctx: BenchContext,
  spec: ProduceRowSpec,
  clientShape: ClientShape = 'same',
): Promise<Row> {
  const identity = {
    system: 'nats' as const,
    variant: shapeLabel('async publish', clientShape),
    group: group(spec),
    ...peerDurability(ctx.nats),
    workload:
      `acks of the batch's publishes awaited; ${spec.workload}` +
      (clientShape === 'best' ? `; ${bestWorkload('nats', spec, 'publishes')}` : ''),
    messageBytes: spec.shape.messageBytes,
    clientShape,
  };
  const nats = ctx.nats;
  if (!isPeer(nats)) return Promise.resolve(skipped(identity, nats.reason));
  const tokens = Array.from({ length: spec.partitions }, (_, p) => `p${p}`);
  const name = `${spec.name}-${clientShape}`;
  return measureRow(ctx, identity, () =>
    scoped(
      ctx,
      `NATS stream ${name}`,
      () => nats.createStream(name, tokens),
      ({ stream }) => nats.deleteStream(stream),
      ({ subjects }) =>
        measurePeer(
          ctx,
          'nats',
          timedPlan(ctx, { driver: 'nats-produce', url: nats.url, subjects, ...spec.shape }),
          nats.server,
          clientShape,
        ),
    ),
  );
}

export function redisProduceRow(
  ctx: BenchContext,
  spec: ProduceRowSpec,
  clientShape: ClientShape = 'same',
): Promise<Row> {
  const redis = ctx.redis;
  const maxLen = Math.floor(REDIS_STREAM_BYTES_MAX / spec.partitions / spec.shape.messageBytes);
  const identity = {
    system: 'redis' as const,
    variant: shapeLabel(spec.shape.batch > 1 ? 'XADD pipelined' : 'XADD', clientShape),
    group: group(spec),
    ...peerDurability(redis),
    workload:
      `MAXLEN ~ ${maxLen} per key; ${spec.workload}` +
      (clientShape === 'best' ? `; ${bestWorkload('redis', spec, 'XADDs pipelined')}` : ''),
    messageBytes: spec.shape.messageBytes,
    clientShape,
  };
  if (!isPeer(redis)) return Promise.resolve(skipped(identity, redis.reason));
  const name = `${spec.name}-${clientShape}`;
  const keys = Array.from({ length: spec.partitions }, (_, p) => redis.key(`${name}-p${p}`));
  return measureRow(ctx, identity, () =>
    scoped(
      ctx,
      `Redis keys ${name}`,
      async () => keys,
      () => redis.deleteKeys(keys),
      () =>
        measurePeer(
          ctx,
          'redis',
          timedPlan(ctx, { driver: 'redis-produce', url: redis.url, keys, maxLen, ...spec.shape }),
          redis.server,
          clientShape,
        ),
    ),
  );
}

/** A peer's rows in both client shapes: as Tributary is driven, then at the peer's best. */
export async function peerProduceRows(ctx: BenchContext, spec: ProduceRowSpec): Promise<Row[]> {
  const rows: Row[] = [];
  for (const clientShape of ['same', 'best'] as const) {
    rows.push(await natsProduceRow(ctx, spec, clientShape));
    rows.push(await redisProduceRow(ctx, spec, clientShape));
  }
  return rows;
}
