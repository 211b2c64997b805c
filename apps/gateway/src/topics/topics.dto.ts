import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

const CONFIG_EXAMPLE = { 'retention.ms': '604800000', durability: 'fsync' };

export class CreateTopicDto {
  @ApiProperty({ example: 'orders', pattern: '^[a-zA-Z0-9._-]{1,249}$' })
  name!: string;
  @ApiPropertyOptional({ default: 1, minimum: 1, example: 6 })
  partitions?: number;
  @ApiPropertyOptional({ default: 1, minimum: 1 })
  replicationFactor?: number;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: CONFIG_EXAMPLE,
    description:
      'Kafka topic settings: retention.ms, retention.bytes, segment.bytes, segment.ms, ' +
      'max.message.bytes, cleanup.policy (delete), min.insync.replicas, durability ' +
      '(fsync | replicated), flush.ms. Values are strings or numbers.',
  })
  configs?: Record<string, string>;
}

export class UpdateTopicDto {
  @ApiPropertyOptional({ description: 'The new partition count; partitions only grow' })
  partitions?: number;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string', nullable: true },
    description: 'Settings to change; null restores the default',
  })
  configs?: Record<string, string | null>;
}

export class PartitionInfoDto {
  @ApiProperty() partition!: number;
  @ApiProperty({ description: 'Node id of the leader' }) leader!: number;
  @ApiProperty() leaderEpoch!: number;
  @ApiProperty({ type: [Number] }) replicas!: number[];
  @ApiProperty({ type: [Number] }) isr!: number[];
  @ApiProperty() logStartOffset!: number;
  @ApiProperty() highWatermark!: number;
  @ApiProperty() logEndOffset!: number;
}

export class TopicDto {
  @ApiProperty({ example: 'orders' }) name!: string;
  @ApiProperty() replicationFactor!: number;
  @ApiProperty({ type: [PartitionInfoDto] }) partitions!: PartitionInfoDto[];
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'Every setting in effect, defaults included',
    example: CONFIG_EXAMPLE,
  })
  configs!: Record<string, string>;
}

export class TopicSummaryDto {
  @ApiProperty() name!: string;
  @ApiProperty() partitions!: number;
  @ApiProperty() replicationFactor!: number;
}

export class TopicListDto {
  @ApiProperty({ type: [TopicSummaryDto] }) topics!: TopicSummaryDto[];
}

export class OffsetDto {
  @ApiProperty() partition!: number;
  @ApiProperty() offset!: number;
  @ApiPropertyOptional({ description: 'For a timestamp lookup: the record found' })
  timestamp?: number;
}

export class DeleteRecordsDto {
  @ApiProperty({
    description: 'Records below this offset are deleted; -1 means the high watermark',
    example: 1000,
  })
  beforeOffset!: number;
}

export class DeleteRecordsResultDto {
  @ApiProperty() partition!: number;
  @ApiProperty({ description: 'The new log start offset' }) logStartOffset!: number;
}
