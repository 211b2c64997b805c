// The read half of a group poll: records from the partitions a member owns, from the positions
// the poll starts at, taking the partitions in turn (a different one first on each poll) so that
// a busy partition cannot starve the others when a poll's limits run out; and the wait for the
// next record when there was none.
import { Inject, Injectable } from '@nestjs/common';
import { type MemberState } from '@tributary/coordination';
import { MetadataCache, type Topic } from '@tributary/metadata';
import { type BrokerClient, type PartitionPosition } from '@tributary/partitions';
import { type TenantPrincipal } from '../auth/principal';
import { BROKER_CLIENT } from '../node-services';
import { GatewayMetrics } from '../ops/gateway-metrics';
import {
  type ReadAs,
  type ReadCursor,
  type ReadLimits,
  readPartitionsInTurn,
} from '../records/partition-reads';
import { type FetchedRecordJson, type Format, toRecordJson } from '../records/record-codec';
import { keyToTp, MemberPositions } from './member-positions';

export interface PollParams {
  maxRecords: number;
  maxBytes: number;
  maxWaitMs: number;
  keyFormat: Format;
  valueFormat: Format;
}

export type GroupRecordJson = FetchedRecordJson & { topic: string };

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

@Injectable()
export class MemberFetcher {
  private rotation = 0;

  constructor(
    @Inject(BROKER_CLIENT) private readonly broker: BrokerClient,
    private readonly cache: MetadataCache,
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
      const topic = this.cache.topic(tp.topicId);
      if (topic === undefined) continue;
      cursors.push({ key, topic, tp, offset, ...readAs(topic, tp.partition) });
    }
    const first = cursors.length === 0 ? 0 : this.rotation++ % cursors.length;
    // Kafka's auto.offset.reset also applies to a position that retention overtook.
    const read = await readPartitionsInTurn(this.broker, cursors, first, params, (cursor) =>
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

  /** Parks until a record arrives past one of the positions, `waitMs` passes, or `signal`. */
  async awaitRecords(
    positions: readonly PartitionPosition[],
    waitMs: number,
    signal: AbortSignal,
  ): Promise<void> {
    await this.broker.awaitRecords(positions, waitMs, signal);
  }
}
