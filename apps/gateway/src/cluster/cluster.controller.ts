// GET /v1/cluster: the nodes of the cluster, which are alive, which one is the controller, and
// how many partitions each leads and holds. The operator sees every partition; a tenant sees
// the nodes with the counts of its own partitions only.
import { Controller, Get, Inject, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { MetadataCache } from '@tributary/metadata';
import { type AuthenticatedRequest, AnyRoute } from '../auth/principal';
import { CLUSTER_VIEW, type ClusterView } from '../node-services';
import { ApiAnyCredential } from '../ops/api-docs';
import { ClusterDto, type ClusterNodeDto } from './cluster.dto';

@ApiTags('cluster')
@Controller('v1/cluster')
export class ClusterController {
  constructor(
    @Inject(CLUSTER_VIEW) private readonly cluster: ClusterView,
    private readonly cache: MetadataCache,
  ) {}

  @Get()
  @AnyRoute()
  @ApiOperation({
    summary: 'Describe the cluster',
    description:
      'The nodes (address, ports, alive or dead), the controller, and per node the partitions it ' +
      'leads and the replicas it holds: all of them for the operator, its own for a tenant.',
    operationId: 'describeCluster',
  })
  @ApiOkResponse({ type: ClusterDto })
  @ApiAnyCredential()
  describe(@Req() req: AuthenticatedRequest): ClusterDto {
    const principal = req.principal;
    const tenantId = principal?.kind === 'tenant' ? principal.tenant.id : undefined;
    const { cluster } = this;
    return {
      clusterId: cluster.clusterId,
      controller: cluster.controller(),
      nodes: describeNodes(cluster, this.cache, tenantId),
    };
  }
}

/** The nodes with the partitions each leads and holds: all of them, or a tenant's only. */
export function describeNodes(
  cluster: ClusterView,
  cache: MetadataCache,
  tenantId?: string,
): ClusterNodeDto[] {
  const leaders = new Map<number, number>();
  const replicas = new Map<number, number>();
  const tenants = tenantId === undefined ? cache.tenants().map((t) => t.id) : [tenantId];
  for (const tenant of tenants) {
    for (const topic of cache.topics(tenant)) {
      for (const partition of cache.partitions(topic.id)) {
        if (partition.leader >= 0)
          leaders.set(partition.leader, (leaders.get(partition.leader) ?? 0) + 1);
        for (const id of partition.replicas) replicas.set(id, (replicas.get(id) ?? 0) + 1);
      }
    }
  }
  return cluster.nodes().map((node) => ({
    id: node.id,
    host: node.host,
    port: node.port,
    rpcPort: node.rpcPort,
    status: node.alive ? 'alive' : 'dead',
    state: node.state,
    leaders: leaders.get(node.id) ?? 0,
    replicas: replicas.get(node.id) ?? 0,
  }));
}
