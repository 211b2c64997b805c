// Admission at the WebSocket upgrade, before a socket exists: the Origin allow-list (browsers
// send one; other clients do not; a page this node served, on its own host, needs no entry),
// the connection bound, and the credential — the Authorization header, or a single-use ticket
// from POST /v1/ws/tickets in `?ticket=` for browsers, which cannot set headers on a WebSocket.
// A refusal is an HTTP answer with a problem+json body; no socket is ever opened for it.
import { randomBytes } from 'node:crypto';
import { type IncomingMessage } from 'node:http';
import { BrokerError, LIMITS } from '@tributary/common';
import { type Coordinator } from '@tributary/coordination';
import { type MetadataCache } from '@tributary/metadata';
import { type Credentials } from '../auth/credentials';
import { type TenantPrincipal } from '../auth/principal';
import { redeemTicket } from '../auth/tickets';
import { problemOf, PROBLEM_CONTENT_TYPE, toBrokerError } from '../http/problem';

export interface UpgradeDeps {
  credentials: Credentials;
  coordinator: Coordinator;
  cache: MetadataCache;
  /** Allowed Origin values; a request without Origin (not a browser) is not checked. */
  allowedOrigins: readonly string[];
  connections: () => number;
}

type VerifyCallback = (
  result: boolean,
  code?: number,
  message?: string,
  headers?: Record<string, string>,
) => void;

/** Who each upgraded request is: set by the check, read when the socket opens. */
const principals = new WeakMap<IncomingMessage, TenantPrincipal>();

export function upgradePrincipal(request: IncomingMessage): TenantPrincipal | undefined {
  return principals.get(request);
}

/** ws's verifyClient, asynchronous form. */
export function verifyUpgrade(deps: UpgradeDeps) {
  return (info: { origin: string; req: IncomingMessage }, done: VerifyCallback): void => {
    admit(deps, info.req, info.origin).then(
      (principal) => {
        principals.set(info.req, principal);
        done(true);
      },
      (error: unknown) => {
        const coded =
          toBrokerError(error) ??
          new BrokerError('UNAVAILABLE', 'the connection could not be admitted');
        const headers: Record<string, string> = { 'Content-Type': PROBLEM_CONTENT_TYPE };
        if (coded.code === 'UNAUTHENTICATED') headers['WWW-Authenticate'] = 'Bearer';
        const retryAfter = coded.extra.retryAfterSeconds;
        if (typeof retryAfter === 'number') headers['Retry-After'] = String(retryAfter);
        const requestId = headerValue(info.req, 'x-request-id') ?? randomBytes(8).toString('hex');
        done(false, coded.status, JSON.stringify(problemOf(coded, requestId)), headers);
      },
    );
  };
}

async function admit(
  deps: UpgradeDeps,
  request: IncomingMessage,
  origin: string | undefined,
): Promise<TenantPrincipal> {
  if (
    origin !== undefined &&
    origin !== '' &&
    !deps.allowedOrigins.includes(origin) &&
    !sameOrigin(origin, headerValue(request, 'host'))
  ) {
    throw new BrokerError('FORBIDDEN', `origin ${origin} is not allowed`);
  }
  if (deps.connections() >= LIMITS.wsConnectionsMax) {
    throw new BrokerError('UNAVAILABLE', 'too many WebSocket connections; retry shortly');
  }
  const ticket = new URL(request.url ?? '/', 'http://localhost').searchParams.get('ticket');
  const header = headerValue(request, 'authorization');
  if (ticket !== null) return redeemTicket(deps.coordinator, deps.cache, ticket);
  const principal = deps.credentials.resolve(header);
  if (principal === 'missing') {
    throw new BrokerError('UNAUTHENTICATED', 'send Authorization: Bearer <key> or ?ticket=');
  }
  if (typeof principal === 'string') {
    throw new BrokerError('UNAUTHENTICATED', 'the credential is not valid');
  }
  if (principal.kind !== 'tenant') {
    throw new BrokerError('FORBIDDEN', 'the operator token has no data-plane rights');
  }
  return principal;
}

/**
 * A page this node served itself (the web console at /console) connects from the host it was
 * loaded from, so its Origin names the Host it sends. Admitting it needs no allow-list entry and
 * opens nothing to other sites: their pages' Origin is their own host, and a page only gets in
 * with a ticket, which takes the API key to obtain. The scheme is not compared, so the console
 * works behind a proxy that ends TLS.
 */
function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
