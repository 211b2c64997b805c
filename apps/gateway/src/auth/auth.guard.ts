// Enforces each route's credential kind. The principal was resolved by the auth middleware;
// here a missing or wrong one becomes 401, and the wrong kind 403.
import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { BrokerError } from '@tributary/common';
import {
  type AuthenticatedRequest,
  type AuthFailure,
  type Principal,
  ROUTE_AUTH,
  type RouteAuth,
} from './principal';

const FAILURE_DETAIL = {
  missing: 'an Authorization: Bearer header is required',
  malformed: 'the Authorization header must be "Bearer <token>"',
  unknown: 'the token is not valid (unknown or revoked)',
} as const;

@Injectable()
export class AuthGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const needed = this.reflector.getAllAndOverride<RouteAuth | undefined>(ROUTE_AUTH, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (needed === undefined) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const resolved = request.principal ?? request.authFailure ?? 'missing';
    if (needed === 'any') {
      if (typeof resolved === 'string') requireKind('tenant', resolved); // 401
      return true;
    }
    requireKind(needed, resolved);
    return true;
  }
}

/** The principal when it is of the kind the route needs; else 401 (none) or 403 (wrong kind). */
export function requireKind<K extends Principal['kind']>(
  needed: K,
  resolved: Principal | AuthFailure,
): Extract<Principal, { kind: K }> {
  if (typeof resolved === 'string') {
    throw new BrokerError('UNAUTHENTICATED', FAILURE_DETAIL[resolved]);
  }
  if (resolved.kind !== needed) {
    throw new BrokerError(
      'FORBIDDEN',
      needed === 'operator'
        ? 'this route needs the operator token'
        : 'the operator token has no rights on tenant data; use a tenant API key',
    );
  }
  return resolved as Extract<Principal, { kind: K }>;
}
