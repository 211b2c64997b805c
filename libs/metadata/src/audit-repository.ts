// The audit trail: who did what to which resource, appended by admin operations and read back
// newest first, a bounded page at a time.
import { assert, type Clock, systemClock } from '@tributary/common';
import { type PrismaClient } from './generated/prisma/client';
import { METADATA_LIMITS } from './metadata-limits';
import { toAuditEntry } from './rows';
import { type AuditEntry, type JsonValue } from './types';
import { jsonBytes } from './validation';

export interface AppendAuditInput {
  /** "operator", or "key:<id>" */
  actor: string;
  /** e.g. "topic.create" */
  action: string;
  /** e.g. "tenant/acme/topic/orders" */
  target: string;
  detail?: JsonValue;
}

export interface ListAuditOptions {
  /** Page size, 1 to METADATA_LIMITS.auditListMax (default 100). */
  limit?: number;
  /** Only entries older than this id (the last id of the previous page). */
  beforeId?: number;
  actor?: string;
  action?: string;
  target?: string;
}

const FIELD_LENGTH_MAX = { actor: 255, action: 255, target: 1024 } as const;

export class AuditRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly clock: Clock = systemClock,
  ) {}

  async append(input: AppendAuditInput): Promise<AuditEntry> {
    for (const field of ['actor', 'action', 'target'] as const) {
      const length = input[field].length;
      assert(length > 0 && length <= FIELD_LENGTH_MAX[field], () => `audit ${field}: ${length}`);
    }
    const detail = input.detail ?? {};
    assert(detail !== null, 'audit detail is a JSON value other than null');
    assert(jsonBytes(detail) <= METADATA_LIMITS.auditDetailBytesMax, 'audit detail too large');
    const row = await this.prisma.auditLog.create({
      data: {
        at: new Date(this.clock.nowMs()),
        actor: input.actor,
        action: input.action,
        target: input.target,
        detail,
      },
    });
    return toAuditEntry(row);
  }

  /** Newest first. */
  async list(options: ListAuditOptions = {}): Promise<AuditEntry[]> {
    const limit = options.limit ?? 100;
    assert(
      Number.isInteger(limit) && limit >= 1 && limit <= METADATA_LIMITS.auditListMax,
      () => `audit page size ${limit}`,
    );
    const rows = await this.prisma.auditLog.findMany({
      where: {
        ...(options.beforeId === undefined ? {} : { id: { lt: BigInt(options.beforeId) } }),
        ...(options.actor === undefined ? {} : { actor: options.actor }),
        ...(options.action === undefined ? {} : { action: options.action }),
        ...(options.target === undefined ? {} : { target: options.target }),
      },
      orderBy: { id: 'desc' },
      take: limit,
    });
    return rows.map(toAuditEntry);
  }
}
