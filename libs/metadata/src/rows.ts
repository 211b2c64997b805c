// Database rows to domain types. The rows come from our own writes, so a value of the wrong
// shape means a bug or a damaged database: it fails an assertion instead of flowing on.
import { assert } from '@tributary/common';
import type * as db from './generated/prisma/client';
import {
  type ApiKey,
  type ApiKeyPermission,
  type AuditEntry,
  type GroupOffset,
  type JsonValue,
  type PartitionState,
  type Tenant,
  type TenantQuotas,
  type Topic,
  type TopicConfigs,
} from './types';
import { isPlainObject } from './validation';

/** A BigInt column as a number; offsets and ids stay below 2^53 by contract. */
export function safeNumber(value: bigint, what: string): number {
  const n = Number(value);
  assert(Number.isSafeInteger(n), () => `${what} ${value} is not a safe integer`);
  return n;
}

export function toTenant(row: db.Tenant): Tenant {
  assert(isPlainObject(row.quotas), () => `tenant ${row.id}: quotas is not an object`);
  for (const value of Object.values(row.quotas)) {
    assert(typeof value === 'number', () => `tenant ${row.id}: a quota is not a number`);
  }
  return Object.freeze({
    id: row.id,
    name: row.name,
    quotas: Object.freeze({ ...(row.quotas as TenantQuotas) }),
    createdAtMs: row.createdAt.getTime(),
    updatedAtMs: row.updatedAt.getTime(),
  });
}

export function toApiKey(row: db.ApiKey): ApiKey {
  assert(Array.isArray(row.permissions), () => `api key ${row.id}: permissions not an array`);
  const permissions = (row.permissions as unknown[]).map((p) => {
    assert(isPlainObject(p) && typeof p.pattern === 'string', `api key ${row.id}: bad permission`);
    return Object.freeze({ ...(p as unknown as ApiKeyPermission) });
  });
  return Object.freeze({
    id: row.id,
    tenantId: row.tenantId,
    name: row.name,
    secretHash: row.secretHash,
    permissions: Object.freeze(permissions),
    createdAtMs: row.createdAt.getTime(),
    revokedAtMs: row.revokedAt === null ? null : row.revokedAt.getTime(),
  });
}

export function toTopic(row: db.Topic): Topic {
  assert(isPlainObject(row.configs), () => `topic ${row.id}: configs is not an object`);
  for (const value of Object.values(row.configs)) {
    assert(typeof value === 'string', () => `topic ${row.id}: a config is not a string`);
  }
  assert(row.partitionCount >= 1, () => `topic ${row.id}: partition count ${row.partitionCount}`);
  return Object.freeze({
    id: row.id,
    tenantId: row.tenantId,
    name: row.name,
    partitionCount: row.partitionCount,
    replicationFactor: row.replicationFactor,
    configs: Object.freeze({ ...(row.configs as TopicConfigs) }),
    createdAtMs: row.createdAt.getTime(),
    updatedAtMs: row.updatedAt.getTime(),
  });
}

export function toPartitionState(row: db.Partition): PartitionState {
  assert(row.leaderEpoch >= 0, () => `partition ${row.topicId}/${row.partition}: epoch < 0`);
  assert(
    row.isr.every((id) => row.replicas.includes(id)),
    () => `partition ${row.topicId}/${row.partition}: isr not within replicas`,
  );
  return Object.freeze({
    topicId: row.topicId,
    partition: row.partition,
    leader: row.leader,
    leaderEpoch: row.leaderEpoch,
    replicas: Object.freeze([...row.replicas]),
    isr: Object.freeze([...row.isr]),
    version: row.version,
    targetReplicas: Object.freeze([...row.targetReplicas]),
  });
}

export function toGroupOffset(row: db.GroupOffset): GroupOffset {
  const offset = safeNumber(row.offset, `group ${row.groupId} offset`);
  assert(offset >= 0, () => `group ${row.groupId}: offset ${offset}`);
  return Object.freeze({
    tenantId: row.tenantId,
    groupId: row.groupId,
    topicId: row.topicId,
    partition: row.partition,
    offset,
    metadata: row.metadata,
    updatedAtMs: row.updatedAt.getTime(),
  });
}

export function toAuditEntry(row: db.AuditLog): AuditEntry {
  return Object.freeze({
    id: safeNumber(row.id, 'audit id'),
    atMs: row.at.getTime(),
    actor: row.actor,
    action: row.action,
    target: row.target,
    detail: row.detail as JsonValue,
  });
}
