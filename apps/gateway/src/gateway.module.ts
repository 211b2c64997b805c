import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TenantsController } from './admin/tenants.controller';
import { TenantsService } from './admin/tenants.service';
import { AuthGuard } from './auth/auth.guard';
import { ClusterOperationsController } from './cluster/cluster-operations.controller';
import { ClusterController } from './cluster/cluster.controller';
import { GroupAdminService } from './groups/group-admin.service';
import { GroupMembersService } from './groups/group-members.service';
import { GroupsController } from './groups/groups.controller';
import { GATEWAY_CONTEXT, type GatewayContext } from './gateway-context';
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
        { provide: GATEWAY_CONTEXT, useValue: ctx },
        {
          provide: GatewayMetrics,
          useFactory: () => new GatewayMetrics(ctx.metadata.cache, ctx.hosting),
        },
        { provide: APP_GUARD, useClass: AuthGuard },
        TenantsService,
        TopicsService,
        QuotaService,
        ProduceService,
        FetchService,
        GroupMembersService,
        GroupAdminService,
        EventStreamsService,
        WsOperations,
        WsGateway,
      ],
    };
  }
}
