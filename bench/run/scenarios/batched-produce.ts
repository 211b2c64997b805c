// (a) Batched produce: 100 B and 1 KiB records, 500 per request (pipeline, publish window),
// 8 in flight, 6 partitions, acks=all — Tributary with `fsync` and with `replicated` topics,
// beside NATS JetStream and Redis Streams given the same records in the same batches, and
// again at each peer's best (several load-generator processes).
import { SHAPE, type Profile } from '../plan';
import { type Row } from '../results';
import { peerProduceRows, type ProduceRowSpec, tributaryProduceRow } from './produce-rows';
import { type BenchContext, type Scenario, seconds, sizeLabel } from './scenario';

function spec(messageBytes: number): ProduceRowSpec {
  return {
    name: `a-${messageBytes}`,
    shape: { messageBytes, batch: SHAPE.batchRecords, concurrency: SHAPE.batchConcurrency },
    partitions: SHAPE.partitions,
    workload: `${SHAPE.batchRecords} records of ${sizeLabel(messageBytes)} per batch, ${SHAPE.batchConcurrency} batches in flight, ${SHAPE.partitions} partitions`,
  };
}

export const batchedProduce: Scenario = {
  id: 'a',
  title: '(a) Batched produce',
  metric: 'throughput',
  describe: (p: Profile) =>
    `Records of ${SHAPE.valueBytes.map(sizeLabel).join(' and ')} (keyless values of exactly that size), ` +
    `${SHAPE.batchRecords} per HTTP request / Redis pipeline / window of NATS async publishes, ` +
    `${SHAPE.batchConcurrency} such batches in flight (one connection each), ${SHAPE.partitions} partitions ` +
    `(Tributary partitions, subjects of one NATS stream, Redis stream keys; a batch goes to one). ` +
    `acks=all. Each row: a ${seconds(p.warmupMs)} warm-up, then ${p.runs} runs of ${seconds(p.durationMs)}; ` +
    'records/s counts acknowledged records. Each peer also runs at its best: ' +
    `${SHAPE.peerBest.processes} load-generator processes on both cores, each with ` +
    `${SHAPE.peerBest.nats.batched.concurrency} such batches in flight.`,
  async rows(ctx: BenchContext): Promise<Row[]> {
    const rows: Row[] = [];
    for (const messageBytes of SHAPE.valueBytes) {
      const s = spec(messageBytes);
      rows.push(await tributaryProduceRow(ctx, s, 'fsync'));
      rows.push(await tributaryProduceRow(ctx, s, 'replicated'));
      rows.push(...(await peerProduceRows(ctx, s)));
    }
    return rows;
  },
};
