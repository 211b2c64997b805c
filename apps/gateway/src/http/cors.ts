// CORS for the origins TRIBUTARY_ALLOWED_ORIGINS names (exact origins, no wildcard): every
// answer to such an origin names it in Access-Control-Allow-Origin and exposes the headers a
// client reads (Retry-After, X-Request-Id, Idempotent-Replayed); a preflight from it is answered
// 204 with the methods and request headers the API takes, cached for ten minutes. Credentials
// travel in the Authorization header, never in cookies, so no answer allows credentials. A
// preflight from any other origin is 403, and its other answers carry no CORS header, so the
// browser keeps them from the page. Runs ahead of every route, hot or not.
import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { BrokerError } from '@tributary/common';
import { problemOf } from './problem';

const ALLOW_METHODS = 'GET, POST, PUT, PATCH, DELETE, HEAD';
const ALLOW_HEADERS = [
  'Authorization',
  'Content-Type',
  'Content-Encoding',
  'Idempotency-Key',
  'Last-Event-ID',
  'X-Request-Id',
].join(', ');
const EXPOSE_HEADERS = ['Retry-After', 'X-Request-Id', 'Idempotent-Replayed', 'Allow'].join(', ');
const MAX_AGE_SECONDS = 600;

export class Cors {
  private readonly allowed: ReadonlySet<string>;

  constructor(allowedOrigins: readonly string[]) {
    this.allowed = new Set(allowedOrigins);
  }

  /**
   * Adds the CORS headers the request's origin gets; answers a preflight itself (returns true:
   * the request is done).
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const origin = req.headers.origin;
    const preflight =
      req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    if (origin === undefined) return false;
    res.setHeader('Vary', 'Origin');
    if (!this.allowed.has(origin)) {
      if (!preflight) return false;
      const error = new BrokerError('FORBIDDEN', `origin ${origin} is not allowed`);
      const body = JSON.stringify(problemOf(error, randomUUID()));
      res.writeHead(403, {
        'Content-Type': 'application/problem+json',
        'Content-Length': Buffer.byteLength(body),
      });
      res.end(body);
      return true;
    }
    res.setHeader('Access-Control-Allow-Origin', origin);
    if (!preflight) {
      res.setHeader('Access-Control-Expose-Headers', EXPOSE_HEADERS);
      return false;
    }
    res.writeHead(204, {
      'Access-Control-Allow-Methods': ALLOW_METHODS,
      'Access-Control-Allow-Headers': ALLOW_HEADERS,
      'Access-Control-Max-Age': String(MAX_AGE_SECONDS),
      'Content-Length': '0',
    });
    res.end();
    return true;
  }
}
