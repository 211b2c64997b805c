// Checks of caller-supplied values, each failing with the catalogue code the API answers with.
// The gateway validates its DTOs too; these keep the database's contents valid whoever calls.
import { BrokerError, checkName } from '@tributary/common';
import { METADATA_LIMITS } from './metadata-limits';
import {
  type ApiKeyPermission,
  type JsonValue,
  type TenantQuotas,
  type TopicConfigs,
} from './types';

const TENANT_NAME = /^[a-z0-9-]{1,63}$/;
/** Kafka's topic naming rule: 1-249 chars of [a-zA-Z0-9._-], not "." or "..". */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

const QUOTA_NAMES: readonly (keyof TenantQuotas)[] = [
  'produceBytesPerSec',
  'fetchBytesPerSec',
  'maxTopics',
  'maxPartitions',
  'maxStorageBytes',
];
const OPERATIONS = ['read', 'write', 'admin'];
const RESOURCES = ['topic', 'group'];
const PATTERN_TYPES = ['literal', 'prefixed'];

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function checkTenantName(name: string): void {
  if (!TENANT_NAME.test(name)) {
    throw new BrokerError('INVALID_REQUEST', `tenant name must match [a-z0-9-]{1,63}: "${name}"`);
  }
}

export function checkTopicName(name: string): void {
  if (!TOPIC_NAME.test(name) || name === '.' || name === '..') {
    throw new BrokerError(
      'INVALID_TOPIC',
      `topic name must be 1-249 characters of [a-zA-Z0-9._-] and not "." or "..": "${name}"`,
    );
  }
}

/** A copy holding only the quotas that are set; each a non-negative safe integer. */
export function checkQuotas(quotas: unknown): Record<string, number> {
  if (!isPlainObject(quotas)) {
    throw new BrokerError('INVALID_REQUEST', 'quotas must be an object');
  }
  const result: Record<string, number> = {};
  for (const [name, value] of Object.entries(quotas)) {
    if (!(QUOTA_NAMES as readonly string[]).includes(name)) {
      throw new BrokerError('INVALID_REQUEST', `unknown quota "${name}"`);
    }
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw new BrokerError('INVALID_REQUEST', `quota ${name} must be a non-negative integer`);
    }
    result[name] = value;
  }
  return result;
}

export function checkPermissions(permissions: unknown): ApiKeyPermission[] {
  if (!Array.isArray(permissions)) {
    throw new BrokerError('INVALID_REQUEST', 'permissions must be an array');
  }
  if (permissions.length > METADATA_LIMITS.permissionsPerKeyMax) {
    throw new BrokerError(
      'INVALID_REQUEST',
      `at most ${METADATA_LIMITS.permissionsPerKeyMax} permissions per key`,
    );
  }
  return permissions.map((permission: unknown, i) => {
    const where = `permissions[${i}]`;
    if (!isPlainObject(permission)) {
      throw new BrokerError('INVALID_REQUEST', `${where} must be an object`);
    }
    const { operation, resource, pattern, patternType } = permission;
    const extra = Object.keys(permission).filter(
      (k) => !['operation', 'resource', 'pattern', 'patternType'].includes(k),
    );
    if (extra.length > 0) {
      throw new BrokerError('INVALID_REQUEST', `${where} has unknown fields: ${extra.join(', ')}`);
    }
    oneOf(operation, OPERATIONS, `${where}.operation`);
    oneOf(resource, RESOURCES, `${where}.resource`);
    oneOf(patternType, PATTERN_TYPES, `${where}.patternType`);
    if (typeof pattern !== 'string') {
      throw new BrokerError('INVALID_REQUEST', `${where}.pattern must be a string`);
    }
    checkName(pattern, `${where}.pattern`, METADATA_LIMITS.permissionPatternLengthMax);
    return { operation, resource, pattern, patternType } as ApiKeyPermission;
  });
}

function oneOf(value: unknown, allowed: readonly string[], where: string): void {
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw new BrokerError('INVALID_REQUEST', `${where} must be one of ${allowed.join(', ')}`);
  }
}

export function checkTopicConfigs(configs: unknown): Record<string, string> {
  if (!isPlainObject(configs)) {
    throw new BrokerError('INVALID_CONFIG', 'configs must be an object of string values');
  }
  const entries = Object.entries(configs);
  if (entries.length > METADATA_LIMITS.topicConfigsMax) {
    throw new BrokerError('INVALID_CONFIG', `at most ${METADATA_LIMITS.topicConfigsMax} configs`);
  }
  for (const [name, value] of entries) {
    if (name.length === 0 || name.length > METADATA_LIMITS.topicConfigNameLengthMax) {
      throw new BrokerError('INVALID_CONFIG', `config name too long or empty: "${name}"`);
    }
    if (typeof value !== 'string' || value.length > METADATA_LIMITS.topicConfigValueLengthMax) {
      throw new BrokerError('INVALID_CONFIG', `config ${name} must be a string`);
    }
  }
  return { ...(configs as TopicConfigs) };
}

/** Group ids follow the name rule (libs/common names.ts), as the group_id column needs. */
export function checkGroupId(groupId: string): void {
  checkName(groupId, 'group id', METADATA_LIMITS.groupIdLengthMax);
}

export function checkApiKeyName(name: string): void {
  checkName(name, 'key name', METADATA_LIMITS.apiKeyNameLengthMax);
}

/** The UTF-8 length of a value's JSON text (bounded values only are stored). */
export function jsonBytes(value: JsonValue): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are uuid columns; anything else cannot name a row (and would make Postgres complain). */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}
