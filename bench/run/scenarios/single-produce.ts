// (b) Single-record produce: one 100 B record per request with 64 connections, each waiting
// for its answer — Tributary (fsync, replicated) beside the raw node:http ceiling (same body,
// nothing stored), NATS JetStream (one awaited publish per connection) and Redis Streams (one
// awaited XADD per connection), each peer also at its best: several load-generator processes,
// Redis pipelined as redis-benchmark does.
import { SHAPE, type Profile } from '../plan';
import { type Row } from '../results';
import { peerProduceRows, type ProduceRowSpec, tributaryProduceRow } from './produce-rows';
import {
  type BenchContext,
  measureRow,
  onLoadCore,
  type Scenario,
  seconds,
  sizeLabel,
  skipped,
  timedPlan,
} from './scenario';

const SPEC: ProduceRowSpec = {
  name: 'b',
  shape: { messageBytes: SHAPE.smallValueBytes, batch: 1, concurrency: SHAPE.singleConnections },
  partitions: SHAPE.partitions,
  workload: `1 record of ${sizeLabel(SHAPE.smallValueBytes)} per request, ${SHAPE.singleConnections} connections, ${SHAPE.partitions} partitions`,
};

function rawHttpRow(ctx: BenchContext): Promise<Row> {
  const identity = {
    system: 'raw-http' as const,
    variant: 'node:http',
    group: sizeLabel(SHAPE.smallValueBytes),
    durability: 'none' as const,
    durabilityNote: 'reads the body and answers a fixed JSON: the HTTP ceiling, stores nothing',
    workload: `HTTP POST of the same body; ${SPEC.workload}`,
    messageBytes: SHAPE.smallValueBytes,
  };
  const raw = ctx.rawHttp;
  if ('reason' in raw) return Promise.resolve(skipped(identity, raw.reason));
  return measureRow(ctx, identity, () =>
    onLoadCore(
      ctx,
      timedPlan(ctx, { driver: 'http-produce', origin: raw.origin, path: '/', ...SPEC.shape }),
      { pid: raw.pid, ownChild: true },
    ),
  );
}

export const singleProduce: Scenario = {
  id: 'b',
  title: '(b) Single-record produce, 64 connections',
  metric: 'throughput',
  describe: (p: Profile) =>
    `One ${sizeLabel(SHAPE.smallValueBytes)} record per request (per publish, per XADD), ` +
    `${SHAPE.singleConnections} connections each waiting for its answer, ${SHAPE.partitions} partitions, acks=all. ` +
    `Each row: a ${seconds(p.warmupMs)} warm-up, then ${p.runs} runs of ${seconds(p.durationMs)}. ` +
    'The raw node:http row is the ceiling of any HTTP service on this machine. Each peer also ' +
    `runs at its best: ${SHAPE.peerBest.processes} load-generator processes on both cores, NATS ` +
    `with ${SHAPE.peerBest.nats.single.batch} publishes in flight on one connection, Redis with ` +
    `${SHAPE.peerBest.redis.single.batch} XADDs pipelined per round trip (redis-benchmark -P) on ` +
    `${SHAPE.peerBest.redis.single.concurrency} connections.`,
  async rows(ctx: BenchContext): Promise<Row[]> {
    return [
      await rawHttpRow(ctx),
      await tributaryProduceRow(ctx, SPEC, 'fsync'),
      await tributaryProduceRow(ctx, SPEC, 'replicated'),
      ...(await peerProduceRows(ctx, SPEC)),
    ];
  },
};
