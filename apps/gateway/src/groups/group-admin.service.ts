// Group administration: list, describe (members, assignment, committed offsets and lag),
// delete an empty group, and reset an empty group's committed offsets. A group exists while it
// has members or committed offsets.
import { Inject, Injectable } from '@nestjs/common';
import { BrokerError, type Clock } from '@tributary/common';
import {
  flatten,
  GroupCoordinator,
  groupStatus,
  type GroupStatus,
  type GroupView,
  lastHeartbeatMs,
  type MemberState,
  sessionDeadlineMs,
  tpKey,
} from '@tributary/coordination';
import {
  checkGroupId,
  GroupOffsetRepository,
  MetadataCache,
  type OffsetCommit,
} from '@tributary/metadata';
import {
  type BrokerClient,
  only,
  type OffsetSpec,
  type TopicPartition,
} from '@tributary/partitions';
import { allowsAny, authorize } from '../auth/permissions';
import { type TenantPrincipal } from '../auth/principal';
import { BROKER_CLIENT, CLOCK } from '../node-services';
import { findTopic, topicPartition } from '../topics/topic-access';
import { checkGroup } from './group-calls';
import { type AssignmentJson, assignmentJson } from './group-json';
import { groupNotFound } from './subscription';

export interface GroupMemberJson {
  memberId: string;
  instanceId: string | null;
  memberEpoch: number;
  subscription: { topics: string[] } | { topicPattern: string };
  assignment: AssignmentJson[];
  targetAssignment: AssignmentJson[];
  sessionTimeoutMs: number;
  autoCommit: boolean;
  lastHeartbeatAt: string;
  sessionExpiresAt: string;
}

export interface GroupOffsetJson {
  topic: string;
  partition: number;
  committedOffset: number | null;
  /** The member's next offset, for a partition a member owns. */
  position: number | null;
  highWatermark: number;
  lag: number | null;
  metadata: string | null;
}

export interface GroupJson {
  group: string;
  state: GroupStatus;
  groupEpoch: number;
  assignor: string | null;
  members: GroupMemberJson[];
  offsets: GroupOffsetJson[];
}

export type ResetTarget = 'earliest' | 'latest' | { offset: number } | { timestamp: number };

