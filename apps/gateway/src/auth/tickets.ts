// Single-use tickets: how a browser authenticates where it cannot send an Authorization header
// (a WebSocket upgrade, an EventSource). POST /v1/ws/tickets, made with the key, returns one;
// `?ticket=` on GET /v1/ws or GET /v1/topics/{topic}/events redeems it, once, within its
// lifetime, for the key that asked. A ticket names its tenant (its coordination keys are
// prefixed by tenant) and a random secret.
import { randomBytes } from 'node:crypto';
import { BrokerError, LIMITS } from '@tributary/common';
import { type Coordinator } from '@tributary/coordination';
import { type MetadataCache } from '@tributary/metadata';
import { type TenantPrincipal } from './principal';

function newTicket(tenantId: string): string {
  return `${tenantId}.${randomBytes(24).toString('base64url')}`;
}

/** Stores a ticket for the key; it admits one connection within its lifetime. */
export async function issueTicket(
  coordinator: Coordinator,
  auth: TenantPrincipal,
): Promise<{ ticket: string; expiresAt: string }> {
  const ticket = newTicket(auth.tenant.id);
  const secret = ticket.slice(ticket.indexOf('.') + 1);
  await coordinator.putTicket(auth.tenant.id, secret, auth.key.id, LIMITS.wsTicketTtlMs);
  return { ticket, expiresAt: new Date(Date.now() + LIMITS.wsTicketTtlMs).toISOString() };
}

/** The key a ticket was issued for; the ticket is used up. */
export async function redeemTicket(
  coordinator: Coordinator,
  cache: MetadataCache,
  ticket: string,
): Promise<TenantPrincipal> {
  const match = /^([0-9a-f-]{36})\.([\w-]{32})$/.exec(ticket);
  const keyId = match === null ? null : await coordinator.takeTicket(match[1]!, match[2]!);
  const key = keyId === null ? undefined : cache.apiKey(keyId);
  const tenant = key === undefined ? undefined : cache.tenant(key.tenantId);
  if (key === undefined || key.revokedAtMs !== null || tenant === undefined) {
    throw new BrokerError('UNAUTHENTICATED', 'the ticket is unknown, used or expired');
  }
  return { kind: 'tenant', tenant, key };
}
