// The two hot routes, produce and fetch, served straight from node:http ahead of Express and
// Nest, which cost most of a small request's CPU. Same contract, same services, same checks in
// the same order as the general pipeline and RecordsController; what this path does not read
// itself (compressed bodies, other charsets, other spellings of the path, HEAD) it passes on
// to them, so every request still gets an answer. RecordsController also declares both routes
// for the OpenAPI document.
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { LIMITS } from '@tributary/common';
import { type Logger } from 'pino';
import { requireKind } from '../auth/auth.guard';
import { clientGone } from '../http/client-gone';
import { type Credentials } from '../auth/credentials';
import { pathPartition, queryString } from '../http/input';
import {
  closeAfterAnswer,
  isPlainBody,
  mediaType,
  parseJsonBody,
  readBody,
} from '../http/plain-body';
import { sendBody } from '../http/problem';
import { handleError } from '../http/problem.filter';
import {
  hasBody,
  NDJSON_TYPE,
  OVERLOADED,
  produceBodyTooLarge,
  type RequestTracker,
  unsupportedType,
} from '../http/request-pipeline';
import { type FetchService, parseFetchQuery } from './fetch.service';
import { produceAnswerJson, type ProduceService } from './produce.service';

const PRODUCE_PATH = /^\/v1\/topics\/([^/]+)\/records\/?$/;
const FETCH_PATH = /^\/v1\/topics\/([^/]+)\/partitions\/([^/]+)\/records\/?$/;
/** The route names the metrics use, as Express names these routes. */
const PRODUCE_ROUTE = '/v1/topics/:topic/records';
const FETCH_ROUTE = '/v1/topics/:topic/partitions/:partition/records';
const PRODUCE_TYPES = /^application\/(?:json|[^\s/;]+\+json|x-ndjson)$/;
const JSON_CONTENT = 'application/json; charset=utf-8';

export interface HotRoutesOptions {
  credentials: Credentials;
  tracker: RequestTracker;
  producer: ProduceService;
  fetcher: FetchService;
  logger: Logger;
  onFatal: (error: unknown) => void;
}

export class HotRoutes {
  constructor(private readonly options: HotRoutesOptions) {}

  /** Serves the request and returns true, or returns false having touched nothing. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? '';
    if (!url.startsWith('/v1/topics/')) return false;
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    // Parsed only for a request this path serves.
    const query = () => (q === -1 ? {} : parseQuery(url.slice(q + 1)));
    if (req.method === 'POST') {
      const match = PRODUCE_PATH.exec(path);
      const topic = decodeSegment(match?.[1]);
      if (topic === undefined) return false;
      const media = mediaType(req);
      if (!isPlainBody(req, media)) return false;
      this.serve(req, res, PRODUCE_ROUTE, () => this.produce(req, res, topic, media.type, query()));
      return true;
    }
    if (req.method === 'GET') {
      const match = FETCH_PATH.exec(path);
      const topic = decodeSegment(match?.[1]);
      const partition = decodeSegment(match?.[2]);
      if (topic === undefined || partition === undefined) return false;
      this.serve(req, res, FETCH_ROUTE, () =>
        this.fetch(req, res, topic, partition, query(), clientGone(res)),
      );
      return true;
    }
    return false;
  }

  private serve(
    req: IncomingMessage,
    res: ServerResponse,
    route: string,
    answer: () => Promise<{ status: number; json: string }>,
  ): void {
    const { tracker, logger, onFatal } = this.options;
    const id = tracker.begin(req, res, () => route);
    const run = async () => {
      if (tracker.overloaded) throw OVERLOADED();
      const { status, json } = await answer();
      sendBody(res, status, JSON_CONTENT, json);
    };
    run().catch((error: unknown) => handleError(error, { id }, res, logger, onFatal));
  }

  private async produce(
    req: IncomingMessage,
    res: ServerResponse,
    topic: string,
    type: string,
    query: Record<string, unknown>,
  ): Promise<{ status: number; json: string }> {
    const principal = requireKind(
      'tenant',
      this.options.credentials.resolve(req.headers.authorization),
    );
    // Shed before the body is read: a refused request costs its headers only.
    this.options.tracker.admit(res, principal.tenant.id, false);
    let body: unknown;
    let bodyBytes = 0;
    let ndjson = false;
    if (hasBody(req)) {
      if (!PRODUCE_TYPES.test(type)) {
        throw unsupportedType(req, ['application/json', NDJSON_TYPE]);
      }
      const limit = LIMITS.produceBodyBytesMax;
      const refuse = () => {
        closeAfterAnswer(req, res);
        return produceBodyTooLarge();
      };
      // Refused from the header, at once, without reading the body.
      if (Number(req.headers['content-length'] ?? 0) > limit) throw refuse();
      const bytes = await readBody(req, limit, refuse);
      ndjson = type === NDJSON_TYPE;
      body = ndjson ? bytes.toString('utf8') : parseJsonBody(bytes);
      bodyBytes = bytes.length;
    }
    const idempotencyKey = req.headers['idempotency-key'];
    const answer = await this.options.producer.produce(principal, {
      topic,
      acks: queryString(query, 'acks'),
      keyFormat: queryString(query, 'keyFormat'),
      valueFormat: queryString(query, 'valueFormat'),
      body,
      ndjson,
      bodyBytes,
      idempotencyKey: typeof idempotencyKey === 'string' ? idempotencyKey : undefined,
    });
    if (answer.replayed) res.setHeader('Idempotent-Replayed', 'true');
    return { status: answer.status, json: produceAnswerJson(answer.body) };
  }

  private async fetch(
    req: IncomingMessage,
    res: ServerResponse,
    topic: string,
    partition: string,
    query: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<{ status: number; json: string }> {
    const principal = requireKind(
      'tenant',
      this.options.credentials.resolve(req.headers.authorization),
    );
    const params = parseFetchQuery(query);
    this.options.tracker.admit(res, principal.tenant.id, params.maxWaitMs > 0);
    const body = await this.options.fetcher.fetch(
      principal,
      topic,
      pathPartition(partition),
      params,
      signal,
    );
    return { status: 200, json: JSON.stringify(body) };
  }
}

/** A decoded path segment; undefined when absent or not valid percent-encoding. */
function decodeSegment(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}
