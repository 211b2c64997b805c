// The read half of a group poll: records from the partitions a member owns, from the positions
// the poll starts at, taking the partitions in turn (a different one first on each poll) so that
// a busy partition cannot starve the others when a poll's limits run out.
import { type MemberState } from '@tributary/coordination';
import { type Topic } from '@tributary/metadata';
import { type TenantPrincipal } from '../auth/principal';
import { type GatewayContext } from '../gateway-context';
import { type GatewayMetrics } from '../ops/gateway-metrics';
import {
  type ReadAs,
  type ReadCursor,
  type ReadLimits,
  readPartitionsInTurn,
} from '../records/partition-reads';
import { type Format, toRecordJson } from '../records/record-codec';
import { type GroupRecordJson } from './group-members.service';
import { keyToTp, type MemberPositions } from './member-positions';

/** A poll's records as JSON: each record with its topic, keys and values in the formats asked. */
export function recordsAsJson(formats: {
  keyFormat: Format;
  valueFormat: Format;
}): ReadAs<GroupRecordJson> {
  return (topic, partition) => ({
    toJson: (record) => ({
      topic: topic.name,
      ...toRecordJson(record, partition, formats.keyFormat, formats.valueFormat),
    }),
  });
}

export class MemberFetcher {
  private rotation = 0;

  constructor(
    private readonly ctx: GatewayContext,
    private readonly metrics: GatewayMetrics,
    private readonly positions: MemberPositions,
  ) {}

  /** Reads the owned partitions in turn (a different one first each time), within the limits. */
  async fetchOwned<T>(
    auth: TenantPrincipal,
    member: MemberState,
    positions: ReadonlyMap<string, number>,
    params: ReadLimits,
    readAs: ReadAs<T>,
  ): Promise<{ records: T[]; advanced: Map<string, number>; bytes: number }> {
    const cursors: (ReadCursor<T> & { key: string; topic: Topic })[] = [];
    for (const [key, offset] of positions) {
      const tp = keyToTp(auth.tenant.id, key);
      const topic = this.ctx.metadata.cache.topic(tp.topicId);
      if (topic === undefined) continue;
      cursors.push({ key, topic, tp, offset, ...readAs(topic, tp.partition) });
    }
    const first = cursors.length === 0 ? 0 : this.rotation++ % cursors.length;
    // Kafka's auto.offset.reset also applies to a position that retention overtook.
    const read = await readPartitionsInTurn(this.ctx.broker, cursors, first, params, (cursor) =>
      this.positions.resetOffset(auth.tenant.id, cursor.tp, member.autoOffsetReset),
    );
    const advanced = new Map<string, number>();
    read.ends.forEach((end, index) => {
      const cursor = cursors[index]!;
      if (end === undefined) return;
      if (end.nextOffset !== cursor.offset) advanced.set(cursor.key, end.nextOffset);
      this.metrics.countTraffic('fetch', auth.tenant.name, cursor.topic, end.records, end.logBytes);
    });
    return { records: read.records, advanced, bytes: read.logBytes };
  }
}
