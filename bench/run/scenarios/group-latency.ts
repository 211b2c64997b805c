// (h) End-to-end latency produce -> WebSocket delivery to a consumer-group subscription, at a
// fixed 10,000 records/s: (d)'s driver with `group` set — each run subscribes as the only
// member of a fresh group (from "latest", autoCommit on) and so owns every partition — beside a
// plain subscription to the same partitions as the baseline. Tributary only.
import { num } from '../../common/format';
import { type Profile, SHAPE } from '../plan';
import { type Row, type RowIdentity } from '../results';
import { tributaryLatencyRow, tributaryLatencyWorkload } from './e2e-latency';
import { TRIBUTARY_DURABILITY_NOTES } from './produce-rows';
import { type BenchContext, type Scenario, seconds, sizeLabel, skipped } from './scenario';
import { wsEndpointMissing } from './ws-status';

const BYTES = SHAPE.smallValueBytes;
const RATE = SHAPE.groupLatencyRatePerSec;

function identity(variant: string, subscription: string): RowIdentity {
  return {
    system: 'tributary',
    variant,
    group: `${num(RATE)} records/s`,
    durability: 'replicated',
    durabilityNote: TRIBUTARY_DURABILITY_NOTES.replicated,
    workload: `Tributary only; ${tributaryLatencyWorkload(subscription, SHAPE.partitions)}`,
    messageBytes: BYTES,
  };
}

const ROWS = [
  {
    identity: identity(
      'WebSocket group subscription',
      'a group subscription ("group", the only member of a fresh group per run, autoCommit on)',
    ),
    topic: 'h-group',
    groupPrefix: 'h-latency-' as string | undefined,
  },
  {
    identity: identity('WebSocket partitions (baseline)', 'a subscription to every partition'),
    topic: 'h-partitions',
    groupPrefix: undefined,
  },
];

export const groupLatency: Scenario = {
  id: 'h',
  title: '(h) End-to-end latency to a consumer-group subscription',
  metric: 'latency',
  describe: (p: Profile) =>
    `${sizeLabel(BYTES)} records sent on a fixed schedule at ${num(RATE)} records/s to a ${SHAPE.partitions}-partition topic ` +
    `for ${seconds(p.latencyDurationMs)} per run (${p.runs} runs after a ${seconds(p.latencyWarmupMs)} warm-up), delivered over ` +
    'a WebSocket to a consumer-group subscription, and, as the baseline, to a plain subscription to the same partitions. ' +
    'Latency as in (d): arrival - the scheduled send time each record carries (coordinated-omission-free); a group ' +
    'member is only ready once a marker record sent to every partition has arrived, before the schedule starts. ' +
    'records/s is the delivered rate. Tributary only.',
  async rows(ctx: BenchContext): Promise<Row[]> {
    const wsMissing = await wsEndpointMissing(ctx);
    const rows: Row[] = [];
    for (const row of ROWS) {
      if (wsMissing !== undefined) {
        rows.push(skipped(row.identity, wsMissing));
        continue;
      }
      rows.push(
        await tributaryLatencyRow(
          ctx,
          row.identity,
          row.topic,
          SHAPE.partitions,
          RATE,
          row.groupPrefix,
        ),
      );
    }
    return rows;
  },
};
