// One produce row per system, shared by the batched (a) and single-record (b) scenarios: the
// same records (`messageBytes`-byte values), the same batch and the same number of loops in
// flight, into a fresh topic / stream / key set of `partitions` partitions that is removed
// after the row.
import { type ProduceShape } from '../drivers/driver';
import { isPeer, peerDurability } from '../peers/peer';
import { type Row } from '../results';
import {
  type BenchContext,
  measureRow,
  nodeServer,
  onLoadCore,
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

export function natsProduceRow(ctx: BenchContext, spec: ProduceRowSpec): Promise<Row> {
  const identity = {
    system: 'nats' as const,
    variant: 'async publish',
    group: group(spec),
    ...peerDurability(ctx.nats),
    workload: `acks of the batch's publishes awaited; ${spec.workload}`,
    messageBytes: spec.shape.messageBytes,
  };
  const nats = ctx.nats;
  if (!isPeer(nats)) return Promise.resolve(skipped(identity, nats.reason));
  const tokens = Array.from({ length: spec.partitions }, (_, p) => `p${p}`);
  return measureRow(ctx, identity, () =>
    scoped(
      ctx,
      `NATS stream ${spec.name}`,
      () => nats.createStream(spec.name, tokens),
      ({ stream }) => nats.deleteStream(stream),
      ({ subjects }) =>
        onLoadCore(
          ctx,
          timedPlan(ctx, { driver: 'nats-produce', url: nats.url, subjects, ...spec.shape }),
          nats.server,
        ),
    ),
  );
}

export function redisProduceRow(ctx: BenchContext, spec: ProduceRowSpec): Promise<Row> {
  const redis = ctx.redis;
  const maxLen = Math.floor(REDIS_STREAM_BYTES_MAX / spec.partitions / spec.shape.messageBytes);
  const identity = {
    system: 'redis' as const,
    variant: spec.shape.batch > 1 ? 'XADD pipelined' : 'XADD',
    group: group(spec),
    ...peerDurability(redis),
    workload: `MAXLEN ~ ${maxLen} per key; ${spec.workload}`,
    messageBytes: spec.shape.messageBytes,
  };
  if (!isPeer(redis)) return Promise.resolve(skipped(identity, redis.reason));
  const keys = Array.from({ length: spec.partitions }, (_, p) => redis.key(`${spec.name}-p${p}`));
  return measureRow(ctx, identity, () =>
    scoped(
      ctx,
      `Redis keys ${spec.name}`,
      async () => keys,
      () => redis.deleteKeys(keys),
      () =>
        onLoadCore(
          ctx,
          timedPlan(ctx, { driver: 'redis-produce', url: redis.url, keys, maxLen, ...spec.shape }),
          redis.server,
        ),
    ),
  );
}
