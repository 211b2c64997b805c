import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { LIMITS } from '@tributary/common';
import { FetchedRecordDto } from '../records/records.dto';

export class JoinGroupDto {
  @ApiPropertyOptional({ type: [String], description: 'Topic names; or give topicPattern' })
  topics?: string[];
  @ApiPropertyOptional({
    description:
      'A regular expression matched against whole topic names; topics created later that match join the subscription. Backreferences, lookarounds and nested repetition are refused.',
    example: 'orders\\..*',
  })
  topicPattern?: string;
  @ApiPropertyOptional({
    default: LIMITS.sessionTimeoutMsDefault,
    minimum: LIMITS.sessionTimeoutMsMin,
    maximum: LIMITS.sessionTimeoutMsMax,
    description: 'Without a call for this long, the member is removed and its partitions move',
  })
  sessionTimeoutMs?: number;
  @ApiPropertyOptional({ enum: ['latest', 'earliest'], default: 'latest' })
  autoOffsetReset?: string;
  @ApiPropertyOptional({
    default: true,
    description: 'Commit the positions a poll returned on the next poll (at-least-once)',
  })
  autoCommit?: boolean;
  @ApiPropertyOptional({
    pattern: '^[A-Za-z0-9_.-]{1,255}$',
    description:
      'Static membership: a member joining again with the same instanceId within its session timeout keeps its partitions',
  })
  instanceId?: string;
  @ApiPropertyOptional({
    enum: ['sticky', 'range', 'roundrobin'],
    default: 'sticky',
    description: "The group's assignor, fixed by its first member",
  })
  assignor?: string;
}

export class AssignmentDto {
  @ApiProperty() topic!: string;
  @ApiProperty({ type: [Number] }) partitions!: number[];
}

export class HeartbeatResponseDto {
  @ApiProperty({ description: 'Rises every time the assignment changes' })
  memberEpoch!: number;
  @ApiProperty({ type: [AssignmentDto], description: 'The partitions the member owns now' })
  assignment!: AssignmentDto[];
}

export class JoinGroupResponseDto extends HeartbeatResponseDto {
  @ApiProperty() memberId!: string;
  @ApiProperty({ description: 'Call at least this often (any member call counts)' })
  heartbeatIntervalMs!: number;
}

export class GroupRecordDto extends FetchedRecordDto {
  @ApiProperty() topic!: string;
}

export class PollResponseDto extends HeartbeatResponseDto {
  @ApiProperty({ type: [GroupRecordDto] }) records!: GroupRecordDto[];
}

export class CommitOffsetDto {
  @ApiProperty() topic!: string;
  @ApiProperty() partition!: number;
  @ApiProperty({ description: 'The next offset to consume (Kafka convention)' }) offset!: number;
  @ApiPropertyOptional({ type: String, nullable: true }) metadata?: string | null;
}

export class CommitRequestDto {
  @ApiPropertyOptional({
    type: [CommitOffsetDto],
    description: "Absent: commit the member's current positions",
  })
  offsets?: CommitOffsetDto[];
  @ApiPropertyOptional({ description: 'When given, must be the current member epoch' })
  memberEpoch?: number;
}

export class CommittedOffsetDto {
  @ApiProperty() topic!: string;
  @ApiProperty() partition!: number;
  @ApiProperty() offset!: number;
}

export class CommitResponseDto extends HeartbeatResponseDto {
  @ApiProperty({ type: [CommittedOffsetDto] }) offsets!: CommittedOffsetDto[];
}

export class SeekRequestDto {
  @ApiProperty() topic!: string;
  @ApiProperty() partition!: number;
  @ApiPropertyOptional({ description: 'An offset within [logStartOffset, highWatermark]' })
  offset?: number;
  @ApiPropertyOptional({
    description: 'Instead of offset: earliest, latest, or a timestamp in ms',
    example: 'earliest',
  })
  at?: string | number;
}

export class SeekResponseDto extends CommittedOffsetDto {}

export class GroupSummaryDto {
  @ApiProperty() group!: string;
  @ApiProperty({ enum: ['Empty', 'Reconciling', 'Stable'] }) state!: string;
}

export class GroupListDto {
  @ApiProperty({ type: [GroupSummaryDto] }) groups!: GroupSummaryDto[];
}

export class GroupMemberDto {
  @ApiProperty() memberId!: string;
  @ApiProperty({ type: String, nullable: true }) instanceId!: string | null;
  @ApiProperty() memberEpoch!: number;
  @ApiProperty({ description: '{topics: [...]} or {topicPattern}' }) subscription!: object;
  @ApiProperty({ type: [AssignmentDto] }) assignment!: AssignmentDto[];
  @ApiProperty({ type: [AssignmentDto], description: 'Where the assignor wants it to be' })
  targetAssignment!: AssignmentDto[];
  @ApiProperty() sessionTimeoutMs!: number;
  @ApiProperty() autoCommit!: boolean;
  @ApiProperty() lastHeartbeatAt!: string;
  @ApiProperty() sessionExpiresAt!: string;
}

export class GroupOffsetDto {
  @ApiProperty() topic!: string;
  @ApiProperty() partition!: number;
  @ApiProperty({ type: Number, nullable: true }) committedOffset!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: "Owner's next offset" })
  position!: number | null;
  @ApiProperty() highWatermark!: number;
  @ApiProperty({ type: Number, nullable: true }) lag!: number | null;
  @ApiProperty({ type: String, nullable: true }) metadata!: string | null;
}

export class GroupDto {
  @ApiProperty() group!: string;
  @ApiProperty({ enum: ['Empty', 'Reconciling', 'Stable'] }) state!: string;
  @ApiProperty() groupEpoch!: number;
  @ApiProperty({ type: String, nullable: true }) assignor!: string | null;
  @ApiProperty({ type: [GroupMemberDto] }) members!: GroupMemberDto[];
  @ApiProperty({ type: [GroupOffsetDto] }) offsets!: GroupOffsetDto[];
}

export class ResetOffsetsDto {
  @ApiProperty() topic!: string;
  @ApiPropertyOptional({ type: [Number], description: 'Absent: every partition' })
  partitions?: number[];
  @ApiProperty({
    description: '"earliest", "latest", {"offset": n} or {"timestamp": ms}',
    example: 'earliest',
  })
  to!: unknown;
}

export class ResetOffsetsResponseDto {
  @ApiProperty({ type: [CommittedOffsetDto] }) offsets!: CommittedOffsetDto[];
}
