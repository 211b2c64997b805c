// The operator's cluster operations: preferred-leader elections, reassignments, drains. Bodies
// are read by hand (cluster-operations.controller.ts); the classes describe them for OpenAPI.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** At most this many partitions per reassignment request. */
export const REASSIGN_PARTITIONS_MAX = 1_000;
/** At most this many replicas per partition. */
export const REPLICAS_MAX = 16;

export class ElectPreferredLeadersDto {
  @ApiPropertyOptional({ example: 'acme', description: 'Only this tenant (default: all)' })
  tenant?: string;
  @ApiPropertyOptional({
    example: 'orders',
    description: "Only this topic of the tenant (requires 'tenant')",
  })
  topic?: string;
}

export class ElectionDto {
  @ApiProperty({ example: 'acme' }) tenant!: string;
  @ApiProperty({ example: 'orders' }) topic!: string;
  @ApiProperty({ type: 'integer', minimum: 0, example: 0 }) partition!: number;
  @ApiProperty({
    type: 'integer',
    minimum: -1,
    example: 1,
    description: 'The leader after the election; -1 for none',
  })
  leader!: number;
  @ApiProperty({ type: 'integer', minimum: 0, example: 5 }) leaderEpoch!: number;
  @ApiProperty({
    enum: ['elected', 'not-needed', 'not-available'],
    description:
      'elected: the first replica leads now; not-needed: it led already; not-available: it is ' +
      'dead, shutting down, draining or out of the ISR',
  })
  result!: 'elected' | 'not-needed' | 'not-available';
}

export class ElectionListDto {
  @ApiProperty({ type: [ElectionDto] }) partitions!: ElectionDto[];
}

export class PartitionReplicasDto {
  @ApiProperty({ type: 'integer', minimum: 0, example: 0 }) partition!: number;
  @ApiProperty({
    type: 'integer',
    isArray: true,
    minItems: 1,
    maxItems: REPLICAS_MAX,
    example: [2, 3, 1],
    description:
      'The new replicas (node ids), the preferred leader first; more than now raises the replication factor',
  })
  replicas!: number[];
}

export class ReassignDto {
  @ApiProperty({ example: 'acme' }) tenant!: string;
  @ApiProperty({ example: 'orders' }) topic!: string;
  @ApiProperty({
    type: [PartitionReplicasDto],
    minItems: 1,
    maxItems: REASSIGN_PARTITIONS_MAX,
  })
  partitions!: PartitionReplicasDto[];
}

export class ReassignmentDto {
  @ApiProperty({ example: 'acme' }) tenant!: string;
  @ApiProperty({ example: 'orders' }) topic!: string;
  @ApiProperty({ type: 'integer', minimum: 0, example: 0 }) partition!: number;
  @ApiProperty({ type: 'integer', minimum: -1, example: 1, description: '-1 while there is none' })
  leader!: number;
  @ApiProperty({
    type: 'integer',
    isArray: true,
    example: [2, 3, 1],
    description: 'The replicas now',
  })
  replicas!: number[];
  @ApiProperty({ type: 'integer', isArray: true, example: [1, 2] }) isr!: number[];
  @ApiProperty({
    type: 'integer',
    isArray: true,
    example: [2, 3],
    description: 'Where the partition is moving; empty once the move is done',
  })
  targetReplicas!: number[];
}

export class ReassignmentListDto {
  @ApiProperty({ type: [ReassignmentDto] }) partitions!: ReassignmentDto[];
}
