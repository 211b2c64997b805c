// Who is calling: the operator (tenants and keys only) or a tenant's API key (its own data).
// Resolved from the bearer token before a body is read, so unauthenticated requests never
// get their bodies buffered.
import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { assert } from '@tributary/common';
import { type ApiKey, type Tenant } from '@tributary/metadata';
import { type Request } from 'express';

export interface OperatorPrincipal {
  readonly kind: 'operator';
}

export interface TenantPrincipal {
  readonly kind: 'tenant';
  readonly tenant: Tenant;
  readonly key: ApiKey;
}

export type Principal = OperatorPrincipal | TenantPrincipal;

export type AuthFailure = 'missing' | 'malformed' | 'unknown';

/** What the auth middleware leaves on the request. */
export interface AuthenticatedRequest extends Request {
  id: string;
  principal?: Principal;
  authFailure?: AuthFailure;
}

/** Which credential a route takes (`any`: either kind); routes without it are public. */
export type RouteAuth = 'operator' | 'tenant' | 'any';
export const ROUTE_AUTH = 'tributary:route-auth';
export const OperatorRoute = () => SetMetadata(ROUTE_AUTH, 'operator' satisfies RouteAuth);
export const TenantRoute = () => SetMetadata(ROUTE_AUTH, 'tenant' satisfies RouteAuth);
export const AnyRoute = () => SetMetadata(ROUTE_AUTH, 'any' satisfies RouteAuth);

/** The tenant principal of a tenant route (the guard has checked it is one). */
export const Auth = createParamDecorator((_: unknown, ctx: ExecutionContext): TenantPrincipal => {
  const principal = ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  assert(principal?.kind === 'tenant', 'Auth() used on a route without TenantRoute()');
  return principal;
});
