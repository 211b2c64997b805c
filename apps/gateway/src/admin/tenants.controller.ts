import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { OperatorRoute } from '../auth/principal';
import { ApiOperator, ApiTenantParam } from '../ops/api-docs';
import {
  CreatedKeyDto,
  CreateKeyDto,
  CreateTenantDto,
  KeyListDto,
  TenantDto,
  TenantListDto,
  UpdateTenantDto,
} from './tenants.dto';
import { TenantsService } from './tenants.service';

@ApiTags('operator')
@OperatorRoute()
@Controller('v1/admin/tenants')
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  @Post()
  @ApiOperation({
    operationId: 'createTenant',
    summary: 'Create a tenant',
    description:
      'A tenant owns topics, consumer groups and API keys, isolated from every other tenant, ' +
      'within its quotas. Create an API key for it next.',
  })
  @ApiBody({ type: CreateTenantDto })
  @ApiCreatedResponse({ type: TenantDto })
  @ApiOperator('INVALID_REQUEST', 'TENANT_ALREADY_EXISTS', 'UNSUPPORTED_MEDIA_TYPE')
  create(@Body() body: unknown): Promise<TenantDto> {
    return this.tenants.create(body);
  }

  @Get()
  @ApiOperation({
    operationId: 'listTenants',
    summary: 'List tenants',
    description: 'Every tenant with its quotas.',
  })
  @ApiOkResponse({ type: TenantListDto })
  @ApiOperator()
  list(): TenantListDto {
    return { tenants: this.tenants.list() };
  }

  @Get(':tenant')
  @ApiOperation({
    operationId: 'getTenant',
    summary: 'Get a tenant',
    description: 'The tenant with its quotas.',
  })
  @ApiTenantParam()
  @ApiOkResponse({ type: TenantDto })
  @ApiOperator('UNKNOWN_TENANT')
  get(@Param('tenant') tenant: string): TenantDto {
    return this.tenants.get(tenant);
  }

  @Patch(':tenant')
  @ApiOperation({
    operationId: 'updateTenant',
    summary: "Set a tenant's quotas",
    description: 'Replaces the quotas: a quota left out is unlimited.',
  })
  @ApiTenantParam()
  @ApiBody({ type: UpdateTenantDto })
  @ApiOkResponse({ type: TenantDto })
  @ApiOperator('INVALID_REQUEST', 'UNKNOWN_TENANT')
  update(@Param('tenant') tenant: string, @Body() body: unknown): Promise<TenantDto> {
    return this.tenants.update(tenant, body);
  }

  @Delete(':tenant')
  @ApiOperation({
    operationId: 'deleteTenant',
    summary: 'Delete a tenant',
    description:
      'Removes the tenant with all its topics (their data removed from disk), consumer groups ' +
      'and API keys.',
  })
  @ApiTenantParam()
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted with its keys, topics and their data' })
  @ApiOperator('UNKNOWN_TENANT')
  delete(@Param('tenant') tenant: string): Promise<void> {
    return this.tenants.delete(tenant);
  }

  @Post(':tenant/keys')
  @ApiOperation({
    operationId: 'createApiKey',
    summary: 'Create an API key',
    description:
      "Creates a key for the tenant's data. The answer is the only one that shows the secret " +
      '(`key`); only its hash is stored. Without permissions the key may do everything inside ' +
      'the tenant.',
  })
  @ApiTenantParam()
  @ApiBody({ type: CreateKeyDto })
  @ApiCreatedResponse({ type: CreatedKeyDto, description: 'The only answer that shows the key' })
  @ApiOperator('INVALID_REQUEST', 'UNKNOWN_TENANT')
  createKey(@Param('tenant') tenant: string, @Body() body: unknown): Promise<CreatedKeyDto> {
    return this.tenants.createKey(tenant, body);
  }

  @Get(':tenant/keys')
  @ApiOperation({
    operationId: 'listApiKeys',
    summary: "List a tenant's API keys",
    description: 'The keys with their permissions, revoked ones included; never the secrets.',
  })
  @ApiTenantParam()
  @ApiOkResponse({ type: KeyListDto })
  @ApiOperator('UNKNOWN_TENANT')
  listKeys(@Param('tenant') tenant: string): KeyListDto {
    return { keys: this.tenants.listKeys(tenant) };
  }

  @Delete(':tenant/keys/:id')
  @ApiOperation({
    operationId: 'revokeApiKey',
    summary: 'Revoke an API key',
    description: 'Revokes the key at once: the next request with it gets 401.',
  })
  @ApiTenantParam()
  @ApiParam({
    name: 'id',
    description: 'The key id (not the secret)',
    schema: { type: 'string', format: 'uuid' },
  })
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Revoked; the next request with the key gets 401' })
  @ApiOperator('UNKNOWN_TENANT', 'UNKNOWN_API_KEY')
  revokeKey(@Param('tenant') tenant: string, @Param('id') id: string): Promise<void> {
    return this.tenants.revokeKey(tenant, id);
  }
}
