// (f) Consumer group over REST: N stored records of 100 B (1,000,000 in a full run) read from
// the earliest offset by a fresh group per read — one member, and three members polling in
// parallel — each polling GET /v1/groups/{g}/members/{m}/records with maxRecords=10000 and
// autoCommit on, until it has every record of its partitions (drivers/tributary-groups.ts).
// Tributary only: the peers have no REST consumer groups to compare with.
import { assert } from '@tributary/common';
import { num } from '../../common/format';
import { Aborted } from '../cleanup';
import { type Profile, SHAPE } from '../plan';
import { type Row, type RowIdentity } from '../results';
import { withPreloadedTopic } from './catch-up';
import { TRIBUTARY_DURABILITY_NOTES } from './produce-rows';
import {
  type BenchContext,
  measureRow,
  nodeServer,
  onLoadCore,
  type Scenario,
  sizeLabel,
} from './scenario';

const BYTES = SHAPE.smallValueBytes;
/** maxBytes of every poll: above maxRecords x the record size, so that maxRecords binds. */
const POLL_BYTES = 4 * 1024 * 1024;
/** A whole read taking longer than this has gone wrong; the driver stops it there. */
const READ_MS_MAX = 10 * 60_000;

function identity(members: number): RowIdentity {
  return {
    system: 'tributary',
    variant: `REST group, ${members} member${members === 1 ? '' : 's'}`,
    group: sizeLabel(BYTES),
    durability: 'replicated',
    durabilityNote: TRIBUTARY_DURABILITY_NOTES.replicated,
    workload:
      `Tributary only; ${members === 1 ? 'one member polls' : `${members} members poll in parallel (${SHAPE.partitions / members} partitions each)`} ` +
      `GET /v1/groups/{g}/members/{m}/records?maxRecords=${SHAPE.fetchRecords}&maxBytes=${POLL_BYTES}&maxWaitMs=1000, ` +
      'autoCommit on, a fresh group per read from earliest (join and assignment not timed)',
    messageBytes: BYTES,
  };
}

export const groupPoll: Scenario = {
  id: 'f',
  title: '(f) Consumer group: REST poll of stored records',
  metric: 'throughput',
  describe: (p: Profile) =>
    `${num(p.groupPollRecords)} records of ${sizeLabel(BYTES)} stored over ${SHAPE.partitions} partitions ` +
    `(preloaded in batches of ${SHAPE.preloadBatchRecords}, not measured), then consumed from the earliest offset ` +
    `by a fresh consumer group per read: ${SHAPE.groupPollMembers.join(' and ')} member(s), each polling with ` +
    `maxRecords=${num(SHAPE.fetchRecords)} (autoCommit on: every poll commits the positions the previous one returned) ` +
    `until it has read every record of its partitions. The members join and their assignment settles before the clock starts. ` +
    `One warm-up read, then ${p.runs} measured reads; records/s = records read / time of the whole read. Tributary only.`,
  async rows(ctx: BenchContext): Promise<Row[]> {
    const records = ctx.profile.groupPollRecords;
    assert(records % SHAPE.preloadBatchRecords === 0, 'preload count must be whole batches');
    const topic = 'f-group-poll';
    const identities = SHAPE.groupPollMembers.map(identity);
    try {
      return await withPreloadedTopic(ctx, topic, records, async () => {
        const rows: Row[] = [];
        for (const [i, members] of SHAPE.groupPollMembers.entries()) {
          rows.push(
            await measureRow(ctx, identities[i]!, () =>
              onLoadCore(
                ctx,
                {
                  job: {
                    driver: 'tributary-group-poll',
                    origin: ctx.node.origin,
                    key: ctx.node.key,
                    topic,
                    partitions: SHAPE.partitions,
                    groupPrefix: `f-${members}-`,
                    members,
                    maxRecords: SHAPE.fetchRecords,
                    maxBytes: POLL_BYTES,
                    messageBytes: BYTES,
                    expectedRecords: records,
                  },
                  // The driver reads each duration as the longest a read may take.
                  warmupMs: READ_MS_MAX,
                  durationMs: READ_MS_MAX,
                  runs: ctx.profile.runs,
                },
                nodeServer(ctx),
              ),
            ),
          );
        }
        return rows;
      });
    } catch (error) {
      if (error instanceof Aborted) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      return identities.map((id) => ({ ...id, status: 'failed', reason }));
    }
  },
};
