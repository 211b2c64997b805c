// The read half of a group poll: records from the partitions a member owns, from the positions
// the poll starts at, taking the partitions in turn (a different one first on each poll) so that
// a busy partition cannot starve the others when a poll's limits run out.
import { isBrokerError } from '@tributary/common';
import { type MemberState } from '@tributary/coordination';
import { type TenantPrincipal } from '../auth/principal';
import { type GatewayContext } from '../gateway-context';
import { type GatewayMetrics } from '../ops/gateway-metrics';
import { collectRecords, decodeBatches } from '../records/fetch.service';
import { toRecordJson } from '../records/record-codec';
import { type GroupRecordJson, type PollParams } from './group-members.service';
import { keyToTp, type MemberPositions } from './member-positions';

export class MemberFetcher {
  private rotation = 0;

  constructor(
    private readonly ctx: GatewayContext,
    private readonly metrics: GatewayMetrics,
    private readonly positions: MemberPositions,
  ) {}

  /** Reads the owned partitions in turn (a different one first each time), within the limits. */
  async fetchOwned(
    auth: TenantPrincipal,
    member: MemberState,
    positions: ReadonlyMap<string, number>,
    params: PollParams,
  ): Promise<{ records: GroupRecordJson[]; advanced: Map<string, number>; bytes: number }> {
    const records: GroupRecordJson[] = [];
    const advanced = new Map<string, number>();
    /** Keys and values returned (bounded by maxBytes), and log bytes read (the quota's unit). */
    let bytes = 0;
    let fetchedBytes = 0;
    const keys = [...positions.keys()];
    const first = keys.length === 0 ? 0 : this.rotation++ % keys.length;
    for (const key of [...keys.slice(first), ...keys.slice(0, first)]) {
      if (records.length >= params.maxRecords || bytes >= params.maxBytes) break;
      const tp = keyToTp(auth.tenant.id, key);
      const topic = this.ctx.metadata.cache.topic(tp.topicId);
      if (topic === undefined) continue;
      let offset = positions.get(key)!;
      let fetched;
      try {
        fetched = await this.ctx.broker.fetch({
          ...tp,
          offset,
          maxBytes: params.maxBytes - bytes,
          maxWaitMs: 0,
        });
      } catch (error) {
        if (!isBrokerError(error, 'OFFSET_OUT_OF_RANGE')) throw error;
        // Kafka's auto.offset.reset also applies to a position that retention overtook.
        offset = await this.positions.resetOffset(auth.tenant.id, tp, member.autoOffsetReset);
        advanced.set(key, offset);
        continue;
      }
      const collected = collectRecords(
        await decodeBatches(fetched.records),
        offset,
        params.maxRecords - records.length,
        (record): GroupRecordJson => ({
          topic: topic.name,
          ...toRecordJson(record, tp.partition, params.keyFormat, params.valueFormat),
        }),
        params.maxBytes - bytes,
      );
      records.push(...collected.records);
      bytes += Math.max(collected.bytes, 1);
      fetchedBytes += fetched.records.length;
      if (collected.nextOffset !== offset) advanced.set(key, collected.nextOffset);
      const labels = { tenant: auth.tenant.name, topic: topic.name };
      this.metrics.fetchRecords.inc(labels, collected.records.length);
      this.metrics.fetchBytes.inc(labels, fetched.records.length);
    }
    return { records, advanced, bytes: fetchedBytes };
  }
}
