import { Controller, Get, Headers, Param, Query, Req, Res } from '@nestjs/common';
import {
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { checkGroupId, METADATA_LIMITS } from '@tributary/metadata';
import { type Request, type Response } from 'express';
import {
  Auth,
  type AuthenticatedRequest,
  TenantRoute,
  type TenantPrincipal,
} from '../auth/principal';
import { invalid, oneOf, queryString } from '../http/input';
import { ApiFormatQueries, ApiTenant, ApiTopicParam, POSITION_PATTERN } from '../ops/api-docs';
import { FORMATS } from '../records/record-codec';
import { CURSOR_PARTITIONS_MAX, parseFrom, parseLastEventId } from './event-cursor';
import { EventStreamsService, type StreamParams } from './event-streams.service';
import { KEEPALIVE_MS } from './sse-writer';
import { clientGone } from '../http/client-gone';

const DESCRIPTION = `A live stream of the topic's records as Server-Sent Events (\`text/event-stream\`).

Each record is an event whose \`id\` is \`partition:offset\` and whose \`data\` is the record as a fetch returns it (\`partition, offset, timestamp, key, value, headers\`, in keyFormat and valueFormat). Events are sent in batches; a comment line \`: keepalive\` is sent after ${KEEPALIVE_MS / 1000} s without one. After the stream started, an error is sent as \`event: error\` with the problem+json object as data, and the stream ends. The stream also ends when the node shuts down; reconnect.

**Without \`group\`** the connection reads every partition, from \`from\` (earliest, latest or a timestamp in ms: the first record at or after it), keeping its positions on the connection only. After each batch (and once at the start) the stream sends a block with only an \`id\`: the cursor of every partition, \`0:41,1:-1,2:17\` (the last offset delivered in each; -1: none yet). EventSource dispatches nothing for it but keeps it as its last event id, so on reconnect \`Last-Event-ID\` carries the cursor and every partition resumes exactly after it: nothing re-sent, nothing skipped. A \`Last-Event-ID\` naming some partitions (a single record id such as \`2:17\`, or a list) resumes those after the offsets given and the others from \`from\`. A resume point removed by retention starts at the log start; one past the high watermark is 416. Topics with more than ${CURSOR_PARTITIONS_MAX} partitions get no cursor blocks. Partitions added while streaming are read from their beginning.

**With \`group\`** the connection joins the consumer group as a member subscribed to this topic (\`from\` earliest or latest is its autoOffsetReset) and shares the partitions with the group's other members; \`event: assignment\` (\`{memberId, memberEpoch, partitions}\`) tells which partitions it reads, at the start and whenever they change. Positions are the group's and \`Last-Event-ID\` is ignored. Positions are committed once the records were written out, just before the next poll; delivery is at-least-once (after a reconnect or a rebalance the last batch may come again: use the ids to drop duplicates). The member leaves the group when the stream ends.

Bytes streamed count against the fetch quota; a stream over it is slowed down rather than ended.`;

const STREAM_EXAMPLE = [
  'id: 0:-1,1:-1',
  '',
  'id: 1:0',
  'data: {"partition":1,"offset":0,"timestamp":1763700000000,"key":"user-42","value":{"amount":42},"headers":[]}',
  '',
  'id: 0:-1,1:0',
  '',
  ': keepalive',
  '',
  '',
].join('\n');

@ApiTags('records')
@TenantRoute()
@Controller('v1/topics/:topic')
export class EventsController {
  constructor(private readonly streams: EventStreamsService) {}

  @Get('events')
  @ApiOperation({
    operationId: 'streamRecords',
    summary: 'Stream records as Server-Sent Events',
    description: DESCRIPTION,
  })
  @ApiTopicParam()
  @ApiQuery({
    name: 'group',
    required: false,
    description: 'Read as a member of this consumer group (shares the partitions)',
    schema: { type: 'string', minLength: 1, maxLength: METADATA_LIMITS.groupIdLengthMax },
  })
  @ApiQuery({
    name: 'from',
    required: false,
    description:
      'earliest, latest or a timestamp in ms since the epoch; with a group only earliest or latest (its autoOffsetReset)',
    schema: { type: 'string', pattern: POSITION_PATTERN, default: 'latest' },
  })
  @ApiFormatQueries()
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description:
      'Resume after it: `partition:offset` or a comma list of them (the cursor the stream sent); ignored with a group',
    schema: { type: 'string', example: '0:41,1:-1' },
  })
  @ApiQuery({
    name: 'lastEventId',
    required: false,
    description:
      'The same as the Last-Event-ID header, for a browser that opens a new EventSource (with a fresh ticket) where the old one stopped; the header wins when both are sent',
    schema: { type: 'string' },
  })
  @ApiQuery({
    name: 'ticket',
    required: false,
    description:
      'A single-use ticket from POST /v1/ws/tickets instead of the Authorization header, for EventSource (which cannot send headers)',
    schema: { type: 'string' },
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description: 'The event stream; it ends when the client leaves, on an error, or on shutdown',
    content: { 'text/event-stream': { schema: { type: 'string' }, example: STREAM_EXAMPLE } },
  })
  @ApiTenant(
    'INVALID_REQUEST',
    'UNKNOWN_TOPIC_OR_PARTITION',
    'OFFSET_OUT_OF_RANGE',
    'GROUP_MAX_SIZE_REACHED',
    'QUOTA_EXCEEDED',
    'UNAVAILABLE',
  )
  async events(
    @Auth() auth: TenantPrincipal,
    @Param('topic') topic: string,
    @Query() query: Record<string, unknown>,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const params = parseStreamQuery(query, lastEventId ?? queryString(query, 'lastEventId'));
    // A client that goes away ends its stream (and its group membership) at once.
    const signal = clientGone(res);
    await this.streams.serve(auth, topic, params, {
      res,
      requestId: (req as AuthenticatedRequest).id,
      signal,
    });
  }
}

export function parseStreamQuery(
  query: Record<string, unknown>,
  lastEventId: string | undefined,
): StreamParams {
  const group = queryString(query, 'group');
  if (group !== undefined) checkGroupId(group);
  const from = parseFrom(queryString(query, 'from'));
  if (group !== undefined && typeof from !== 'string') {
    throw invalid('from', 'with a group, must be earliest or latest (its autoOffsetReset)');
  }
  const keyFormat = queryString(query, 'keyFormat');
  const valueFormat = queryString(query, 'valueFormat');
  return {
    group,
    from,
    // A group's positions are its own; a member's Last-Event-ID has no say over them.
    delivered: group === undefined ? parseLastEventId(lastEventId) : undefined,
    keyFormat: keyFormat === undefined ? 'string' : oneOf(keyFormat, 'keyFormat', FORMATS),
    valueFormat: valueFormat === undefined ? 'json' : oneOf(valueFormat, 'valueFormat', FORMATS),
  };
}
