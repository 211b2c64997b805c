// Tenants and their keys, for the operator. Every change is written to the audit log.
import { Inject, Injectable } from '@nestjs/common';
import { BrokerError } from '@tributary/common';
import {
  type ApiKeyPermission,
  ApiKeyRepository,
  AuditRepository,
  hashSecret,
  type JsonValue,
  MetadataCache,
  type Tenant,
  TenantRepository,
} from '@tributary/metadata';
import { newKeySecret } from '../auth/credentials';
import { TOPIC_HOSTING, type TopicHosting } from '../node-services';
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
  constructor(
    private readonly tenants: TenantRepository,
    private readonly apiKeys: ApiKeyRepository,
    private readonly auditLog: AuditRepository,
    private readonly cache: MetadataCache,
    @Inject(TOPIC_HOSTING) private readonly hosting: TopicHosting,
  ) {}

  async create(body: unknown): Promise<TenantDto> {
    const input = objectBody(body);
    onlyFields(input, ['name', 'quotas']);
    if (typeof input.name !== 'string') throw invalid('name', 'must be a string');
    const tenant = await this.tenants.create({
      name: input.name,
      ...(input.quotas === undefined ? {} : { quotas: input.quotas as Tenant['quotas'] }),
    });
    await this.audit('tenant.create', tenant, { quotas: { ...tenant.quotas } });
    return tenantView(tenant);
  }

  list(): TenantDto[] {
    return this.cache.tenants().map(tenantView);
  }

  get(name: string): TenantDto {
    return tenantView(this.tenant(name));
  }

  async update(name: string, body: unknown): Promise<TenantDto> {
    const input = objectBody(body);
    onlyFields(input, ['quotas']);
    if (input.quotas === undefined) throw invalid('quotas', 'is required');
    const tenant = this.tenant(name);
    const updated = await this.tenants.setQuotas(tenant.id, input.quotas as Tenant['quotas']);
    await this.audit('tenant.update', updated, { quotas: { ...updated.quotas } });
    return tenantView(updated);
  }

  /** Deletes the tenant, its keys and topics, and its topics' data on disk. */
  async delete(name: string): Promise<void> {
    const tenant = this.tenant(name);
    const topics = this.cache.topics(tenant.id);
    await this.tenants.delete(tenant.id);
    for (const topic of topics) await this.hosting.topicDeleted(topic);
    await this.audit('tenant.delete', tenant, { topics: topics.length });
  }

  async createKey(name: string, body: unknown): Promise<CreatedKeyDto> {
    const input = objectBody(body);
    onlyFields(input, ['name', 'permissions']);
    if (typeof input.name !== 'string') throw invalid('name', 'must be a string');
    const tenant = this.tenant(name);
    const secret = newKeySecret();
    const key = await this.apiKeys.create({
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
    return this.cache.apiKeys(this.tenant(name).id).map(keyView);
  }

  async revokeKey(name: string, keyId: string): Promise<void> {
    const tenant = this.tenant(name);
    const revoked = await this.apiKeys.revoke(tenant.id, keyId);
    if (revoked === undefined) {
      throw new BrokerError('UNKNOWN_API_KEY', `tenant ${name} has no key ${keyId}`);
    }
    await this.audit('key.revoke', tenant, { keyId });
  }

  private tenant(name: string): Tenant {
    const tenant = this.cache.tenantByName(name);
    if (tenant === undefined)
      throw new BrokerError('UNKNOWN_TENANT', `tenant ${name} does not exist`);
    return tenant;
  }

  private async audit(action: string, tenant: Tenant, detail: JsonValue): Promise<void> {
    await this.auditLog.append({
      actor: OPERATOR,
      action,
      target: `tenant/${tenant.name}`,
      detail,
    });
  }
}
