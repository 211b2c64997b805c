import { Controller, Inject, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { LIMITS } from '@tributary/common';
import { type Coordinator } from '@tributary/coordination';
import { Auth, TenantRoute, type TenantPrincipal } from '../auth/principal';
import { issueTicket } from '../auth/tickets';
import { COORDINATOR } from '../node-services';
import { ApiTenant } from '../ops/api-docs';

export class TicketDto {
  @ApiProperty({
    description: `Open GET /v1/ws?ticket=<this>, or an event stream (GET /v1/topics/{topic}/events?ticket=<this>), within ${LIMITS.wsTicketTtlMs / 1000} s; it works once`,
  })
  ticket!: string;
  @ApiProperty({ format: 'date-time', example: '2025-11-21T04:41:00.000Z' }) expiresAt!: string;
}

@ApiTags('websocket')
@TenantRoute()
@Controller('v1/ws')
export class TicketsController {
  constructor(@Inject(COORDINATOR) private readonly coordinator: Coordinator) {}

  /** For browsers, which cannot send an Authorization header on a WebSocket or an EventSource. */
  @Post('tickets')
  @ApiOperation({
    operationId: 'createTicket',
    summary: 'Create a single-use ticket',
    description: `A ticket standing for this key, for browsers, which cannot send an Authorization header on a WebSocket or an EventSource: open GET /v1/ws?ticket=… or GET /v1/topics/{topic}/events?ticket=… with it within ${LIMITS.wsTicketTtlMs / 1000} s. It works once.`,
  })
  @ApiCreatedResponse({ type: TicketDto })
  @ApiTenant('UNAVAILABLE')
  create(@Auth() auth: TenantPrincipal): Promise<TicketDto> {
    return issueTicket(this.coordinator, auth);
  }
}
