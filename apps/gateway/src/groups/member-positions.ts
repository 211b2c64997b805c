// Server-side positions of a group's members. The Coordinator keeps, per owned partition, the
// position the next poll reads from (under the key `tpKey(tp)`) and, beside it, the autoCommit
// mark (under `MARK + tpKey(tp)`): the position last committed on the member's behalf, so that
// a poll commits only what moved. Committed offsets themselves live in the metadata store.
import { BrokerError } from '@tributary/common';
import {
  flatten,
  type GroupView,
  type MemberState,
  type OffsetReset,
  type TopicPartitionRef,
  tpKey,
} from '@tributary/coordination';
import { type OffsetCommit } from '@tributary/metadata';
import { type PartitionPosition } from '@tributary/partitions';
import { type GatewayContext } from '../gateway-context';

/** The autoCommit mark of a partition: the position last committed on the member's behalf. */
const MARK = 'c:';

export class MemberPositions {
  constructor(private readonly ctx: GatewayContext) {}

  /** Where each owned partition is read from: its position, else the commit, else the reset. */
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
      if (this.ctx.metadata.cache.topic(tp.topicId) === undefined) continue;
      const position = view.positions.get(key);
      if (position !== undefined) {
        positions.set(key, position);
        continue;
      }
      committed ??= await this.committedOffsets(tenantId, groupId);
      let start = committed.get(key);
      if (start !== undefined) {
        resolved.set(MARK + key, start);
      } else {
        start = await this.resetOffset(tenantId, tp, member.autoOffsetReset);
      }
      positions.set(key, start);
      resolved.set(key, start);
    }
    return { positions, resolved };
  }

  /** The member's positions; `unmarkedOnly`: those not yet committed on its behalf. */
  currentPositions(member: MemberState, view: GroupView, unmarkedOnly = true): OffsetCommit[] {
    const commits: OffsetCommit[] = [];
    for (const tp of flatten(member.owned)) {
      const position = view.positions.get(tpKey(tp));
      if (position === undefined || this.ctx.metadata.cache.topic(tp.topicId) === undefined)
        continue;
      if (unmarkedOnly && view.positions.get(MARK + tpKey(tp)) === position) continue;
      commits.push({ ...tp, offset: position });
    }
    return commits;
  }

  /** Commits durably, then marks the positions as committed (best effort: fenced). */
  async commitAndMark(
    tenantId: string,
    groupId: string,
    version: number,
    commits: readonly OffsetCommit[],
  ): Promise<void> {
    if (commits.length === 0) return;
    await this.ctx.metadata.groupOffsets.commit(tenantId, groupId, commits);
    await this.ctx.coordinator.setPositions(
      tenantId,
      groupId,
      version,
      new Map(commits.map((c) => [MARK + tpKey(c), c.offset])),
    );
  }

  async resetOffset(tenantId: string, tp: TopicPartitionRef, reset: OffsetReset): Promise<number> {
    return (await this.ctx.broker.listOffset({ tenantId, ...tp }, reset)).offset;
  }

  private async committedOffsets(tenantId: string, groupId: string): Promise<Map<string, number>> {
    const rows = await this.ctx.metadata.groupOffsets.fetch(tenantId, groupId);
    return new Map(rows.map((r) => [tpKey(r), r.offset]));
  }
}

/** The Coordinator keys of the partitions' positions and autoCommit marks. */
export function positionKeys(partitions: readonly TopicPartitionRef[]): string[] {
  return partitions.flatMap((tp) => [tpKey(tp), MARK + tpKey(tp)]);
}

/** The partition of a position key (`tpKey`), at offset 0. */
export function keyToTp(tenantId: string, key: string): PartitionPosition {
  const colon = key.lastIndexOf(':');
  return {
    tenantId,
    topicId: key.slice(0, colon),
    partition: Number(key.slice(colon + 1)),
    offset: 0,
  };
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
