// (d) End-to-end latency, produce -> delivery, at fixed rates (1k, 10k, 50k records/s): record
// `seq` is sent at start + seq / rate, carries that scheduled time in its value, and its latency
// runs from that time to its arrival at the consumer (scheduler.ts), so a stall cannot hide the
// samples it delays. Tributary: HTTP produce (acks=1), every record due in one scheduler tick in
// one request, -> a WebSocket subscription from "latest" (drivers/tributary-ws.ts); NATS
// JetStream: async publish -> ordered consumer; Redis Streams: XADD -> blocking XREADGROUP.
import { num } from '../../common/format';
import { type Job } from '../drivers/driver';
import { isPeer, peerDurability } from '../peers/peer';
import { type Profile, SHAPE } from '../plan';
import { type Row, type RowIdentity } from '../results';
import { TRIBUTARY_DURABILITY_NOTES } from './produce-rows';
import {
  type BenchContext,
  measureRow,
  nodeServer,
  onLoadCore,
  type Scenario,
  scoped,
  seconds,
  sizeLabel,
  skipped,
} from './scenario';
import { wsEndpointMissing } from './ws-status';

const BYTES = SHAPE.smallValueBytes;

export function latencyPlan(ctx: BenchContext, job: Job) {
  const p = ctx.profile;
  return { job, warmupMs: p.latencyWarmupMs, durationMs: p.latencyDurationMs, runs: p.runs };
}

const group = (rate: number): string => `${num(rate)} records/s`;

/** Where and how Tributary's latency rows produce; the same words for (d) and (h). */
export function tributaryLatencyWorkload(subscription: string, partitions: number): string {
  return (
    `HTTP produce (acks=1, keyless), every record due in a scheduler tick in one request, at most ` +
    `${SHAPE.latencyProduceConnections} requests in flight -> ${subscription} from latest on one ` +
    `WebSocket, no credit; ${partitions} partition${partitions === 1 ? '' : 's'}; ` +
    `${sizeLabel(BYTES)} records (JSON string values carrying sequence number and scheduled send time)`
  );
}

/**
 * One Tributary latency row: a fresh topic of `partitions` partitions for the row (removed
 * after it), runs of the profile's latency plan through the 'tributary-ws-latency' driver.
 */
export function tributaryLatencyRow(
  ctx: BenchContext,
  identity: RowIdentity,
  topic: string,
  partitions: number,
  rate: number,
  groupPrefix: string | undefined,
): Promise<Row> {
  return measureRow(ctx, identity, () =>
    scoped(
      ctx,
      `topic ${topic}`,
      () => ctx.node.createTopic(topic, partitions, 'replicated'),
      () => ctx.node.deleteTopic(topic),
      () =>
        onLoadCore(
          ctx,
          latencyPlan(ctx, {
            driver: 'tributary-ws-latency',
            origin: ctx.node.origin,
            key: ctx.node.key,
            topic,
            partitions,
            ...(groupPrefix === undefined ? {} : { groupPrefix }),
            produceConnections: SHAPE.latencyProduceConnections,
            ratePerSec: rate,
            messageBytes: BYTES,
            inFlightMax: SHAPE.latencyInFlightMax,
          }),
          nodeServer(ctx),
        ),
    ),
  );
}

function tributaryRow(ctx: BenchContext, rate: number, wsMissing: string | undefined) {
  const identity: RowIdentity = {
    system: 'tributary',
    variant: 'WebSocket',
    group: group(rate),
    durability: 'replicated',
    durabilityNote: TRIBUTARY_DURABILITY_NOTES.replicated,
    workload: tributaryLatencyWorkload('a subscription to the partition', SHAPE.latencyPartitions),
    messageBytes: BYTES,
  };
  if (wsMissing !== undefined) return Promise.resolve(skipped(identity, wsMissing));
  return tributaryLatencyRow(ctx, identity, `d-${rate}`, SHAPE.latencyPartitions, rate, undefined);
}

function natsRow(ctx: BenchContext, rate: number): Promise<Row> {
  const nats = ctx.nats;
  const identity: RowIdentity = {
    system: 'nats',
    variant: 'ordered consumer',
    group: group(rate),
    ...peerDurability(nats),
    workload: `async publish (acked) -> ordered consumer, ${sizeLabel(BYTES)} records`,
    messageBytes: BYTES,
  };
  if (!isPeer(nats)) return Promise.resolve(skipped(identity, nats.reason));
  const name = `d-${rate}`;
  return measureRow(ctx, identity, () =>
    scoped(
      ctx,
      `NATS stream ${name}`,
      () => nats.createStream(name, []),
      ({ stream }) => nats.deleteStream(stream),
      ({ stream }) =>
        onLoadCore(
          ctx,
          latencyPlan(ctx, {
            driver: 'nats-latency',
            url: nats.url,
            stream,
            subjectPrefix: `${stream}.run`,
            ratePerSec: rate,
            messageBytes: BYTES,
            inFlightMax: SHAPE.latencyInFlightMax,
          }),
          nats.server,
        ),
    ),
  );
}

function redisRow(ctx: BenchContext, rate: number): Promise<Row> {
  const redis = ctx.redis;
  const identity: RowIdentity = {
    system: 'redis',
    variant: 'XREADGROUP BLOCK',
    group: group(rate),
    ...peerDurability(redis),
    workload: `XADD -> blocking XREADGROUP (NOACK) on a second connection, ${sizeLabel(BYTES)} records`,
    messageBytes: BYTES,
  };
  if (!isPeer(redis)) return Promise.resolve(skipped(identity, redis.reason));
  // The driver makes one key per run under this prefix and unlinks it after the run.
  const keyPrefix = redis.key(`d-${rate}-`);
  return measureRow(ctx, identity, () =>
    scoped(
      ctx,
      `Redis keys ${keyPrefix}*`,
      async () => keyPrefix,
      (prefix) => redis.deleteByPrefix(prefix),
      () =>
        onLoadCore(
          ctx,
          latencyPlan(ctx, {
            driver: 'redis-latency',
            url: redis.url,
            keyPrefix,
            ratePerSec: rate,
            messageBytes: BYTES,
            inFlightMax: SHAPE.latencyInFlightMax,
          }),
          redis.server,
        ),
    ),
  );
}

export const e2eLatency: Scenario = {
  id: 'd',
  title: '(d) End-to-end latency at fixed rates',
  metric: 'latency',
  describe: (p: Profile) =>
    `${sizeLabel(BYTES)} records sent on a fixed schedule at ${p.latencyRatesPerSec.map((r) => num(r)).join(', ')} records/s ` +
    `for ${seconds(p.latencyDurationMs)} per run (${p.runs} runs after a ${seconds(p.latencyWarmupMs)} warm-up); ` +
    'latency = arrival at the consumer - the scheduled send time, which each record carries in its value ' +
    '(coordinated-omission-free: a late send counts ' +
    `as latency). Producer and consumer share the load-generator process and clock; at most ${num(SHAPE.latencyInFlightMax)} ` +
    'unacknowledged sends. A record not delivered within 5 s of the last send counts at the time the run gave up, and as an error. ' +
    'Compare the percentiles; records/s is the delivered rate.',
  async rows(ctx: BenchContext): Promise<Row[]> {
    const wsMissing = await wsEndpointMissing(ctx);
    const rows: Row[] = [];
    for (const rate of ctx.profile.latencyRatesPerSec) {
      rows.push(await tributaryRow(ctx, rate, wsMissing));
      rows.push(await natsRow(ctx, rate));
      rows.push(await redisRow(ctx, rate));
    }
    return rows;
  },
};
