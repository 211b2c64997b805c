// Operator-facing shapes: tenants, quotas, API keys. Bodies are read by hand (input.ts) into
// these shapes; the classes describe them for OpenAPI.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { type ApiKey, type Tenant } from '@tributary/metadata';

export class QuotasDto {
  @ApiPropertyOptional({ example: 10485760, description: 'Produced bytes per second' })
  produceBytesPerSec?: number;
  @ApiPropertyOptional({ example: 52428800, description: 'Fetched bytes per second' })
  fetchBytesPerSec?: number;
  @ApiPropertyOptional({ example: 100 })
  maxTopics?: number;
  @ApiPropertyOptional({ example: 1000, description: 'Partitions over all topics' })
  maxPartitions?: number;
  @ApiPropertyOptional({ example: 107374182400, description: 'Bytes on disk over all topics' })
  maxStorageBytes?: number;
}

export class CreateTenantDto {
  @ApiProperty({ pattern: '^[a-z0-9-]{1,63}$', example: 'acme' })
  name!: string;
  @ApiPropertyOptional({ type: QuotasDto })
  quotas?: QuotasDto;
}

export class UpdateTenantDto {
  @ApiProperty({
    type: QuotasDto,
    description: 'Replaces the quotas; an absent quota is unlimited',
  })
  quotas!: QuotasDto;
}

export class TenantDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ example: 'acme' })
  name!: string;
  @ApiProperty({ type: QuotasDto })
  quotas!: QuotasDto;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
}

export class TenantListDto {
  @ApiProperty({ type: [TenantDto] })
  tenants!: TenantDto[];
}

export class PermissionDto {
  @ApiProperty({ enum: ['read', 'write', 'admin'] })
  operation!: string;
  @ApiProperty({ enum: ['topic', 'group'] })
  resource!: string;
  @ApiProperty({
    example: 'orders',
    maxLength: 255,
    description: '"*" with literal matches every name. 1-255 characters, no control characters',
  })
  pattern!: string;
  @ApiProperty({ enum: ['literal', 'prefixed'] })
  patternType!: string;
}

export class CreateKeyDto {
  @ApiProperty({
    example: 'billing-service',
    maxLength: 255,
    description: '1-255 characters, no control characters',
  })
  name!: string;
  @ApiPropertyOptional({
    type: [PermissionDto],
    description: 'Absent or empty: every operation on everything inside the tenant',
  })
  permissions?: PermissionDto[];
}

export class KeyDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty()
  name!: string;
  @ApiProperty({ type: [PermissionDto] })
  permissions!: PermissionDto[];
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  revokedAt!: string | null;
}

export class CreatedKeyDto extends KeyDto {
  @ApiProperty({ description: 'The secret; shown only in this answer', example: 'trb_Xq3...' })
  key!: string;
}

export class KeyListDto {
  @ApiProperty({ type: [KeyDto] })
  keys!: KeyDto[];
}

export function tenantView(tenant: Tenant): TenantDto {
  return {
    id: tenant.id,
    name: tenant.name,
    quotas: { ...tenant.quotas },
    createdAt: new Date(tenant.createdAtMs).toISOString(),
    updatedAt: new Date(tenant.updatedAtMs).toISOString(),
  };
}

export function keyView(key: ApiKey): KeyDto {
  return {
    id: key.id,
    name: key.name,
    permissions: key.permissions.map((p) => ({ ...p })),
    createdAt: new Date(key.createdAtMs).toISOString(),
    revokedAt: key.revokedAtMs === null ? null : new Date(key.revokedAtMs).toISOString(),
  };
}
