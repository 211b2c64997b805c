// Service routes: liveness, readiness (storage, metadata and coordination answer), metrics.
import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { type Response } from 'express';
import { READINESS, type Readiness } from '../node-services';
import { GatewayMetrics } from './gateway-metrics';

export class HealthDto {
  @ApiProperty({ enum: ['ok'], example: 'ok' }) status!: string;
}

export class ReadyDto {
  @ApiProperty({ enum: ['ready', 'not ready'], example: 'ready' }) status!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'boolean' },
    example: { metadata: true, storage: true, coordination: true },
  })
  checks!: Record<string, boolean>;
}

@ApiTags('service')
@Controller()
export class OpsController {
  constructor(
    @Inject(READINESS) private readonly readiness: Readiness,
    private readonly metrics: GatewayMetrics,
  ) {}

  @Get('healthz')
  @ApiOperation({
    operationId: 'getHealth',
    summary: 'Liveness',
    description: 'Answers 200 while the process is up; it checks nothing else (see /readyz).',
    security: [],
  })
  @ApiOkResponse({ type: HealthDto, description: 'The process is up' })
  health(): HealthDto {
    return { status: 'ok' };
  }

  @Get('readyz')
  @ApiOperation({
    operationId: 'getReadiness',
    summary: 'Readiness',
    description:
      'Whether the node can serve: its data dir is writable, and the metadata store (Postgres ' +
      'or the embedded one) and coordination (Redis, when used) answer. 200 when every check ' +
      'passes, 503 with the same body otherwise.',
    security: [],
  })
  @ApiOkResponse({ type: ReadyDto, description: 'Storage, metadata and coordination answer' })
  @ApiServiceUnavailableResponse({ type: ReadyDto, description: 'Something is not ready' })
  async ready(@Res({ passthrough: true }) res: Response): Promise<ReadyDto> {
    const checks = await this.readiness();
    const ready = Object.values(checks).every(Boolean);
    res.status(ready ? 200 : 503);
    return { status: ready ? 'ready' : 'not ready', checks };
  }

  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'getMetrics',
    summary: 'Prometheus metrics',
    description:
      "The node's metrics in Prometheus's text format: HTTP latency by method, route and " +
      'status, the partitions it hosts and the size of their logs, and the Node.js process.',
    security: [],
  })
  @ApiOkResponse({
    description: 'Prometheus text format',
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  async scrape(@Res() res: Response): Promise<void> {
    const text = await this.metrics.metrics();
    res.type(this.metrics.contentType).send(text);
  }
}
