// API keys. Only the sha256 of a secret is stored; the secret is shown once, by the caller,
// at creation. Revoking keeps the row (for the audit trail) and takes effect at once, because
// authentication reads the cache this repository writes through to.
import { createHash } from 'node:crypto';
import { assert, type Clock, systemClock } from '@tributary/common';
import { type PrismaClient } from './generated/prisma/client';
import { type MetadataCache } from './metadata-cache';
import { isForeignKeyViolation } from './prisma-errors';
import { toApiKey } from './rows';
import { unknownTenant } from './tenant-repository';
import { type ApiKey, type ApiKeyPermission } from './types';
import { checkApiKeyName, checkPermissions, isUuid } from './validation';

export interface CreateApiKeyInput {
  tenantId: string;
  name: string;
  /** hashSecret(secret) */
  secretHash: string;
  /** Absent or empty: everything inside the tenant. */
  permissions?: readonly ApiKeyPermission[];
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** sha256 of an API key secret, lowercase hex: the form keys are stored and looked up in. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export class ApiKeyRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly cache: MetadataCache,
    private readonly clock: Clock = systemClock,
  ) {}

  async create(input: CreateApiKeyInput): Promise<ApiKey> {
    assert(SHA256_HEX.test(input.secretHash), 'secretHash must be lowercase sha256 hex');
    checkApiKeyName(input.name);
    const permissions = checkPermissions(input.permissions ?? []);
    if (!isUuid(input.tenantId)) throw unknownTenant(input.tenantId);
    try {
      const row = await this.prisma.apiKey.create({
        data: {
          tenantId: input.tenantId,
          name: input.name,
          secretHash: input.secretHash,
          permissions: permissions.map((p) => ({ ...p })),
          createdAt: new Date(this.clock.nowMs()),
        },
      });
      const key = toApiKey(row);
      this.cache.putApiKey(key);
      return key;
    } catch (error) {
      if (isForeignKeyViolation(error)) throw unknownTenant(input.tenantId);
      throw error;
    }
  }

  async get(id: string): Promise<ApiKey | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await this.prisma.apiKey.findUnique({ where: { id } });
    return row === null ? undefined : toApiKey(row);
  }

  async listByTenant(tenantId: string): Promise<ApiKey[]> {
    if (!isUuid(tenantId)) return [];
    const rows = await this.prisma.apiKey.findMany({
      where: { tenantId },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    return rows.map(toApiKey);
  }

  async listAll(): Promise<ApiKey[]> {
    const rows = await this.prisma.apiKey.findMany({ orderBy: { id: 'asc' } });
    return rows.map(toApiKey);
  }

  /**
   * Revokes a key of the tenant; revoking twice keeps the first time. Undefined when the tenant
   * has no such key (another tenant's key counts as missing).
   */
  async revoke(tenantId: string, id: string): Promise<ApiKey | undefined> {
    if (!isUuid(tenantId) || !isUuid(id)) return undefined;
    await this.prisma.apiKey.updateMany({
      where: { id, tenantId, revokedAt: null },
      data: { revokedAt: new Date(this.clock.nowMs()) },
    });
    const row = await this.prisma.apiKey.findFirst({ where: { id, tenantId } });
    if (row === null) return undefined;
    const key = toApiKey(row);
    assert(key.revokedAtMs !== null, () => `key ${id} is still active after revoke`);
    this.cache.putApiKey(key);
    return key;
  }
}
