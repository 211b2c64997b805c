import { Controller, Inject, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { LIMITS } from '@tributary/common';
import { Auth, TenantRoute, type TenantPrincipal } from '../auth/principal';
import { issueTicket } from '../auth/tickets';
import { GATEWAY_CONTEXT, type GatewayContext } from '../gateway-context';
import { ApiTenant } from '../ops/api-docs';

export class TicketDto {
  @ApiProperty({
    description: `Open GET /v1/ws?ticket=<this>, or an event stream (GET /v1/topics/{topic}/events?ticket=<this>), within ${LIMITS.wsTicketTtlMs / 1000} s; it works once`,
  })
  ticket!: string;
  @ApiProperty() expiresAt!: string;
}

@ApiTags('websocket')
@TenantRoute()
@Controller('v1/ws')
export class TicketsController {
  constructor(@Inject(GATEWAY_CONTEXT) private readonly ctx: GatewayContext) {}

  /** For browsers, which cannot send an Authorization header on a WebSocket or an EventSource. */
  @Post('tickets')
  @ApiCreatedResponse({ type: TicketDto })
  @ApiTenant('UNAVAILABLE')
  create(@Auth() auth: TenantPrincipal): Promise<TicketDto> {
    return issueTicket(this.ctx.coordinator, auth);
  }
}
