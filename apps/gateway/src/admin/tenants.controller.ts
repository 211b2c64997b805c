import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { OperatorRoute } from '../auth/principal';
import { ApiOperator } from '../ops/api-docs';
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
  @ApiBody({ type: CreateTenantDto })
  @ApiCreatedResponse({ type: TenantDto })
  @ApiOperator('INVALID_REQUEST', 'TENANT_ALREADY_EXISTS', 'UNSUPPORTED_MEDIA_TYPE')
  create(@Body() body: unknown): Promise<TenantDto> {
    return this.tenants.create(body);
  }

  @Get()
  @ApiOkResponse({ type: TenantListDto })
  @ApiOperator()
  list(): TenantListDto {
    return { tenants: this.tenants.list() };
  }

  @Get(':tenant')
  @ApiOkResponse({ type: TenantDto })
  @ApiOperator('UNKNOWN_TENANT')
  get(@Param('tenant') tenant: string): TenantDto {
    return this.tenants.get(tenant);
  }

  @Patch(':tenant')
  @ApiBody({ type: UpdateTenantDto })
  @ApiOkResponse({ type: TenantDto })
  @ApiOperator('INVALID_REQUEST', 'UNKNOWN_TENANT')
  update(@Param('tenant') tenant: string, @Body() body: unknown): Promise<TenantDto> {
    return this.tenants.update(tenant, body);
  }

  @Delete(':tenant')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted with its keys, topics and their data' })
  @ApiOperator('UNKNOWN_TENANT')
  delete(@Param('tenant') tenant: string): Promise<void> {
    return this.tenants.delete(tenant);
  }

  @Post(':tenant/keys')
  @ApiBody({ type: CreateKeyDto })
  @ApiCreatedResponse({ type: CreatedKeyDto, description: 'The only answer that shows the key' })
  @ApiOperator('INVALID_REQUEST', 'UNKNOWN_TENANT')
  createKey(@Param('tenant') tenant: string, @Body() body: unknown): Promise<CreatedKeyDto> {
    return this.tenants.createKey(tenant, body);
  }

  @Get(':tenant/keys')
  @ApiOkResponse({ type: KeyListDto })
  @ApiOperator('UNKNOWN_TENANT')
  listKeys(@Param('tenant') tenant: string): KeyListDto {
    return { keys: this.tenants.listKeys(tenant) };
  }

  @Delete(':tenant/keys/:id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Revoked; the next request with the key gets 401' })
  @ApiOperator('UNKNOWN_TENANT', 'UNKNOWN_API_KEY')
  revokeKey(@Param('tenant') tenant: string, @Param('id') id: string): Promise<void> {
    return this.tenants.revokeKey(tenant, id);
  }
}
