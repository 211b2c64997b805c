// Scoped permissions of an API key. No permissions: everything inside the tenant. Otherwise an
// operation on a resource is allowed when one entry names the operation, the resource kind
// and a pattern that matches (literal: equal, or `*` for all; prefixed: starts with).
import { BrokerError } from '@tributary/common';
import {
  type ApiKey,
  type ApiKeyPermission,
  type PermissionOperation,
  type PermissionResource,
} from '@tributary/metadata';

function matches(permission: ApiKeyPermission, name: string): boolean {
  if (permission.patternType === 'prefixed') return name.startsWith(permission.pattern);
  return permission.pattern === '*' || permission.pattern === name;
}

export function allows(
  key: ApiKey,
  operation: PermissionOperation,
  resource: PermissionResource,
  name: string,
): boolean {
  if (key.permissions.length === 0) return true;
  return key.permissions.some(
    (p) => p.operation === operation && p.resource === resource && matches(p, name),
  );
}

/** Any right at all on the resource (to see it listed or described). */
export function allowsAny(key: ApiKey, resource: PermissionResource, name: string): boolean {
  return (['read', 'write', 'admin'] as const).some((op) => allows(key, op, resource, name));
}

/**
 * Throws FORBIDDEN unless allowed. Checked before the resource is looked up, so a key without
 * rights learns nothing about whether the name exists.
 */
export function authorize(
  key: ApiKey,
  operation: PermissionOperation,
  resource: PermissionResource,
  name: string,
): void {
  if (!allows(key, operation, resource, name)) {
    throw new BrokerError(
      'FORBIDDEN',
      `this key may not ${operation} ${resource} ${JSON.stringify(name)}`,
    );
  }
}
