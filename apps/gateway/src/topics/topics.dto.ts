import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { METADATA_LIMITS } from '@tributary/metadata';
import { PARTITION_MAX } from '../http/input';
import { TOPIC_NAME_PATTERN } from '../ops/api-docs';

const CONFIG_EXAMPLE = { 'retention.ms': '604800000', durability: 'fsync' };
const CONFIG_NAMES =
  'retention.ms, retention.bytes, segment.bytes, segment.ms, max.message.bytes, cleanup.policy ' +
  '(delete), min.insync.replicas, durability (fsync | replicated), flush.ms';

export class CreateTopicDto {
  @ApiProperty({
    example: 'orders',
    pattern: TOPIC_NAME_PATTERN,
    description: "Kafka's rule: 1-249 characters of [a-zA-Z0-9._-], not . or ..",
  })
  name!: string;
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: METADATA_LIMITS.partitionsPerTopicMax,
    description: 'Default: 1',
    example: 6,
  })
  partitions?: number;
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: METADATA_LIMITS.replicationFactorMax,
    description: 'At most the number of alive nodes. Default: 1',
    example: 3,
  })
  replicationFactor?: number;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }] },
    example: CONFIG_EXAMPLE,
    description: `Kafka topic settings: ${CONFIG_NAMES}. Values are strings or numbers.`,
  })
  configs?: Record<string, string | number>;
}

export class UpdateTopicDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: METADATA_LIMITS.partitionsPerTopicMax,
    description: 'The new partition count; partitions only grow',
    example: 12,
  })
  partitions?: number;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'null' }] },
    description: `Settings to change (${CONFIG_NAMES}); null restores the default`,
    example: { 'retention.ms': '86400000', 'segment.ms': null },
  })
  configs?: Record<string, string | number | null>;
}

export class PartitionInfoDto {
  @ApiProperty({ type: 'integer', minimum: 0, maximum: PARTITION_MAX, example: 0 })
  partition!: number;
  @ApiProperty({
    type: 'integer',
    minimum: -1,
    description: 'Node id of the leader; -1 while there is none',
    example: 1,
  })
  leader!: number;
  @ApiProperty({ type: 'integer', minimum: 0, example: 3 }) leaderEpoch!: number;
  @ApiProperty({
    type: 'integer',
    isArray: true,
    description: 'Node ids, the preferred leader first',
    example: [1, 2, 3],
  })
  replicas!: number[];
  @ApiProperty({
    type: 'integer',
    isArray: true,
    description: 'The in-sync replicas',
    example: [1, 2, 3],
  })
  isr!: number[];
  @ApiProperty({
    type: 'integer',
    format: 'int64',
    minimum: -1,
    description: 'The first offset still in the log; -1 while no leader answers',
    example: 0,
  })
  logStartOffset!: number;
  @ApiProperty({
    type: 'integer',
    format: 'int64',
    minimum: -1,
    description: 'The offset after the last record every in-sync replica holds; -1 as above',
    example: 1042,
  })
  highWatermark!: number;
  @ApiProperty({
    type: 'integer',
    format: 'int64',
    minimum: -1,
    description: "The offset after the leader's last record; -1 as above",
    example: 1042,
  })
  logEndOffset!: number;
}

export class TopicDto {
  @ApiProperty({ example: 'orders' }) name!: string;
  @ApiProperty({ type: 'integer', minimum: 1, example: 3 }) replicationFactor!: number;
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
  @ApiProperty({ example: 'orders' }) name!: string;
  @ApiProperty({ type: 'integer', minimum: 1, example: 6 }) partitions!: number;
  @ApiProperty({ type: 'integer', minimum: 1, example: 3 }) replicationFactor!: number;
}

export class TopicListDto {
  @ApiProperty({ type: [TopicSummaryDto] }) topics!: TopicSummaryDto[];
}

export class OffsetDto {
  @ApiProperty({ type: 'integer', minimum: 0, maximum: PARTITION_MAX, example: 0 })
  partition!: number;
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 0, example: 1042 }) offset!: number;
  @ApiPropertyOptional({
    type: 'integer',
    format: 'int64',
    description: "For a timestamp lookup that found a record: that record's timestamp",
    example: 1763700000000,
  })
  timestamp?: number;
}

export class DeleteRecordsDto {
  @ApiProperty({
    type: 'integer',
    format: 'int64',
    minimum: -1,
    description: 'Records below this offset are deleted; -1 means the high watermark',
    example: 1000,
  })
  beforeOffset!: number;
}

export class DeleteRecordsResultDto {
  @ApiProperty({ type: 'integer', minimum: 0, maximum: PARTITION_MAX, example: 0 })
  partition!: number;
  @ApiProperty({
    type: 'integer',
    format: 'int64',
    minimum: 0,
    description: 'The new log start offset',
    example: 1000,
  })
  logStartOffset!: number;
}
