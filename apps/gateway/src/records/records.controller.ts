import { Controller, Get, Headers, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { LIMITS } from '@tributary/common';
import { type Request, type Response } from 'express';
import { Auth, TenantRoute, type TenantPrincipal } from '../auth/principal';
import { pathPartition, queryString } from '../http/input';
import {
  ApiFormatQueries,
  ApiPartitionParam,
  ApiReadQueries,
  ApiTenant,
  ApiTopicParam,
} from '../ops/api-docs';
import { type FetchAnswer, FetchService, parseFetchQuery } from './fetch.service';
import { IDEMPOTENCY_KEY } from './idempotency';
import { ProduceService } from './produce.service';
import {
  FetchResponseDto,
  PRODUCE_EXAMPLES,
  ProduceRequestDto,
  ProduceResponseDto,
} from './records.dto';
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
  @ApiOperation({
    operationId: 'produceRecords',
    summary: 'Produce records',
    description:
      'Appends records to the topic. Each goes to its `partition` if given, else to the ' +
      "partition Kafka's default partitioner picks for its key, else to a sticky one. The " +
      'answer gives each record its partition, offset and timestamp, in request order. ' +
      'A request is all-or-nothing per partition: an invalid record rejects the whole request ' +
      'before anything is written. With `acks=all` (the default) the answer comes once every ' +
      'in-sync replica holds the records, with `acks=1` once the leader does, with `acks=0` ' +
      'at once (202).',
  })
  @ApiTopicParam()
  @ApiQuery({
    name: 'acks',
    required: false,
    description: 'all (or -1): every in-sync replica holds the records; 1: the leader; 0: none',
    schema: { type: 'string', enum: ['all', '-1', '1', '0'], default: 'all' },
  })
  @ApiFormatQueries()
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      `A retry with the same key (and the same body) within ${LIMITS.idempotencyWindowMs / 3_600_000} hours ` +
      'gets the first answer and writes nothing again; 1-255 visible ASCII characters',
    schema: { type: 'string', pattern: IDEMPOTENCY_KEY.source },
  })
  @ApiBody({
    description: `JSON (below) or application/x-ndjson (one record object per line); at most ${LIMITS.produceRecordsMax} records`,
    type: ProduceRequestDto,
    examples: PRODUCE_EXAMPLES,
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
  @ApiOperation({
    operationId: 'fetchRecords',
    summary: 'Fetch records',
    description:
      'Reads records of one partition from `offset`, up to the high watermark: at most ' +
      '`maxRecords`, about `maxBytes`. `nextOffset` is the offset to fetch next. With ' +
      '`maxWaitMs` the call long-polls: with nothing at `offset` it waits until a record ' +
      'arrives or the time is up. An offset below the log start or above the high watermark ' +
      'is 416 OFFSET_OUT_OF_RANGE.',
  })
  @ApiTopicParam()
  @ApiPartitionParam()
  @ApiQuery({
    name: 'offset',
    required: true,
    description: 'The first offset to return (see getPartitionOffset for the earliest and latest)',
    schema: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
  })
  @ApiReadQueries(
    'Long-poll: with nothing at `offset`, wait up to this long for a record (then answer an ' +
      'empty list)',
  )
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
