// The Express middleware that runs before Nest routes a request: a request id, a bound on
// requests in flight, latency metrics and the access log, the bearer credential, and then the
// body parsers, which read a body only for an authenticated caller and only up to the
// route's limit (a Content-Length over it is refused before a byte is read).
import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { BrokerError, LIMITS } from '@tributary/common';
import express, { type Request, type RequestHandler, type Response } from 'express';
import { type Logger } from 'pino';
import { type Credentials } from '../auth/credentials';
import { type AuthenticatedRequest, type Principal, type TenantPrincipal } from '../auth/principal';
import { type GatewayMetrics } from '../ops/gateway-metrics';
import { nestsDeeperThan, tooDeep } from './json-depth';
import { type LoadShedder } from './load-shedder';
import { closeAfterAnswer } from './plain-body';
import { handleError } from './problem.filter';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const PRODUCE_PATH = /^\/v1\/topics\/[^/]+\/records\/?$/;
const EVENTS_PATH = /^\/v1\/topics\/[^/]+\/events\/?$/;
export const JSON_TYPES = ['application/json', 'application/*+json'];
export const NDJSON_TYPE = 'application/x-ndjson';

export interface TrackerOptions {
  metrics: GatewayMetrics;
  logger: Logger;
  shedder: LoadShedder;
  requestsInFlightMax?: number;
}

/**
 * What every request gets, whether Express or a hot route serves it: an id (the client's
 * X-Request-Id when well-formed), a place under the bound on requests in flight, and, when it
 * closes, its latency in the histogram and a debug access-log line.
 */
export class RequestTracker {
  private inFlight = 0;
  private readonly inFlightMax: number;

  constructor(private readonly options: TrackerOptions) {
    this.inFlightMax = options.requestsInFlightMax ?? LIMITS.requestsInFlightMax;
  }

  /** The request's id; `route` names it in the metrics once it has closed. */
  begin(req: IncomingMessage, res: ServerResponse, route: () => string): string {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', id);
    const startedNs = process.hrtime.bigint();
    this.inFlight++;
    res.once('close', () => {
      this.inFlight--;
      const seconds = Number(process.hrtime.bigint() - startedNs) / 1e9;
      const { metrics, logger } = this.options;
      metrics.requestSeconds.observe(
        { method: req.method ?? '', route: route(), status: String(res.statusCode) },
        seconds,
      );
      if (logger.isLevelEnabled('debug')) {
        logger.debug(
          {
            reqId: id,
            method: req.method,
            url: req.url,
            status: res.statusCode,
            ms: seconds * 1e3,
          },
          'request',
        );
      }
    });
    return id;
  }

  /** Past the bound: the request just begun is to be refused (503, retriable). */
  get overloaded(): boolean {
    return this.inFlight > this.inFlightMax;
  }

  /**
   * Takes a work slot for a tenant's request, released when it closes; throws the 429 or 503
   * to answer when the node sheds it. Long-polls take none (see LoadShedder).
   */
  admit(res: ServerResponse, tenantId: string, longPoll: boolean): void {
    if (longPoll) return;
    try {
      res.once('close', this.options.shedder.admit(tenantId));
    } catch (error) {
      holdConnection(res, LIMITS.retryAfterSecondsDefault * 1000);
      throw error;
    }
  }
}

/**
 * After a refusal for load, the connection reads nothing more for `ms` (its Retry-After): a
 * client that retries at once anyway waits in its own socket instead of costing the node a
 * parse and a refusal per attempt, which is what lets the others be served. The answer itself
 * goes out at once.
 */
function holdConnection(res: ServerResponse, ms: number): void {
  const socket = res.socket;
  if (socket === null) return;
  res.once('finish', () => {
    // After node:http's own handling of the finish, which resumes the socket to discard the
    // unread body: a pause made before it would be undone.
    setImmediate(() => {
      if (socket.destroyed) return;
      socket.pause();
      const onClose = () => clearTimeout(timer);
      const timer = setTimeout(() => {
        socket.off('close', onClose);
        socket.resume();
      }, ms);
      timer.unref();
      socket.once('close', onClose);
    });
  });
}

export const OVERLOADED = () =>
  new BrokerError('UNAVAILABLE', 'too many requests in flight; retry');

export interface PipelineOptions {
  credentials: Credentials;
  /** The key a single-use ticket stands for (event streams opened by a browser's EventSource). */
  redeemTicket: (ticket: string) => Promise<TenantPrincipal>;
  tracker: RequestTracker;
  logger: Logger;
  onFatal: (error: unknown) => void;
}

