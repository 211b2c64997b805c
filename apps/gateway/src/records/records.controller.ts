import { Controller, Get, Headers, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiHeader,
  ApiOkResponse,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { LIMITS } from '@tributary/common';
import { type Request, type Response } from 'express';
import { Auth, TenantRoute, type TenantPrincipal } from '../auth/principal';
import { pathPartition, queryString } from '../http/input';
import { ApiFormatQueries, ApiReadQueries, ApiTenant } from '../ops/api-docs';
import { type FetchAnswer, FetchService, parseFetchQuery } from './fetch.service';
import { ProduceService } from './produce.service';
import { FetchResponseDto, ProduceRequestDto, ProduceResponseDto } from './records.dto';
import { clientGone } from '../http/client-gone';

@ApiTags('records')
@TenantRoute()
@Controller('v1/topics/:topic')
export class RecordsController {
  constructor(
    private readonly producer: ProduceService,
    private readonly fetcher: FetchService,
  ) {}

  @Post('records')
  @ApiQuery({
    name: 'acks',
    required: false,
    enum: ['all', '-1', '1', '0'],
    description: 'Default all',
  })
  @ApiFormatQueries()
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'A repeated request with the same key gets the first answer and writes nothing',
  })
  @ApiBody({
    description: `JSON (below) or application/x-ndjson (one record object per line); at most ${LIMITS.produceRecordsMax} records`,
    type: ProduceRequestDto,
  })
  @ApiOkResponse({ type: ProduceResponseDto })
  @ApiAcceptedResponse({
    type: ProduceResponseDto,
    description: 'acks=0: accepted, not yet written',
  })
  @ApiTenant(
    'INVALID_REQUEST',
    'INVALID_RECORD',
    'INVALID_REQUIRED_ACKS',
    'UNKNOWN_TOPIC_OR_PARTITION',
    'IDEMPOTENCY_KEY_REUSED',
    'MESSAGE_TOO_LARGE',
    'RECORD_LIST_TOO_LARGE',
    'UNSUPPORTED_MEDIA_TYPE',
    'QUOTA_EXCEEDED',
    'NOT_ENOUGH_REPLICAS',
    'BACKPRESSURE',
  )
  async produce(
    @Auth() auth: TenantPrincipal,
    @Param('topic') topic: string,
    @Query() query: Record<string, unknown>,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ProduceResponseDto> {
    const answer = await this.producer.produce(auth, {
      topic,
      acks: queryString(query, 'acks'),
      keyFormat: queryString(query, 'keyFormat'),
      valueFormat: queryString(query, 'valueFormat'),
      body: req.body as unknown,
      ndjson: Boolean(req.is('application/x-ndjson')),
      bodyBytes: Number(req.headers['content-length'] ?? 0) || 0,
      idempotencyKey,
    });
    res.status(answer.status);
    if (answer.replayed) res.setHeader('Idempotent-Replayed', 'true');
    return answer.body;
  }

  @Get('partitions/:partition/records')
  @ApiQuery({ name: 'offset', required: true, description: 'The first offset to return' })
  @ApiReadQueries('Long-poll')
  @ApiOkResponse({ type: FetchResponseDto })
  @ApiTenant(
    'INVALID_REQUEST',
    'INVALID_FETCH_SIZE',
    'UNKNOWN_TOPIC_OR_PARTITION',
    'OFFSET_OUT_OF_RANGE',
    'QUOTA_EXCEEDED',
  )
  fetch(
    @Auth() auth: TenantPrincipal,
    @Param('topic') topic: string,
    @Param('partition') partition: string,
    @Query() query: Record<string, unknown>,
    @Res({ passthrough: true }) res: Response,
  ): Promise<FetchAnswer> {
    const params = parseFetchQuery(query);
    // A client that goes away frees its parked long-poll at once.
    const signal = clientGone(res);
    return this.fetcher.fetch(auth, topic, pathPartition(partition), params, signal);
  }
}
