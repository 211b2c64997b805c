// Operator-facing shapes: tenants, quotas, API keys. Bodies are read by hand (input.ts) into
// these shapes; the classes describe them for OpenAPI.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { type ApiKey, METADATA_LIMITS, type Tenant } from '@tributary/metadata';
import { TENANT_NAME_PATTERN } from '../ops/api-docs';

export class QuotasDto {
  @ApiPropertyOptional({
    type: 'integer',
    format: 'int64',
    minimum: 0,
    example: 10485760,
    description: 'Produced bytes per second, over every node',
  })
  produceBytesPerSec?: number;
  @ApiPropertyOptional({
    type: 'integer',
    format: 'int64',
    minimum: 0,
    example: 52428800,
    description: 'Fetched bytes per second, over every node',
  })
  fetchBytesPerSec?: number;
  @ApiPropertyOptional({ type: 'integer', minimum: 0, example: 100, description: 'Topics' })
  maxTopics?: number;
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    example: 1000,
    description: 'Partitions over all topics',
  })
  maxPartitions?: number;
  @ApiPropertyOptional({
    type: 'integer',
    format: 'int64',
    minimum: 0,
    example: 107374182400,
    description: 'Bytes on disk over all topics',
  })
  maxStorageBytes?: number;
}

export class CreateTenantDto {
  @ApiProperty({ pattern: TENANT_NAME_PATTERN, example: 'acme' })
  name!: string;
  @ApiPropertyOptional({ type: QuotasDto, description: 'Absent quotas are unlimited' })
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
  @ApiProperty({ format: 'uuid', example: '3f1c9a52-7d4e-4b8a-9c2f-1e5d6a7b8c90' })
  id!: string;
  @ApiProperty({ example: 'acme' })
  name!: string;
  @ApiProperty({ type: QuotasDto, description: 'The quotas set; an absent one is unlimited' })
  quotas!: QuotasDto;
  @ApiProperty({ format: 'date-time', example: '2025-11-21T04:40:00.000Z' })
  createdAt!: string;
  @ApiProperty({ format: 'date-time', example: '2025-11-21T04:40:00.000Z' })
  updatedAt!: string;
}

export class TenantListDto {
  @ApiProperty({ type: [TenantDto] })
  tenants!: TenantDto[];
}

export class PermissionDto {
  @ApiProperty({
    enum: ['read', 'write', 'admin'],
    description: 'read and write cover data; admin covers create, alter and delete',
  })
  operation!: string;
  @ApiProperty({ enum: ['topic', 'group'] })
  resource!: string;
  @ApiProperty({
    example: 'orders',
    minLength: 1,
    maxLength: METADATA_LIMITS.permissionPatternLengthMax,
    description: `"*" with literal matches every name. 1-${METADATA_LIMITS.permissionPatternLengthMax} characters, no control characters`,
  })
  pattern!: string;
  @ApiProperty({ enum: ['literal', 'prefixed'] })
  patternType!: string;
}

export class CreateKeyDto {
  @ApiProperty({
    example: 'billing-service',
    minLength: 1,
    maxLength: METADATA_LIMITS.apiKeyNameLengthMax,
    description: `1-${METADATA_LIMITS.apiKeyNameLengthMax} characters, no control characters`,
  })
  name!: string;
  @ApiPropertyOptional({
    type: [PermissionDto],
    maxItems: METADATA_LIMITS.permissionsPerKeyMax,
    description: 'Absent or empty: every operation on everything inside the tenant',
  })
  permissions?: PermissionDto[];
}

export class KeyDto {
  @ApiProperty({ format: 'uuid', example: '9b2e4f6a-1c3d-4e5f-8a7b-6c5d4e3f2a1b' })
  id!: string;
  @ApiProperty({ example: 'billing-service' })
  name!: string;
  @ApiProperty({ type: [PermissionDto] })
  permissions!: PermissionDto[];
  @ApiProperty({ format: 'date-time', example: '2025-11-21T04:40:00.000Z' })
  createdAt!: string;
  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'null while the key is active',
    example: null,
  })
  revokedAt!: string | null;
}

export class CreatedKeyDto extends KeyDto {
  @ApiProperty({
    description: 'The secret; shown only in this answer',
    example: 'trb_q7Xv2LmN9pR4sT8wZc1bK5yH3dF6gJ0a',
  })
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
