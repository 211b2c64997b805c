import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { LIMITS } from '@tributary/common';
import { ASSIGNORS } from '@tributary/coordination';
import { METADATA_LIMITS } from '@tributary/metadata';
import { PARTITION_MAX } from '../http/input';
import { FetchedRecordDto } from '../records/records.dto';

const MEMBER_ID_EXAMPLE = '5d0b9c8e-2f4a-4c1e-9b7d-3a6f8e1c2d4b';
const PARTITION = { type: 'integer', minimum: 0, maximum: PARTITION_MAX } as const;
const OFFSET = { type: 'integer', format: 'int64', minimum: 0 } as const;
const TIME = { type: 'integer', format: 'int64', minimum: 0 } as const;

export class JoinGroupDto {
  @ApiPropertyOptional({
    type: [String],
    maxItems: LIMITS.subscriptionTopicsMax,
    description: 'Topic names; or give topicPattern',
    example: ['orders'],
  })
  topics?: string[];
  @ApiPropertyOptional({
    maxLength: LIMITS.topicPatternLengthMax,
    description:
      'A regular expression matched against whole topic names; topics created later that match join the subscription. Backreferences, lookarounds and nested repetition are refused.',
    example: 'orders\\..*',
  })
  topicPattern?: string;
  @ApiPropertyOptional({
    type: 'integer',
    minimum: LIMITS.sessionTimeoutMsMin,
    maximum: LIMITS.sessionTimeoutMsMax,
    description: `Without a call for this long, the member is removed and its partitions move. Default: ${LIMITS.sessionTimeoutMsDefault}`,
  })
  sessionTimeoutMs?: number;
  @ApiPropertyOptional({
    enum: ['latest', 'earliest'],
    description: 'Where a partition without a committed offset is read from. Default: latest',
  })
  autoOffsetReset?: string;
  @ApiPropertyOptional({
    description:
      'Commit the positions a poll returned on the next poll (at-least-once). Default: true',
  })
  autoCommit?: boolean;
  @ApiPropertyOptional({
    pattern: '^[A-Za-z0-9_.-]{1,255}$',
    description:
      'Static membership: a member joining again with the same instanceId within its session timeout keeps its partitions',
    example: 'billing-worker-1',
  })
  instanceId?: string;
  @ApiPropertyOptional({
    enum: ASSIGNORS,
    description: "The group's assignor, fixed by its first member. Default: sticky",
  })
  assignor?: string;
}

export class AssignmentDto {
  @ApiProperty({ example: 'orders' }) topic!: string;
  @ApiProperty({ type: 'integer', isArray: true, example: [0, 1, 2] }) partitions!: number[];
}

export class HeartbeatResponseDto {
  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: 'Rises every time the assignment changes',
    example: 3,
  })
  memberEpoch!: number;
  @ApiProperty({ type: [AssignmentDto], description: 'The partitions the member owns now' })
  assignment!: AssignmentDto[];
}

export class JoinGroupResponseDto extends HeartbeatResponseDto {
  @ApiProperty({ example: MEMBER_ID_EXAMPLE }) memberId!: string;
  @ApiProperty({
    type: 'integer',
    minimum: 1,
    description:
      'Call at least this often (any member call counts): a third of the session timeout',
    example: 10000,
  })
  heartbeatIntervalMs!: number;
}

export class GroupRecordDto extends FetchedRecordDto {
  @ApiProperty({ example: 'orders' }) topic!: string;
}

export class PollResponseDto extends HeartbeatResponseDto {
  @ApiProperty({ type: [GroupRecordDto] }) records!: GroupRecordDto[];
}

export class CommitOffsetDto {
  @ApiProperty({ example: 'orders' }) topic!: string;
  @ApiProperty({ ...PARTITION, example: 0 }) partition!: number;
  @ApiProperty({
    ...OFFSET,
    description: 'The next offset to consume (Kafka convention)',
    example: 42,
  })
  offset!: number;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: METADATA_LIMITS.offsetMetadataLengthMax,
    description: 'Free text kept with the offset (no U+0000)',
  })
  metadata?: string | null;
}

export class CommitRequestDto {
  @ApiPropertyOptional({
    type: [CommitOffsetDto],
    maxItems: METADATA_LIMITS.offsetsPerCommitMax,
    description: "Absent: commit the member's current positions",
  })
  offsets?: CommitOffsetDto[];
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    description: 'When given, must be the current member epoch',
  })
  memberEpoch?: number;
}

export class CommittedOffsetDto {
  @ApiProperty({ example: 'orders' }) topic!: string;
  @ApiProperty({ ...PARTITION, example: 0 }) partition!: number;
  @ApiProperty({ ...OFFSET, example: 42 }) offset!: number;
}

export class CommitResponseDto extends HeartbeatResponseDto {
  @ApiProperty({ type: [CommittedOffsetDto] }) offsets!: CommittedOffsetDto[];
}