@Injectable()
export class GroupAdminService {
  constructor(
    private readonly groups: GroupCoordinator,
    private readonly cache: MetadataCache,
    private readonly groupOffsets: GroupOffsetRepository,
    @Inject(BROKER_CLIENT) private readonly broker: BrokerClient,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async list(auth: TenantPrincipal): Promise<{ groups: { group: string; state: GroupStatus }[] }> {
    const tenantId = auth.tenant.id;
    const [live, committed] = await Promise.all([
      this.groups.list(tenantId),
      this.groupOffsets.listGroups(tenantId),
    ]);
    const names = [...new Set([...live, ...committed])]
      .filter((name) => allowsAny(auth.key, 'group', name))
      .sort();
    const liveSet = new Set(live);
    const groups = [];
    for (const group of names) {
      const state = liveSet.has(group)
        ? groupStatus((await this.current(auth, group)).state)
        : 'Empty';
      groups.push({ group, state });
    }
    return { groups };
  }

  async describe(auth: TenantPrincipal, groupId: string): Promise<GroupJson> {
    checkDescribe(auth, groupId);
    const tenantId = auth.tenant.id;
    const view = await this.current(auth, groupId);
    const committed = await this.groupOffsets.fetch(tenantId, groupId);
    if (view.state === null && committed.length === 0) throw groupNotFound(groupId);
    const highWatermarks = await this.highWatermarks(tenantId, [
      ...committed,
      ...(view.state?.members ?? []).flatMap((m) => flatten(m.owned)),
    ]);
    const rows = new Map<string, GroupOffsetJson>();
    const row = (topicId: string, partition: number): GroupOffsetJson | undefined => {
      const key = tpKey({ topicId, partition });
      const topic = this.cache.topic(topicId);
      if (topic === undefined) return undefined;
      let entry = rows.get(key);
      if (entry === undefined) {
        const state = { highWatermark: highWatermarks.get(key) ?? -1 };
        entry = {
          topic: topic.name,
          partition,
          committedOffset: null,
          position: view.positions.get(key) ?? null,
          highWatermark: state.highWatermark,
          lag: null,
          metadata: null,
        };
        rows.set(key, entry);
      }
      return entry;
    };
    for (const c of committed) {
      const entry = row(c.topicId, c.partition);
      if (entry === undefined) continue;
      entry.committedOffset = c.offset;
      entry.metadata = c.metadata;
      entry.lag = Math.max(0, entry.highWatermark - c.offset);
    }
    for (const member of view.state?.members ?? []) {
      for (const tp of flatten(member.owned)) row(tp.topicId, tp.partition);
    }
    return {
      group: groupId,
      state: groupStatus(view.state),
      groupEpoch: view.state?.groupEpoch ?? 0,
      assignor: view.state?.assignor ?? null,
      members: (view.state?.members ?? []).map((m) => this.memberJson(m, view)),
      offsets: [...rows.values()].sort((a, b) =>
        a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
      ),
    };
  }

  /**
   * The high watermark of each partition (of a topic that still exists), by tpKey: one call
   * per leader; -1 where the leader does not answer.
   */
  private async highWatermarks(
    tenantId: string,
    partitions: readonly { topicId: string; partition: number }[],
  ): Promise<Map<string, number>> {
    const unique = new Map<string, TopicPartition>();
    for (const { topicId, partition } of partitions) {
      if (this.cache.topic(topicId) === undefined) continue;
      unique.set(tpKey({ topicId, partition }), { tenantId, topicId, partition });
    }
    const tps = [...unique.values()];
    const states = await this.broker.states(tps);
    const found = new Map<string, number>();
    tps.forEach((tp, i) => {
      const outcome = states[i];
      found.set(tpKey(tp), outcome?.ok === true ? outcome.value.highWatermark : -1);
    });
    return found;
  }

  /** Deletes a group without members: its committed offsets go with it. */
  async delete(auth: TenantPrincipal, groupId: string): Promise<void> {
    checkGroup(auth, groupId, 'admin');
    const tenantId = auth.tenant.id;
    const view = await this.requireEmpty(auth, groupId);
    const deleted = await this.groupOffsets.deleteGroup(tenantId, groupId);
    if (view.state === null && deleted === 0) throw groupNotFound(groupId);
  }

  /** Sets an empty group's committed offsets on one topic. */
  async resetOffsets(
    auth: TenantPrincipal,
    groupId: string,
    topicName: string,
    partitions: readonly number[] | undefined,
    to: ResetTarget,
  ): Promise<{ offsets: { topic: string; partition: number; offset: number }[] }> {
    checkGroup(auth, groupId, 'admin');
    const topic = findTopic(this.cache, auth, topicName, 'read');
    const tps = (partitions ?? [...Array(topic.partitionCount).keys()]).map((p) =>
      topicPartition(topic, p),
    );
    await this.requireEmpty(auth, groupId);
    const commits: OffsetCommit[] = [];
    for (const tp of tps) {
      let offset: number;
      if (typeof to === 'object' && 'offset' in to) {
        const state = only(await this.broker.states([tp]));
        // Kafka's reset tool clamps an explicit offset into the partition's range.
        offset = Math.min(Math.max(to.offset, state.logStartOffset), state.highWatermark);
      } else {
        const spec: OffsetSpec = to;
        offset = (await this.broker.listOffset(tp, spec)).offset;
      }
      commits.push({ topicId: tp.topicId, partition: tp.partition, offset });
    }
    await this.groupOffsets.commit(auth.tenant.id, groupId, commits);
    return {
      offsets: commits.map((c) => ({
        topic: topic.name,
        partition: c.partition,
        offset: c.offset,
      })),
    };
  }

  /** The group with expired members removed (written back, so every process sees it). */
  private current(auth: TenantPrincipal, groupId: string): Promise<GroupView> {
    return this.groups.refresh(auth.tenant.id, groupId);
  }

  private async requireEmpty(auth: TenantPrincipal, groupId: string): Promise<GroupView> {
    const view = await this.current(auth, groupId);
    const count = view.state?.members.length ?? 0;
    if (count > 0) {
      throw new BrokerError(
        'GROUP_NOT_EMPTY',
        `group ${groupId} still has ${count} member${count === 1 ? '' : 's'}`,
      );
    }
    return view;
  }

  private memberJson(member: MemberState, view: GroupView): GroupMemberJson {
    const deadline = sessionDeadlineMs(member, view.liveness);
    const lastHeartbeat = lastHeartbeatMs(member, view.liveness, this.clock.nowMs());
    return {
      memberId: member.memberId,
      instanceId: member.instanceId ?? null,
      memberEpoch: member.memberEpoch,
      subscription:
        'pattern' in member.subscription
          ? { topicPattern: member.subscription.pattern }
          : { topics: member.subscription.topics },
      assignment: assignmentJson(this.cache, member.owned),
      targetAssignment: assignmentJson(this.cache, member.target),
      sessionTimeoutMs: member.sessionTimeoutMs,
      autoCommit: member.autoCommit,
      lastHeartbeatAt: new Date(lastHeartbeat).toISOString(),
      sessionExpiresAt: new Date(deadline).toISOString(),
    };
  }
}

/** Describing needs some right on the group, as listing it does. */
function checkDescribe(auth: TenantPrincipal, groupId: string): void {
  checkGroupId(groupId);
  if (!allowsAny(auth.key, 'group', groupId)) authorize(auth.key, 'read', 'group', groupId);
}
