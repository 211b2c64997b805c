// Argument invariants that both Coordinator implementations assert the same way, so that a bug
// in a caller fails identically against Redis and in-process. Values are checked right before
// they are stored, because a bad deadline or offset read back later is much harder to trace.
import { assert } from '@tributary/common';

/** Tenant ids are uuids; a ':' would let two tenants' Redis keys overlap. */
export function checkTenantId(tenantId: string): void {
  assert(
    tenantId.length > 0 && !tenantId.includes(':'),
    () => `a tenant id is non-empty and has no ':' (got "${tenantId}")`,
  );
}

export function checkGroup(tenantId: string, groupId: string): void {
  checkTenantId(tenantId);
  assert(groupId.length > 0, 'a group id is non-empty');
}

export function checkVersion(version: number): void {
  assert(
    Number.isSafeInteger(version) && version >= 0,
    () => `a group version is a non-negative integer (got ${version})`,
  );
}

/** Deadlines (ms since the epoch) and positions (offsets) are non-negative safe integers. */
export function checkStoredNumber(what: string, key: string, value: number): void {
  assert(
    Number.isSafeInteger(value) && value >= 0,
    () => `${what} ${key} must be a non-negative integer (got ${value})`,
  );
}

export function checkTicket(tenantId: string, token: string, ttlMs?: number): void {
  checkTenantId(tenantId);
  assert(token.length > 0, 'a ticket token is non-empty');
  if (ttlMs !== undefined) {
    assert(
      Number.isSafeInteger(ttlMs) && ttlMs > 0,
      () => `a ticket ttl is a positive integer of ms (got ${ttlMs})`,
    );
  }
}

export function checkLease(name: string, owner: string, ttlMs: number): void {
  assert(
    /^[\w.:-]{1,128}$/.test(name),
    () => `a lease name is 1-128 word characters (got "${name}")`,
  );
  assert(owner.length > 0 && owner.length <= 256, 'a lease owner is 1-256 characters');
  assert(
    Number.isSafeInteger(ttlMs) && ttlMs > 0,
    () => `a lease ttl is a positive integer of ms (got ${ttlMs})`,
  );
}
