// Service routes: liveness, readiness (storage, metadata and coordination answer), metrics.
import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiProperty,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { type Response } from 'express';
import { GATEWAY_CONTEXT, type GatewayContext } from '../gateway-context';
import { GatewayMetrics } from './gateway-metrics';

export class HealthDto {
  @ApiProperty({ example: 'ok' }) status!: string;
}

export class ReadyDto {
  @ApiProperty({ enum: ['ready', 'not ready'] }) status!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'boolean' },
    example: { metadata: true, storage: true },
  })
  checks!: Record<string, boolean>;
}

@ApiTags('service')
@Controller()
export class OpsController {
  constructor(
    @Inject(GATEWAY_CONTEXT) private readonly ctx: GatewayContext,
    private readonly metrics: GatewayMetrics,
  ) {}

  @Get('healthz')
  @ApiOkResponse({ type: HealthDto, description: 'The process is up' })
  health(): HealthDto {
    return { status: 'ok' };
  }

  @Get('readyz')
  @ApiOkResponse({ type: ReadyDto, description: 'Storage, metadata and coordination answer' })
  @ApiServiceUnavailableResponse({ type: ReadyDto, description: 'Something is not ready' })
  async ready(@Res({ passthrough: true }) res: Response): Promise<ReadyDto> {
    const checks: Record<string, boolean> = {
      metadata: await this.ctx.metadata.ping(),
      ...(await this.ctx.readiness?.()),
    };
    const ready = Object.values(checks).every(Boolean);
    res.status(ready ? 200 : 503);
    return { status: ready ? 'ready' : 'not ready', checks };
  }

  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  @ApiOkResponse({ description: 'Prometheus text format', content: { 'text/plain': {} } })
  async scrape(@Res() res: Response): Promise<void> {
    const text = await this.metrics.metrics();
    res.type(this.metrics.contentType).send(text);
  }
}
