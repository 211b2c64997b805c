// Tenants and their keys, for the operator. Every change is written to the audit log.
import { Inject, Injectable } from '@nestjs/common';
import { BrokerError } from '@tributary/common';
import {
  type ApiKeyPermission,
  hashSecret,
  type JsonValue,
  type Tenant,
} from '@tributary/metadata';
import { newKeySecret } from '../auth/credentials';
import { GATEWAY_CONTEXT, type GatewayContext } from '../gateway-context';
import { invalid, objectBody, onlyFields } from '../http/input';
import {
  type CreatedKeyDto,
  type KeyDto,
  keyView,
  type TenantDto,
  tenantView,
} from './tenants.dto';

const OPERATOR = 'operator';

@Injectable()
export class TenantsService {
  constructor(@Inject(GATEWAY_CONTEXT) private readonly ctx: GatewayContext) {}

  async create(body: unknown): Promise<TenantDto> {
    const input = objectBody(body);
    onlyFields(input, ['name', 'quotas']);
    if (typeof input.name !== 'string') throw invalid('name', 'must be a string');
    const tenant = await this.ctx.metadata.tenants.create({
      name: input.name,
      ...(input.quotas === undefined ? {} : { quotas: input.quotas as Tenant['quotas'] }),
    });
    await this.audit('tenant.create', tenant, { quotas: { ...tenant.quotas } });
    return tenantView(tenant);
  }

  list(): TenantDto[] {
    return this.ctx.metadata.cache.tenants().map(tenantView);
  }

  get(name: string): TenantDto {
    return tenantView(this.tenant(name));
  }

  async update(name: string, body: unknown): Promise<TenantDto> {
    const input = objectBody(body);
    onlyFields(input, ['quotas']);
    if (input.quotas === undefined) throw invalid('quotas', 'is required');
    const tenant = this.tenant(name);
    const updated = await this.ctx.metadata.tenants.setQuotas(
      tenant.id,
      input.quotas as Tenant['quotas'],
    );
    await this.audit('tenant.update', updated, { quotas: { ...updated.quotas } });
    return tenantView(updated);
  }

  /** Deletes the tenant, its keys and topics, and its topics' data on disk. */
  async delete(name: string): Promise<void> {
    const tenant = this.tenant(name);
    const topics = this.ctx.metadata.cache.topics(tenant.id);
    await this.ctx.metadata.tenants.delete(tenant.id);
    for (const topic of topics) await this.ctx.hosting.topicDeleted(topic);
    await this.audit('tenant.delete', tenant, { topics: topics.length });
  }

  async createKey(name: string, body: unknown): Promise<CreatedKeyDto> {
    const input = objectBody(body);
    onlyFields(input, ['name', 'permissions']);
    if (typeof input.name !== 'string') throw invalid('name', 'must be a string');
    const tenant = this.tenant(name);
    const secret = newKeySecret();
    const key = await this.ctx.metadata.apiKeys.create({
      tenantId: tenant.id,
      name: input.name,
      secretHash: hashSecret(secret),
      ...(input.permissions === undefined
        ? {}
        : // checked by the repository, which refuses anything but a list of permissions
          { permissions: input.permissions as readonly ApiKeyPermission[] }),
    });
    await this.audit('key.create', tenant, { keyId: key.id, name: key.name });
    return { ...keyView(key), key: secret };
  }

  listKeys(name: string): KeyDto[] {
    return this.ctx.metadata.cache.apiKeys(this.tenant(name).id).map(keyView);
  }

  async revokeKey(name: string, keyId: string): Promise<void> {
    const tenant = this.tenant(name);
    const revoked = await this.ctx.metadata.apiKeys.revoke(tenant.id, keyId);
    if (revoked === undefined) {
      throw new BrokerError('UNKNOWN_API_KEY', `tenant ${name} has no key ${keyId}`);
    }
    await this.audit('key.revoke', tenant, { keyId });
  }

  private tenant(name: string): Tenant {
    const tenant = this.ctx.metadata.cache.tenantByName(name);
    if (tenant === undefined)
      throw new BrokerError('UNKNOWN_TENANT', `tenant ${name} does not exist`);
    return tenant;
  }

  private async audit(action: string, tenant: Tenant, detail: JsonValue): Promise<void> {
    await this.ctx.metadata.audit.append({
      actor: OPERATOR,
      action,
      target: `tenant/${tenant.name}`,
      detail,
    });
  }
}
