import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import {
  ApiKeyRepository,
  AuditRepository,
  GroupOffsetRepository,
  MetadataCache,
  TenantRepository,
  TopicRepository,
} from '@tributary/metadata';
import { TenantsController } from './admin/tenants.controller';
import { TenantsService } from './admin/tenants.service';
import { AuthGuard } from './auth/auth.guard';
import { ClusterOperationsController } from './cluster/cluster-operations.controller';
import { ClusterController } from './cluster/cluster.controller';
import { GroupAdminService } from './groups/group-admin.service';
import { GROUP_COORDINATOR } from './groups/group-coordinator.provider';
import { GroupMembersService } from './groups/group-members.service';
import { GroupsController } from './groups/groups.controller';
import { MemberFetcher } from './groups/member-fetcher';
import { MemberPositions } from './groups/member-positions';
import { type GatewayContext } from './gateway-context';
import {
  BROKER_CLIENT,
  CLOCK,
  CLUSTER_OPERATIONS,
  CLUSTER_VIEW,
  COORDINATOR,
  LOGGER,
  READINESS,
  type Readiness,
  TOPIC_HOSTING,
  type TopicHosting,
  WS_LIMITS,
} from './node-services';
import { GatewayMetrics } from './ops/gateway-metrics';
import { OpsController } from './ops/ops.controller';
import { FetchService } from './records/fetch.service';
import { ProduceService } from './records/produce.service';
import { QuotaService } from './records/quotas';
import { RecordsController } from './records/records.controller';
import { EventsController } from './streams/events.controller';
import { EventStreamsService } from './streams/event-streams.service';
import { TopicsController } from './topics/topics.controller';
import { TopicsService } from './topics/topics.service';
import { TicketsController } from './ws/tickets.controller';
import { WsGateway } from './ws/ws.gateway';
import { WsOperations } from './ws/ws-operations';
import { DEFAULT_WS_LIMITS } from './ws/ws-session';

@Module({})
export class GatewayModule {
  static forContext(ctx: GatewayContext): DynamicModule {
    return {
      module: GatewayModule,
      controllers: [
        OpsController,
        TenantsController,
        TopicsController,
        RecordsController,
        EventsController,
        GroupsController,
        TicketsController,
        ClusterController,
        ClusterOperationsController,
      ],
      providers: [
        ...nodeProviders(ctx),
        {
          provide: GatewayMetrics,
          inject: [MetadataCache, TOPIC_HOSTING],
          useFactory: (cache: MetadataCache, hosting: TopicHosting) =>
            new GatewayMetrics(cache, hosting),
        },
        { provide: APP_GUARD, useClass: AuthGuard },
        TenantsService,
        TopicsService,
        QuotaService,
        ProduceService,
        FetchService,
        GROUP_COORDINATOR,
        MemberPositions,
        MemberFetcher,
        GroupMembersService,
        GroupAdminService,
        EventStreamsService,
        WsOperations,
        WsGateway,
      ],
    };
  }
}

/** The parts of the node, one provider each (node-services.ts), for services to pick from. */
function nodeProviders(ctx: GatewayContext): Provider[] {
  const { metadata } = ctx;
  const readiness: Readiness = async () => ({
    metadata: await metadata.ping(),
    ...(await ctx.readiness?.()),
  });
  return [
    { provide: COORDINATOR, useValue: ctx.coordinator },
    { provide: BROKER_CLIENT, useValue: ctx.broker },
    { provide: CLOCK, useValue: ctx.clock },
    { provide: LOGGER, useValue: ctx.logger },
    { provide: TOPIC_HOSTING, useValue: ctx.hosting },
    { provide: CLUSTER_VIEW, useValue: ctx.cluster },
    { provide: CLUSTER_OPERATIONS, useValue: ctx.operations },
    { provide: READINESS, useValue: readiness },
    { provide: WS_LIMITS, useValue: Object.freeze({ ...DEFAULT_WS_LIMITS, ...ctx.wsLimits }) },
    { provide: MetadataCache, useValue: metadata.cache },
    { provide: TenantRepository, useValue: metadata.tenants },
    { provide: ApiKeyRepository, useValue: metadata.apiKeys },
    { provide: TopicRepository, useValue: metadata.topics },
    { provide: GroupOffsetRepository, useValue: metadata.groupOffsets },
    { provide: AuditRepository, useValue: metadata.audit },
  ];
}