export class SeekRequestDto {
  @ApiProperty({ example: 'orders' }) topic!: string;
  @ApiProperty({ ...PARTITION, example: 0 }) partition!: number;
  @ApiPropertyOptional({
    ...OFFSET,
    description: 'An offset within [logStartOffset, highWatermark]; or give at',
  })
  offset?: number;
  @ApiPropertyOptional({
    oneOf: [{ type: 'string', enum: ['earliest', 'latest'] }, TIME],
    description:
      'Instead of offset: earliest, latest, or a timestamp in ms since the epoch (the first record at or after it)',
    example: 'earliest',
  })
  at?: string | number;
}

export class SeekResponseDto extends CommittedOffsetDto {}

const GROUP_STATES = ['Empty', 'Reconciling', 'Stable'];

export class GroupSummaryDto {
  @ApiProperty({ example: 'billing' }) group!: string;
  @ApiProperty({ enum: GROUP_STATES }) state!: string;
}

export class GroupListDto {
  @ApiProperty({ type: [GroupSummaryDto] }) groups!: GroupSummaryDto[];
}

export class GroupMemberDto {
  @ApiProperty({ example: MEMBER_ID_EXAMPLE }) memberId!: string;
  @ApiProperty({ type: String, nullable: true, example: null }) instanceId!: string | null;
  @ApiProperty({ type: 'integer', minimum: 0, example: 3 }) memberEpoch!: number;
  @ApiProperty({
    type: 'object',
    properties: {
      topics: { type: 'array', items: { type: 'string' } },
      topicPattern: { type: 'string' },
    },
    description: '{topics: [...]} or {topicPattern}, as the member joined',
    example: { topics: ['orders'] },
  })
  subscription!: { topics: string[] } | { topicPattern: string };
  @ApiProperty({ type: [AssignmentDto] }) assignment!: AssignmentDto[];
  @ApiProperty({ type: [AssignmentDto], description: 'Where the assignor wants it to be' })
  targetAssignment!: AssignmentDto[];
  @ApiProperty({ type: 'integer', minimum: 1, example: 30000 }) sessionTimeoutMs!: number;
  @ApiProperty() autoCommit!: boolean;
  @ApiProperty({ format: 'date-time', example: '2025-11-21T04:40:00.000Z' })
  lastHeartbeatAt!: string;
  @ApiProperty({ format: 'date-time', example: '2025-11-21T04:40:30.000Z' })
  sessionExpiresAt!: string;
}

export class GroupOffsetDto {
  @ApiProperty({ example: 'orders' }) topic!: string;
  @ApiProperty({ ...PARTITION, example: 0 }) partition!: number;
  @ApiProperty({ ...OFFSET, nullable: true, description: 'null: none committed', example: 40 })
  committedOffset!: number | null;
  @ApiProperty({
    ...OFFSET,
    nullable: true,
    description: "The owner's next offset; null when no member owns the partition",
    example: 42,
  })
  position!: number | null;
  @ApiProperty({ ...OFFSET, example: 45 }) highWatermark!: number;
  @ApiProperty({
    ...OFFSET,
    nullable: true,
    description: 'Records after the committed offset; null when none is committed',
    example: 5,
  })
  lag!: number | null;
  @ApiProperty({ type: String, nullable: true, example: null }) metadata!: string | null;
}

export class GroupDto {
  @ApiProperty({ example: 'billing' }) group!: string;
  @ApiProperty({ enum: GROUP_STATES }) state!: string;
  @ApiProperty({ type: 'integer', minimum: 0, example: 4 }) groupEpoch!: number;
  @ApiProperty({ type: String, nullable: true, enum: ASSIGNORS, example: 'sticky' })
  assignor!: string | null;
  @ApiProperty({ type: [GroupMemberDto] }) members!: GroupMemberDto[];
  @ApiProperty({ type: [GroupOffsetDto] }) offsets!: GroupOffsetDto[];
}

export class ResetOffsetsDto {
  @ApiProperty({ example: 'orders' }) topic!: string;
  @ApiPropertyOptional({
    type: 'integer',
    isArray: true,
    minItems: 1,
    description: 'Absent: every partition',
    example: [0, 1],
  })
  partitions?: number[];
  @ApiProperty({
    oneOf: [
      { type: 'string', enum: ['earliest', 'latest'] },
      {
        type: 'object',
        properties: { offset: OFFSET },
        required: ['offset'],
        additionalProperties: false,
      },
      {
        type: 'object',
        properties: { timestamp: TIME },
        required: ['timestamp'],
        additionalProperties: false,
      },
    ],
    description: '"earliest", "latest", {"offset": n} or {"timestamp": ms since the epoch}',
    example: 'earliest',
  })
  to!: 'earliest' | 'latest' | { offset: number } | { timestamp: number };
}

export class ResetOffsetsResponseDto {
  @ApiProperty({ type: [CommittedOffsetDto] }) offsets!: CommittedOffsetDto[];
}
