// Tenants: the unit of isolation. Deleting one removes its keys, topics, partitions and
// committed offsets through the database's cascades.
import { BrokerError, type Clock, systemClock } from '@tributary/common';
import { type PrismaClient } from './generated/prisma/client';
import { type MetadataCache } from './metadata-cache';
import { isUniqueViolation } from './prisma-errors';
import { toTenant } from './rows';
import { type Tenant, type TenantQuotas } from './types';
import { checkQuotas, checkTenantName, isUuid } from './validation';

export interface CreateTenantInput {
  name: string;
  quotas?: TenantQuotas;
}

export class TenantRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly cache: MetadataCache,
    private readonly clock: Clock = systemClock,
  ) {}

  async create(input: CreateTenantInput): Promise<Tenant> {
    checkTenantName(input.name);
    const quotas = checkQuotas(input.quotas ?? {});
    const now = new Date(this.clock.nowMs());
    try {
      const row = await this.prisma.tenant.create({
        data: { name: input.name, quotas, createdAt: now, updatedAt: now },
      });
      const tenant = toTenant(row);
      this.cache.putTenant(tenant);
      return tenant;
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new BrokerError('TENANT_ALREADY_EXISTS', `tenant ${input.name} already exists`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  async get(id: string): Promise<Tenant | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await this.prisma.tenant.findUnique({ where: { id } });
    return row === null ? undefined : toTenant(row);
  }

  async getByName(name: string): Promise<Tenant | undefined> {
    const row = await this.prisma.tenant.findUnique({ where: { name } });
    return row === null ? undefined : toTenant(row);
  }

  async list(): Promise<Tenant[]> {
    const rows = await this.prisma.tenant.findMany({ orderBy: { name: 'asc' } });
    return rows.map(toTenant);
  }

  /** Replaces the tenant's quotas (an unset quota means no limit). */
  async setQuotas(id: string, quotas: TenantQuotas): Promise<Tenant> {
    const checked = checkQuotas(quotas);
    if (!isUuid(id)) throw unknownTenant(id);
    const [row] = await this.prisma.tenant.updateManyAndReturn({
      where: { id },
      data: { quotas: checked, updatedAt: new Date(this.clock.nowMs()) },
    });
    if (row === undefined) throw unknownTenant(id);
    const tenant = toTenant(row);
    this.cache.putTenant(tenant);
    return tenant;
  }

  /** Deletes the tenant and, by cascade, everything it owns. */
  async delete(id: string): Promise<void> {
    if (!isUuid(id)) throw unknownTenant(id);
    const { count } = await this.prisma.tenant.deleteMany({ where: { id } });
    this.cache.removeTenant(id);
    if (count === 0) throw unknownTenant(id);
  }
}

export function unknownTenant(id: string): BrokerError {
  return new BrokerError('UNKNOWN_TENANT', `tenant ${id} does not exist`);
}
