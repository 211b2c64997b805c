import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { METADATA_LIMITS } from '@tributary/metadata';
import { type Response } from 'express';
import { Auth, TenantRoute, type TenantPrincipal } from '../auth/principal';
import { invalid, objectBody, onlyFields, parseSafeInteger } from '../http/input';
import { ApiReadQueries, ApiTenant } from '../ops/api-docs';
import { GroupAdminService } from './group-admin.service';
import {
  parseAt,
  parseCommitOffsets,
  parseJoin,
  parsePartitions,
  parsePollQuery,
  parseResetTarget,
  requireString,
} from './group-input';
import { GroupMembersService } from './group-members.service';
import {
  CommitRequestDto,
  CommitResponseDto,
  GroupDto,
  GroupListDto,
  HeartbeatResponseDto,
  JoinGroupDto,
  JoinGroupResponseDto,
  PollResponseDto,
  ResetOffsetsDto,
  ResetOffsetsResponseDto,
  SeekRequestDto,
  SeekResponseDto,
} from './groups.dto';
import { clientGone } from '../http/client-gone';

@ApiTags('groups')
@TenantRoute()
@Controller('v1/groups')
export class GroupsController {
  constructor(
    private readonly members: GroupMembersService,
    private readonly admin: GroupAdminService,
  ) {}

  @Post(':group/members')
  @ApiParam({
    name: 'group',
    description: `The group id: 1-${METADATA_LIMITS.groupIdLengthMax} characters of well-formed Unicode, no control characters`,
  })
  @ApiBody({ type: JoinGroupDto })
  @ApiCreatedResponse({ type: JoinGroupResponseDto })
  @ApiTenant(
    'INVALID_REQUEST',
    'UNKNOWN_TOPIC_OR_PARTITION',
    'GROUP_MAX_SIZE_REACHED',
    'UNAVAILABLE',
  )
  join(
    @Auth() auth: TenantPrincipal,
    @Param('group') group: string,
    @Body() body: unknown,
  ): Promise<JoinGroupResponseDto> {
    return this.members.join(auth, group, parseJoin(objectBody(body)));
  }

  @Get(':group/members/:member/records')
  @ApiReadQueries('Long-poll across the assigned partitions')
  @ApiOkResponse({ type: PollResponseDto })
  @ApiTenant('INVALID_REQUEST', 'INVALID_FETCH_SIZE', 'UNKNOWN_MEMBER', 'QUOTA_EXCEEDED')
  poll(
    @Auth() auth: TenantPrincipal,
    @Param('group') group: string,
    @Param('member') member: string,
    @Query() query: Record<string, unknown>,
    @Res({ passthrough: true }) res: Response,
  ): Promise<PollResponseDto> {
    const params = parsePollQuery(query);
    // A client that goes away frees its parked poll at once.
    const signal = clientGone(res);
    return this.members.poll(auth, group, member, params, signal);
  }

  @Post(':group/members/:member/heartbeat')
  @HttpCode(200)
  @ApiOkResponse({ type: HeartbeatResponseDto })
  @ApiTenant('UNKNOWN_MEMBER')
  heartbeat(
    @Auth() auth: TenantPrincipal,
    @Param('group') group: string,
    @Param('member') member: string,
  ): Promise<HeartbeatResponseDto> {
    return this.members.heartbeat(auth, group, member);
  }

  @Post(':group/members/:member/commit')
  @HttpCode(200)
  @ApiBody({ type: CommitRequestDto, required: false })
  @ApiOkResponse({ type: CommitResponseDto })
  @ApiTenant(
    'INVALID_REQUEST',
    'UNKNOWN_MEMBER',
    'UNKNOWN_TOPIC_OR_PARTITION',
    'STALE_MEMBER_EPOCH',
  )
  commit(
    @Auth() auth: TenantPrincipal,
    @Param('group') group: string,
    @Param('member') member: string,
    @Body() body: unknown,
  ): Promise<CommitResponseDto> {
    const input = objectBody(body, true);
    onlyFields(input, ['offsets', 'memberEpoch']);
    return this.members.commit(
      auth,
      group,
      member,
      input.offsets === undefined ? undefined : parseCommitOffsets(input.offsets),
      input.memberEpoch === undefined
        ? undefined
        : parseSafeInteger(input.memberEpoch, 'memberEpoch'),
    );
  }

  @Post(':group/members/:member/seek')
  @HttpCode(200)
  @ApiBody({ type: SeekRequestDto })
  @ApiOkResponse({ type: SeekResponseDto })
  @ApiTenant(
    'INVALID_REQUEST',
    'UNKNOWN_MEMBER',
    'UNKNOWN_TOPIC_OR_PARTITION',
    'STALE_MEMBER_EPOCH',
    'OFFSET_OUT_OF_RANGE',
  )
  seek(
    @Auth() auth: TenantPrincipal,
    @Param('group') group: string,
    @Param('member') member: string,
    @Body() body: unknown,
  ): Promise<SeekResponseDto> {
    const input = objectBody(body);
    onlyFields(input, ['topic', 'partition', 'offset', 'at']);
    if ((input.offset === undefined) === (input.at === undefined)) {
      throw invalid('body', 'give exactly one of offset and at');
    }
    return this.members.seek(auth, group, member, {
      topic: requireString(input.topic, 'topic'),
      partition: parseSafeInteger(input.partition, 'partition', { max: 2 ** 31 - 1 }),
      to: input.offset !== undefined ? parseSafeInteger(input.offset, 'offset') : parseAt(input.at),
    });
  }

  @Delete(':group/members/:member')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Left; its partitions move to the other members' })
  @ApiTenant('UNKNOWN_MEMBER')
  async leave(
    @Auth() auth: TenantPrincipal,
    @Param('group') group: string,
    @Param('member') member: string,
  ): Promise<void> {
    await this.members.leave(auth, group, member);
  }

  @Get()
  @ApiOkResponse({ type: GroupListDto })
  @ApiTenant()
  list(@Auth() auth: TenantPrincipal): Promise<GroupListDto> {
    return this.admin.list(auth);
  }

  @Get(':group')
  @ApiOkResponse({ type: GroupDto })
  @ApiTenant('UNKNOWN_GROUP')
  describe(@Auth() auth: TenantPrincipal, @Param('group') group: string): Promise<GroupDto> {
    return this.admin.describe(auth, group);
  }

  @Delete(':group')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted with its committed offsets' })
  @ApiTenant('UNKNOWN_GROUP', 'GROUP_NOT_EMPTY')
  async delete(@Auth() auth: TenantPrincipal, @Param('group') group: string): Promise<void> {
    await this.admin.delete(auth, group);
  }

  @Post(':group/offsets')
  @HttpCode(200)
  @ApiBody({ type: ResetOffsetsDto })
  @ApiOkResponse({ type: ResetOffsetsResponseDto })
  @ApiTenant('INVALID_REQUEST', 'UNKNOWN_TOPIC_OR_PARTITION', 'GROUP_NOT_EMPTY')
  resetOffsets(
    @Auth() auth: TenantPrincipal,
    @Param('group') group: string,
    @Body() body: unknown,
  ): Promise<ResetOffsetsResponseDto> {
    const input = objectBody(body);
    onlyFields(input, ['topic', 'partitions', 'to']);
    return this.admin.resetOffsets(
      auth,
      group,
      requireString(input.topic, 'topic'),
      input.partitions === undefined ? undefined : parsePartitions(input.partitions),
      parseResetTarget(input.to),
    );
  }
}
