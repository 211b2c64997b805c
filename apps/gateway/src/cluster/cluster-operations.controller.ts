// The operator's cluster operations: a preferred-leader election, partition reassignments
// (which also raise or lower a topic's replication factor) and draining a node so it can be
// removed. The controller carries out reassignments and drains step by step; GET /v1/cluster
// and GET /v1/cluster/reassignments show their progress. Every change is written to the audit
// log. (Controlled shutdown needs no route: a node given SIGTERM moves its leaderships away
// before it stops.)
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { BrokerError } from '@tributary/common';
import {
  AuditRepository,
  type JsonValue,
  MetadataCache,
  type PartitionState,
  type Topic,
} from '@tributary/metadata';
import { OperatorRoute } from '../auth/principal';
import { invalid, objectBody, onlyFields, parseSafeInteger } from '../http/input';
import {
  CLUSTER_OPERATIONS,
  CLUSTER_VIEW,
  type ClusterOperations,
  type ClusterView,
} from '../node-services';
import { ApiOperator } from '../ops/api-docs';
import {
  ElectionListDto,
  ElectPreferredLeadersDto,
  REASSIGN_PARTITIONS_MAX,
  ReassignDto,
  type ReassignmentDto,
  ReassignmentListDto,
  REPLICAS_MAX,
} from './cluster-operations.dto';
import { describeNodes } from './cluster.controller';
import { ClusterNodeDto } from './cluster.dto';

/** The highest node id. */
const NODE_ID_MAX = 2 ** 31 - 1;
/** The node id of the path, as nodeId() reads it. */
const ApiNodeParam = () =>
  ApiParam({
    name: 'id',
    description: 'The node id (TRIBUTARY_NODE_ID)',
    schema: { type: 'integer', minimum: 1, maximum: NODE_ID_MAX },
  });

@ApiTags('cluster')
@OperatorRoute()
@Controller('v1/cluster')
export class ClusterOperationsController {
  constructor(
    @Inject(CLUSTER_OPERATIONS) private readonly operations: ClusterOperations,
    @Inject(CLUSTER_VIEW) private readonly cluster: ClusterView,
    private readonly cache: MetadataCache,
    private readonly auditLog: AuditRepository,
  ) {}