export function requestPipeline(options: PipelineOptions): RequestHandler[] {
  const { logger, tracker } = options;
  const fail = (error: unknown, req: Request, res: Response) =>
    handleError(error, req as AuthenticatedRequest, res, logger, options.onFatal);

  const start: RequestHandler = (req, res, next) => {
    const request = req as AuthenticatedRequest;
    request.id = tracker.begin(
      req,
      res,
      () => (req.route as { path?: string } | undefined)?.path ?? 'unmatched',
    );
    if (tracker.overloaded) {
      fail(OVERLOADED(), req, res);
      return;
    }
    if (!req.path.startsWith('/v1/')) {
      next();
      return;
    }
    const admitted = (principal: Principal) => {
      request.principal = principal;
      if (principal.kind === 'tenant') {
        try {
          tracker.admit(res, principal.tenant.id, isLongLived(req));
        } catch (error) {
          fail(error, req, res);
          return;
        }
      }
      next();
    };
    const ticket = (req.query as Record<string, unknown>).ticket;
    if (
      req.method === 'GET' &&
      EVENTS_PATH.test(req.path) &&
      req.headers.authorization === undefined &&
      typeof ticket === 'string'
    ) {
      options.redeemTicket(ticket).then(admitted, (error: unknown) => fail(error, req, res));
      return;
    }
    const resolved = options.credentials.resolve(req.headers.authorization);
    if (typeof resolved === 'string') {
      request.authFailure = resolved;
      next();
      return;
    }
    admitted(resolved);
  };

  const produceJson = express.json({ limit: LIMITS.produceBodyBytesMax, type: JSON_TYPES });
  const produceNdjson = express.text({ limit: LIMITS.produceBodyBytesMax, type: NDJSON_TYPE });
  const otherJson = express.json({ limit: LIMITS.requestBodyBytesMax, type: JSON_TYPES });

  const body: RequestHandler = (req, res, next) => {
    if (!hasBody(req) || (req as AuthenticatedRequest).principal === undefined) {
      next();
      return;
    }
    const produce = req.method === 'POST' && PRODUCE_PATH.test(req.path);
    const accepted = produce ? [...JSON_TYPES, NDJSON_TYPE] : JSON_TYPES;
    if (!req.is(accepted)) {
      fail(unsupportedType(req, accepted), req, res);
      return;
    }
    // Refused from the header, at once: the body parser would first read the whole body.
    const limit = produce ? LIMITS.produceBodyBytesMax : LIMITS.requestBodyBytesMax;
    if (Number(req.headers['content-length'] ?? 0) > limit) {
      closeAfterAnswer(req, res);
      fail(bodyError({ type: 'entity.too.large' }, req, produce), req, res);
      return;
    }
    const limitBody = (error?: unknown) => {
      if (error !== undefined && error !== null) {
        fail(bodyError(error, req, produce), req, res);
        return;
      }
      // Produce bodies are checked record by record, so that the error names the record.
      if (!produce && nestsDeeperThan(req.body, LIMITS.jsonDepthMax)) {
        fail(tooDeep('the body'), req, res);
        return;
      }
      next();
    };
    if (!produce) otherJson(req, res, limitBody);
    else if (req.is(NDJSON_TYPE) !== false) produceNdjson(req, res, limitBody);
    else produceJson(req, res, limitBody);
  };

  return [start, body];
}

/** Requests that mostly wait rather than work: long-polls and event streams. */
function isLongLived(req: Request): boolean {
  if (req.path.endsWith('/events')) return true;
  const wait = (req.query as Record<string, unknown>).maxWaitMs;
  return typeof wait === 'string' && Number(wait) > 0;
}

export function unsupportedType(req: IncomingMessage, accepted: readonly string[]): BrokerError {
  const type = req.headers['content-type'] ?? 'none';
  return new BrokerError(
    'UNSUPPORTED_MEDIA_TYPE',
    `Content-Type ${type} is not accepted here; send ${accepted.filter((t) => !t.includes('*')).join(' or ')}`,
  );
}

export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/**
 * What a body parser's failure means to the client. Produce bodies over the limit are a record
 * list too large (Kafka's name for it). A failure without a parser `type` on a compressed body
 * comes from zlib (not gzip/deflate/br data, or cut short): the body is bad, not the server.
 */
function bodyError(error: unknown, req: IncomingMessage, produce: boolean): unknown {
  const type = (error as { type?: unknown }).type;
  if (type === undefined) {
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
      return new BrokerError(
        'INVALID_REQUEST',
        `the body is not valid ${encoding} data (${(error as Error).message}); ` +
          'send it compressed as its Content-Encoding says, or without Content-Encoding',
        { cause: error },
      );
    }
  }
  if (produce && type === 'entity.too.large') return produceBodyTooLarge();
  return error;
}

export function produceBodyTooLarge(): BrokerError {
  return new BrokerError(
    'RECORD_LIST_TOO_LARGE',
    `a produce body may be at most ${LIMITS.produceBodyBytesMax} bytes; split the records`,
  );
}
