import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { type Response } from 'express';
import { Auth, TenantRoute, type TenantPrincipal } from '../auth/principal';
import { invalid, objectBody, onlyFields, parseSafeInteger } from '../http/input';
import { ApiGroupParam, ApiMemberParam, ApiReadQueries, ApiTenant } from '../ops/api-docs';
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
  @ApiOperation({
    operationId: 'joinGroup',
    summary: 'Join a consumer group',
    description:
      'Joins the group (created on first join) as a new member subscribed to topics or a ' +
      'pattern, and answers its memberId, member epoch and the partitions assigned to it. ' +
      'Every call of a member counts as its heartbeat; a member silent for ' +
      '`sessionTimeoutMs` is removed and its partitions move to the others.',
  })
  @ApiGroupParam()
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
  @ApiOperation({
    operationId: 'pollGroupRecords',
    summary: "Poll a member's records",
    description:
      "Reads the next records of the member's partitions from the positions the server " +
      'keeps, and answers them (each with its topic) with the member epoch and the current ' +
      'assignment. With autoCommit, each poll first commits what the previous poll returned ' +
      '(at-least-once, as in Kafka).',
  })
  @ApiGroupParam()
  @ApiMemberParam()
  @ApiReadQueries(
    'Long-poll: with nothing to read on any assigned partition, wait up to this long for a ' +
      'record (then answer an empty list)',
  )
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
  @ApiOperation({
    operationId: 'sendHeartbeat',
    summary: 'Heartbeat',
    description:
      'Keeps the member in the group and answers its member epoch and assignment, which ' +
      'change when members join or leave.',
  })
  @ApiGroupParam()
  @ApiMemberParam()
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
  @ApiOperation({
    operationId: 'commitGroupOffsets',
    summary: 'Commit offsets',
    description:
      "Commits the given offsets (the next offset to read, Kafka's convention), or without a " +
      "body the member's current positions. Only partitions the member owns; a member fenced " +
      'by a newer epoch gets 409 STALE_MEMBER_EPOCH.',
  })
  @ApiGroupParam()
  @ApiMemberParam()
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
  @ApiOperation({
    operationId: 'seekGroupPartition',
    summary: 'Seek a partition',
    description:
      "Moves the member's position on one of its partitions to an offset, or to the earliest, " +
      'the latest, or the first record at or after a timestamp. The next poll reads from there.',
  })
  @ApiGroupParam()
  @ApiMemberParam()
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
  @ApiOperation({
    operationId: 'leaveGroup',
    summary: 'Leave a consumer group',
    description: "Removes the member at once; its partitions move to the group's other members.",
  })
  @ApiGroupParam()
  @ApiMemberParam()
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
  @ApiOperation({
    operationId: 'listGroups',
    summary: 'List consumer groups',
    description: "The tenant's consumer groups this key has any permission on, with their states.",
  })
  @ApiOkResponse({ type: GroupListDto })
  @ApiTenant()
  list(@Auth() auth: TenantPrincipal): Promise<GroupListDto> {
    return this.admin.list(auth);
  }

  @Get(':group')
  @ApiOperation({
    operationId: 'describeGroup',
    summary: 'Describe a consumer group',
    description:
      'The group state, its members with their subscriptions and assignments, and per ' +
      'partition the committed offset, the high watermark and the lag.',
  })
  @ApiGroupParam()
  @ApiOkResponse({ type: GroupDto })
  @ApiTenant('UNKNOWN_GROUP')
  describe(@Auth() auth: TenantPrincipal, @Param('group') group: string): Promise<GroupDto> {
    return this.admin.describe(auth, group);
  }

  @Delete(':group')
  @ApiOperation({
    operationId: 'deleteGroup',
    summary: 'Delete a consumer group',
    description:
      'Deletes an empty group with its committed offsets; 409 GROUP_NOT_EMPTY while members remain.',
  })
  @ApiGroupParam()
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted with its committed offsets' })
  @ApiTenant('UNKNOWN_GROUP', 'GROUP_NOT_EMPTY')
  async delete(@Auth() auth: TenantPrincipal, @Param('group') group: string): Promise<void> {
    await this.admin.delete(auth, group);
  }

  @Post(':group/offsets')
  @ApiOperation({
    operationId: 'resetGroupOffsets',
    summary: "Reset a group's offsets",
    description:
      "Sets the group's committed offsets of a topic (every partition, or those given) to the " +
      'earliest, the latest, an offset, or the first record at or after a timestamp. Only ' +
      'while the group has no members (409 GROUP_NOT_EMPTY otherwise).',
  })
  @ApiGroupParam()
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
