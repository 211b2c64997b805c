// Where a member's reads start. The group coordinator keeps, per owned partition, the position
// the next poll reads from; a partition without one starts from the group's committed offset
// (which also becomes its autoCommit mark: nothing to commit until it moves), else from the
// member's autoOffsetReset. Committed offsets themselves live in the metadata store.
import { Inject, Injectable } from '@nestjs/common';
import { BrokerError } from '@tributary/common';
import {
  commitMarkKey,
  flatten,
  type GroupView,
  type MemberState,
  type OffsetReset,
  parseTpKey,
  type TopicPartitionRef,
  tpKey,
} from '@tributary/coordination';
import { GroupOffsetRepository, MetadataCache } from '@tributary/metadata';
import {
  type BrokerClient,
  only,
  type OffsetSpec,
  type PartitionPosition,
  type TopicPartition,
} from '@tributary/partitions';
import { BROKER_CLIENT } from '../node-services';

@Injectable()
export class MemberPositions {
  constructor(
    @Inject(BROKER_CLIENT) private readonly broker: BrokerClient,
    private readonly cache: MetadataCache,
    private readonly groupOffsets: GroupOffsetRepository,
  ) {}

  /**
   * Where each owned partition is read from: its position, else the commit, else the reset.
   * `resolved`: the positions (and autoCommit marks) found here, for the poll to store.
   */
  async startPositions(
    tenantId: string,
    groupId: string,
    member: MemberState,
    view: GroupView,
  ): Promise<{ positions: Map<string, number>; resolved: Map<string, number> }> {
    const positions = new Map<string, number>();
    const resolved = new Map<string, number>();
    let committed: Map<string, number> | undefined;
    for (const tp of flatten(member.owned)) {
      const key = tpKey(tp);
      if (this.cache.topic(tp.topicId) === undefined) continue;
      const position = view.positions.get(key);
      if (position !== undefined) {
        positions.set(key, position);
        continue;
      }
      committed ??= await this.committedOffsets(tenantId, groupId);
      let start = committed.get(key);
      if (start !== undefined) {
        resolved.set(commitMarkKey(tp), start);
      } else {
        start = await this.resetOffset(tenantId, tp, member.autoOffsetReset);
      }
      positions.set(key, start);
      resolved.set(key, start);
    }
    return { positions, resolved };
  }

  async resetOffset(tenantId: string, tp: TopicPartitionRef, reset: OffsetReset): Promise<number> {
    return (await this.broker.listOffset({ tenantId, ...tp }, reset)).offset;
  }

  /** Where a seek moves a position: an offset within the log, or where a spec points. */
  async seekOffset(tp: TopicPartition, to: number | OffsetSpec): Promise<number> {
    if (typeof to === 'number') return checkInRange(only(await this.broker.states([tp])), to);
    return (await this.broker.listOffset(tp, to)).offset;
  }

  private async committedOffsets(tenantId: string, groupId: string): Promise<Map<string, number>> {
    const rows = await this.groupOffsets.fetch(tenantId, groupId);
    return new Map(rows.map((r) => [tpKey(r), r.offset]));
  }
}

/** The partition of a position key (`tpKey`), at offset 0. */
export function keyToTp(tenantId: string, key: string): PartitionPosition {
  return { tenantId, ...parseTpKey(key), offset: 0 };
}

/** A position a member may seek to: from the log start offset up to the high watermark. */
export function checkInRange(
  state: { logStartOffset: number; highWatermark: number },
  offset: number,
): number {
  if (offset < state.logStartOffset || offset > state.highWatermark) {
    throw new BrokerError(
      'OFFSET_OUT_OF_RANGE',
      `offset ${offset} is outside [${state.logStartOffset}, ${state.highWatermark}]`,
      { extra: { logStartOffset: state.logStartOffset, highWatermark: state.highWatermark } },
    );
  }
  return offset;
}
