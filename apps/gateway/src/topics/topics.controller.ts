import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { Auth, TenantRoute, type TenantPrincipal } from '../auth/principal';
import { pathPartition, queryString } from '../http/input';
import { ApiTenant } from '../ops/api-docs';
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
  @ApiOkResponse({ type: TopicListDto, description: 'The topics this key has any right on' })
  @ApiTenant()
  list(@Auth() auth: TenantPrincipal): TopicListDto {
    return { topics: this.topics.list(auth) };
  }

  @Get(':topic')
  @ApiOkResponse({ type: TopicDto })
  @ApiTenant('UNKNOWN_TOPIC_OR_PARTITION')
  describe(@Auth() auth: TenantPrincipal, @Param('topic') topic: string): Promise<TopicDto> {
    return this.topics.describe(auth, topic);
  }

  @Patch(':topic')
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
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted; its data is removed from disk' })
  @ApiTenant('UNKNOWN_TOPIC_OR_PARTITION')
  delete(@Auth() auth: TenantPrincipal, @Param('topic') topic: string): Promise<void> {
    return this.topics.delete(auth, topic);
  }

  @Get(':topic/partitions/:partition/offsets')
  @ApiQuery({
    name: 'at',
    required: false,
    description: 'earliest, latest (default) or a timestamp in ms: the first offset at or after it',
    example: 'earliest',
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