  @Post('preferred-leader-elections')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Elect preferred leaders',
    description:
      "Makes each partition's first replica its leader again where it is alive, active and in " +
      'sync (after a failover, or with TRIBUTARY_AUTO_LEADER_REBALANCE=false). Every partition, ' +
      "or a tenant's, or one topic's.",
    operationId: 'electPreferredLeaders',
  })
  @ApiBody({ type: ElectPreferredLeadersDto, required: false })
  @ApiOkResponse({ type: ElectionListDto })
  @ApiOperator('INVALID_REQUEST', 'UNKNOWN_TENANT', 'UNKNOWN_TOPIC_OR_PARTITION')
  async electPreferredLeaders(@Body() body: unknown): Promise<ElectionListDto> {
    const input = objectBody(body, true);
    onlyFields(input, ['tenant', 'topic']);
    const topics = this.selectTopics(input.tenant, input.topic);
    const wanted = topics.flatMap((topic) =>
      this.cache.partitions(topic.id).map(({ partition }) => ({ topicId: topic.id, partition })),
    );
    const results = await this.operations.electPreferredLeaders(wanted);
    const elected = results.filter((r) => r.result === 'elected').length;
    if (elected > 0) await this.audit('cluster.elect-preferred-leaders', 'cluster', { elected });
    return {
      partitions: results.map(({ state, result }) => ({
        ...this.names(state.topicId),
        partition: state.partition,
        leader: state.leader,
        leaderEpoch: state.leaderEpoch,
        result,
      })),
    };
  }

  @Post('reassignments')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Reassign partitions',
    description:
      'Moves partitions to new replicas, the preferred leader first; naming more replicas than ' +
      'now raises the replication factor. The new replicas copy the log, join the ISR, the ' +
      'leadership moves into them, then the old replicas are dropped: no acknowledged record ' +
      'is lost and writes go on throughout. A new request for a partition replaces its target.',
    operationId: 'reassignPartitions',
  })
  @ApiBody({ type: ReassignDto })
  @ApiAcceptedResponse({ type: ReassignmentListDto, description: 'The moves have started' })
  @ApiOperator(
    'INVALID_REQUEST',
    'INVALID_REPLICA_ASSIGNMENT',
    'UNKNOWN_TENANT',
    'UNKNOWN_TOPIC_OR_PARTITION',
  )
  async reassign(@Body() body: unknown): Promise<ReassignmentListDto> {
    const input = objectBody(body);
    onlyFields(input, ['tenant', 'topic', 'partitions']);
    if (input.tenant === undefined) throw invalid('tenant', 'is required');
    if (input.topic === undefined) throw invalid('topic', 'is required');
    const [topic] = this.selectTopics(input.tenant, input.topic);
    if (!Array.isArray(input.partitions) || input.partitions.length === 0) {
      throw invalid('partitions', 'must be a non-empty array');
    }
    if (input.partitions.length > REASSIGN_PARTITIONS_MAX) {
      throw invalid('partitions', `at most ${REASSIGN_PARTITIONS_MAX} per request`);
    }
    const moves = input.partitions.map((raw, i) => {
      const field = `partitions[${i}]`;
      const item = objectBody(raw);
      onlyFields(item, ['partition', 'replicas'], field);
      const partition = parseSafeInteger(item.partition, `${field}.partition`, {
        max: topic!.partitionCount - 1,
        code: 'UNKNOWN_TOPIC_OR_PARTITION',
      });
      if (!Array.isArray(item.replicas) || item.replicas.length > REPLICAS_MAX) {
        throw invalid(
          `${field}.replicas`,
          `must be an array of 1 to ${REPLICAS_MAX} node ids`,
          'INVALID_REPLICA_ASSIGNMENT',
        );
      }
      const replicas = item.replicas.map((id, j) =>
        parseSafeInteger(id, `${field}.replicas[${j}]`, {
          min: 1,
          max: 2 ** 31 - 1,
          code: 'INVALID_REPLICA_ASSIGNMENT',
        }),
      );
      return { partition, replicas };
    });
    if (new Set(moves.map((m) => m.partition)).size !== moves.length) {
      throw invalid('partitions', 'name a partition at most once');
    }
    const states: PartitionState[] = [];
    for (const { partition, replicas } of moves) {
      states.push(await this.operations.reassign(topic!.id, partition, replicas));
    }
    await this.audit('cluster.reassign', `topic/${topic!.name}`, {
      tenant: this.names(topic!.id).tenant,
      partitions: moves.map((m) => ({ partition: m.partition, replicas: m.replicas })),
    });
    return { partitions: states.map((state) => this.reassignmentView(state)) };
  }

  @Get('reassignments')
  @ApiOperation({
    summary: 'Reassignments under way',
    description: 'The partitions still moving: their replicas now, ISR, leader and target.',
    operationId: 'listReassignments',
  })
  @ApiOkResponse({ type: ReassignmentListDto })
  @ApiOperator()
  reassignments(): ReassignmentListDto {
    const { cache } = this;
    const partitions: ReassignmentDto[] = [];
    for (const tenant of cache.tenants()) {
      for (const topic of cache.topics(tenant.id)) {
        for (const state of cache.partitions(topic.id)) {
          if (state.targetReplicas.length > 0) partitions.push(this.reassignmentView(state));
        }
      }
    }
    return { partitions };
  }

  @Post('nodes/:id/drain')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Drain a node',
    description:
      'Moves every partition replica off the node (leaderships first), onto the active nodes ' +
      'holding the fewest; new topics are no longer placed on it. Progress shows in GET ' +
      '/v1/cluster (its replicas count falls to 0); then it can be stopped and removed. The ' +
      'drain lasts across restarts until it is cancelled.',
    operationId: 'drainNode',
  })
  @ApiNodeParam()
  @ApiAcceptedResponse({ type: ClusterNodeDto, description: 'The drain has started' })
  @ApiOperator('UNKNOWN_NODE')
  async drain(@Param('id') id: string): Promise<ClusterNodeDto> {
    const nodeId = this.nodeId(id);
    await this.operations.setDraining(nodeId, true);
    await this.audit('cluster.drain', `node/${nodeId}`, null);
    return this.nodeView(nodeId);
  }

  @Delete('nodes/:id/drain')
  @ApiOperation({
    summary: 'Cancel a drain',
    description:
      'The node is active again: it may lead and take replicas. Replicas already moved stay ' +
      'where they are.',
    operationId: 'cancelDrain',
  })
  @ApiNodeParam()
  @ApiOkResponse({ type: ClusterNodeDto })
  @ApiOperator('UNKNOWN_NODE')
  async undrain(@Param('id') id: string): Promise<ClusterNodeDto> {
    const nodeId = this.nodeId(id);
    await this.operations.setDraining(nodeId, false);
    await this.audit('cluster.undrain', `node/${nodeId}`, null);
    return this.nodeView(nodeId);
  }

  @Delete('nodes/:id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Remove a node',
    description:
      'Forgets a stopped node that holds no partition replica (drain it first). 409 ' +
      'NODE_IN_USE while it is alive or still holds replicas.',
    operationId: 'removeNode',
  })
  @ApiNodeParam()
  @ApiNoContentResponse({ description: 'Removed from the registry' })
  @ApiOperator('UNKNOWN_NODE', 'NODE_IN_USE')
  async remove(@Param('id') id: string): Promise<void> {
    const nodeId = this.nodeId(id);
    await this.operations.removeNode(nodeId);
    await this.audit('cluster.remove-node', `node/${nodeId}`, null);
  }

  private nodeId(raw: string): number {
    if (!/^\d{1,10}$/.test(raw) || Number(raw) < 1 || Number(raw) > NODE_ID_MAX) {
      throw new BrokerError('UNKNOWN_NODE', `node ${JSON.stringify(raw)} does not exist`);
    }
    return Number(raw);
  }

  /** Every topic; a tenant's; or one topic of a tenant. */
  private selectTopics(tenantName: unknown, topicName: unknown): Topic[] {
    const { cache } = this;
    if (tenantName === undefined) {
      if (topicName !== undefined) throw invalid('topic', "needs 'tenant'");
      return cache.tenants().flatMap((tenant) => [...cache.topics(tenant.id)]);
    }
    if (typeof tenantName !== 'string') throw invalid('tenant', 'must be a string');
    const tenant = cache.tenantByName(tenantName);
    if (tenant === undefined) {
      throw new BrokerError(
        'UNKNOWN_TENANT',
        `tenant ${JSON.stringify(tenantName)} does not exist`,
      );
    }
    if (topicName === undefined) return [...cache.topics(tenant.id)];
    if (typeof topicName !== 'string') throw invalid('topic', 'must be a string');
    const topic = cache.topicByName(tenant.id, topicName);
    if (topic === undefined) {
      throw new BrokerError(
        'UNKNOWN_TOPIC_OR_PARTITION',
        `topic ${JSON.stringify(topicName)} does not exist`,
      );
    }
    return [topic];
  }

  private names(topicId: string): { tenant: string; topic: string } {
    const { cache } = this;
    const topic = cache.topic(topicId);
    const tenant = topic === undefined ? undefined : cache.tenant(topic.tenantId);
    return { tenant: tenant?.name ?? '', topic: topic?.name ?? '' };
  }

  private reassignmentView(state: PartitionState): ReassignmentDto {
    return {
      ...this.names(state.topicId),
      partition: state.partition,
      leader: state.leader,
      replicas: [...state.replicas],
      isr: [...state.isr],
      targetReplicas: [...state.targetReplicas],
    };
  }

  private nodeView(nodeId: number): ClusterNodeDto {
    const node = describeNodes(this.cluster, this.cache).find((n) => n.id === nodeId);
    if (node === undefined) {
      throw new BrokerError('UNKNOWN_NODE', `node ${nodeId} is not registered`);
    }
    return node;
  }

  private async audit(action: string, target: string, detail: JsonValue | null): Promise<void> {
    await this.auditLog.append({ actor: 'operator', action, target, detail });
  }
}
