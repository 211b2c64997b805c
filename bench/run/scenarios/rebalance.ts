// (g) Consumer group rebalance: three members long-polling a 6-partition topic over REST while
// records keep arriving at a steady rate; a fourth member joins. One run measures from the
// join request to the moment every member — the new one, and each old one after giving up what
// it lost — has received records while owning exactly its new target assignment
// (drivers/tributary-groups.ts). Tributary only.
import { num } from '../../common/format';
import { Aborted } from '../cleanup';
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
} from './scenario';

const BYTES = SHAPE.smallValueBytes;
/** A run that has not settled within this fails the row (with the members' state). */
const RUN_MS_MAX = 60_000;
const MEMBERS = SHAPE.rebalanceMembers;

const IDENTITY: RowIdentity = {
  system: 'tributary',
  variant: `REST group, ${MEMBERS} -> ${MEMBERS + 1} members`,
  group: `${SHAPE.partitions} partitions`,
  durability: 'replicated',
  durabilityNote: TRIBUTARY_DURABILITY_NOTES.replicated,
  workload:
    `Tributary only; ${MEMBERS} members (autoCommit, from latest) poll GET .../records?maxRecords=${SHAPE.fetchRecords}` +
    `&maxWaitMs=${SHAPE.rebalancePollWaitMs} in a loop while ${num(SHAPE.rebalanceProduceRatePerSec)} records/s of ` +
    `${sizeLabel(BYTES)} are produced over HTTP to all ${SHAPE.partitions} partitions in turn; member ${MEMBERS + 1} joins`,
  messageBytes: BYTES,
};

export const rebalance: Scenario = {
  id: 'g',
  title: '(g) Consumer group rebalance: a member joins',
  metric: 'latency',
  latencyMeaning:
    'rebalance time: join request -> every member receiving records from its new assignment (one sample per run)',
  describe: (p: Profile) =>
    `A fresh group per run on a ${SHAPE.partitions}-partition topic fed at ${num(SHAPE.rebalanceProduceRatePerSec)} records/s: ` +
    `${MEMBERS} members join and consume until each has received records from its settled assignment, then for ` +
    `${seconds(p.rebalanceSettleMs)}; then member ${MEMBERS + 1} joins. Rebalance time = from the join request to the moment ` +
    `every one of the ${MEMBERS + 1} members has received records while owning exactly its target assignment ` +
    '(GET /v1/groups/{g} right after the join; old members first give up what they lose, then the new one takes it). ' +
    `One warm-up run, then ${p.runs} measured runs; each run is one sample, so its p50 = p99 = p99.9, and the ` +
    'p99 column reads median (min–max) of the rebalance time over the runs. records/s is the rate the group consumed ' +
    'over a run (the stream kept flowing). Tributary only.',
  async rows(ctx: BenchContext): Promise<Row[]> {
    const topic = 'g-rebalance';
    try {
      return [
        await scoped(
          ctx,
          `topic ${topic}`,
          () => ctx.node.createTopic(topic, SHAPE.partitions, 'replicated'),
          () => ctx.node.deleteTopic(topic),
          () =>
            measureRow(ctx, IDENTITY, () =>
              onLoadCore(
                ctx,
                {
                  job: {
                    driver: 'tributary-rebalance',
                    origin: ctx.node.origin,
                    key: ctx.node.key,
                    topic,
                    partitions: SHAPE.partitions,
                    groupPrefix: 'g-rebalance-',
                    members: MEMBERS,
                    produceRatePerSec: SHAPE.rebalanceProduceRatePerSec,
                    messageBytes: BYTES,
                    settleMs: ctx.profile.rebalanceSettleMs,
                    pollWaitMs: SHAPE.rebalancePollWaitMs,
                    maxRecords: SHAPE.fetchRecords,
                  },
                  // The driver reads each duration as the longest a run may take.
                  warmupMs: RUN_MS_MAX,
                  durationMs: RUN_MS_MAX,
                  runs: ctx.profile.runs,
                },
                nodeServer(ctx),
              ),
            ),
        ),
      ];
    } catch (error) {
      if (error instanceof Aborted) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      return [{ ...IDENTITY, status: 'failed', reason }];
    }
  },
};
