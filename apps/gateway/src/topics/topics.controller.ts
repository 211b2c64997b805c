import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { Auth, TenantRoute, type TenantPrincipal } from '../auth/principal';
import { pathPartition, queryString } from '../http/input';
import { ApiPartitionParam, ApiTenant, ApiTopicParam, POSITION_PATTERN } from '../ops/api-docs';
import {
  CreateTopicDto,
  DeleteRecordsDto,
  DeleteRecordsResultDto,
  OffsetDto,
  TopicDto,
  TopicListDto,
  UpdateTopicDto,
} from './topics.dto';
import { TopicsService } from './topics.service';

@ApiTags('topics')
@TenantRoute()
@Controller('v1/topics')
export class TopicsController {
  constructor(private readonly topics: TopicsService) {}

  @Post()
  @ApiOperation({
    operationId: 'createTopic',
    summary: 'Create a topic',
    description:
      "Creates a topic with its partitions spread over the cluster's nodes, each replicated " +
      'on `replicationFactor` nodes. Names follow Kafka: 1-249 characters of `[a-zA-Z0-9._-]`, ' +
      'not `.` or `..`. Needs the admin permission on the topic.',
  })
  @ApiBody({ type: CreateTopicDto })
  @ApiCreatedResponse({ type: TopicDto })
  @ApiTenant(
    'INVALID_REQUEST',
    'INVALID_TOPIC',
    'INVALID_CONFIG',
    'INVALID_PARTITIONS',
    'TOPIC_ALREADY_EXISTS',
    'QUOTA_EXCEEDED',
    'UNSUPPORTED_MEDIA_TYPE',
  )
  create(@Auth() auth: TenantPrincipal, @Body() body: unknown): Promise<TopicDto> {
    return this.topics.create(auth, body);
  }

  @Get()
  @ApiOperation({
    operationId: 'listTopics',
    summary: 'List topics',
    description:
      "The tenant's topics this key has any permission on, with their partition counts and " +
      'replication factors.',
  })
  @ApiOkResponse({ type: TopicListDto, description: 'The topics this key has any right on' })
  @ApiTenant()
  list(@Auth() auth: TenantPrincipal): TopicListDto {
    return { topics: this.topics.list(auth) };
  }

  @Get(':topic')
  @ApiOperation({
    operationId: 'describeTopic',
    summary: 'Describe a topic',
    description:
      'Every partition with its leader, leader epoch, replicas, in-sync replicas and offsets ' +
      '(log start, high watermark, log end), and every setting in effect.',
  })
  @ApiTopicParam()
  @ApiOkResponse({ type: TopicDto })
  @ApiTenant('UNKNOWN_TOPIC_OR_PARTITION')
  describe(@Auth() auth: TenantPrincipal, @Param('topic') topic: string): Promise<TopicDto> {
    return this.topics.describe(auth, topic);
  }

  @Patch(':topic')
  @ApiOperation({
    operationId: 'updateTopic',
    summary: 'Alter a topic',
    description:
      'Changes settings (null restores a default) and adds partitions (a count only grows). ' +
      'Keyed records may map to other partitions afterwards, as in Kafka.',
  })
  @ApiTopicParam()
  @ApiBody({ type: UpdateTopicDto })
  @ApiOkResponse({ type: TopicDto })
  @ApiTenant(
    'INVALID_REQUEST',
    'INVALID_CONFIG',
    'INVALID_PARTITIONS',
    'UNKNOWN_TOPIC_OR_PARTITION',
    'QUOTA_EXCEEDED',
  )
  update(
    @Auth() auth: TenantPrincipal,
    @Param('topic') topic: string,
    @Body() body: unknown,
  ): Promise<TopicDto> {
    return this.topics.update(auth, topic, body);
  }

  @Delete(':topic')
  @ApiOperation({
    operationId: 'deleteTopic',
    summary: 'Delete a topic',
    description: 'Deletes the topic on every node, its data removed from disk.',
  })
  @ApiTopicParam()
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted; its data is removed from disk' })
  @ApiTenant('UNKNOWN_TOPIC_OR_PARTITION')
  delete(@Auth() auth: TenantPrincipal, @Param('topic') topic: string): Promise<void> {
    return this.topics.delete(auth, topic);
  }

  @Get(':topic/partitions/:partition/offsets')
  @ApiOperation({
    operationId: 'getPartitionOffset',
    summary: 'Look up an offset',
    description:
      "The partition's earliest offset (log start), latest (high watermark: the next offset " +
      'to be written), or the first offset whose timestamp is at or after a time.',
  })
  @ApiTopicParam()
  @ApiPartitionParam()
  @ApiQuery({
    name: 'at',
    required: false,
    description:
      'earliest, latest, or a timestamp in ms since the epoch: the first offset whose ' +
      'timestamp is at or after it',
    schema: { type: 'string', pattern: POSITION_PATTERN, default: 'latest' },
  })
  @ApiOkResponse({ type: OffsetDto })
  @ApiTenant('INVALID_REQUEST', 'UNKNOWN_TOPIC_OR_PARTITION')
  offsets(
    @Auth() auth: TenantPrincipal,
    @Param('topic') topic: string,
    @Param('partition') partition: string,
    @Query() query: Record<string, unknown>,
  ): Promise<OffsetDto> {
    return this.topics.offset(auth, topic, pathPartition(partition), queryString(query, 'at'));
  }

  @Post(':topic/partitions/:partition/delete-records')
  @ApiOperation({
    operationId: 'deleteRecords',
    summary: 'Delete records before an offset',
    description:
      "Moves the partition's log start to `beforeOffset`: records below it are no longer " +
      'readable, and segments wholly below it are removed.',
  })
  @ApiTopicParam()
  @ApiPartitionParam()
  @HttpCode(200)
  @ApiBody({ type: DeleteRecordsDto })
  @ApiOkResponse({ type: DeleteRecordsResultDto })
  @ApiTenant('INVALID_REQUEST', 'UNKNOWN_TOPIC_OR_PARTITION', 'OFFSET_OUT_OF_RANGE')
  deleteRecords(
    @Auth() auth: TenantPrincipal,
    @Param('topic') topic: string,
    @Param('partition') partition: string,
    @Body() body: unknown,
  ): Promise<DeleteRecordsResultDto> {
    return this.topics.deleteRecords(auth, topic, pathPartition(partition), body);
  }
}
