import { ApiProperty } from '@nestjs/swagger';

export class ClusterNodeDto {
  @ApiProperty({ type: 'integer', minimum: 1, example: 1 }) id!: number;
  @ApiProperty({ example: '127.0.0.1', description: 'How the other nodes reach it' })
  host!: string;
  @ApiProperty({
    type: 'integer',
    minimum: 0,
    maximum: 65535,
    example: 8080,
    description: 'Its HTTP port',
  })
  port!: number;
  @ApiProperty({
    type: 'integer',
    minimum: 0,
    maximum: 65535,
    example: 9093,
    description: 'Its internal RPC port',
  })
  rpcPort!: number;
  @ApiProperty({ enum: ['alive', 'dead'], description: 'Whether its broker session is alive' })
  status!: 'alive' | 'dead';
  @ApiProperty({
    enum: ['active', 'shutting-down', 'draining'],
    description:
      'active: serving; shutting-down: stopping, its leaderships moving away; draining: every ' +
      'replica moving away (an operator drain)',
  })
  state!: 'active' | 'shutting-down' | 'draining';
  @ApiProperty({ type: 'integer', minimum: 0, example: 4, description: 'Partitions it leads' })
  leaders!: number;
  @ApiProperty({
    type: 'integer',
    minimum: 0,
    example: 12,
    description: 'Partition replicas it holds',
  })
  replicas!: number;
}

export class ClusterDto {
  @ApiProperty({ format: 'uuid', example: '6f1c8a2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b' })
  clusterId!: string;
  @ApiProperty({
    type: 'integer',
    nullable: true,
    minimum: 1,
    example: 1,
    description: 'The node acting as controller; null while none holds the lease',
  })
  controller!: number | null;
  @ApiProperty({ type: [ClusterNodeDto] }) nodes!: ClusterNodeDto[];
}
