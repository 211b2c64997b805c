// One HTTP call to the API through the global fetch (Node 20 and browsers alike): the bearer
// key, JSON in and out, a timeout on every call, and any answer other than 2xx turned into a
// TributaryError from its problem+json body.
import { CLIENT_DEFAULTS } from './defaults';
import { asProblem, fromFailure, fromProblem, parseRetryAfter, TributaryError } from './errors';

export type FetchFunction = (input: string, init?: RequestInit) => Promise<Response>;

export type Query = Record<string, string | number | boolean | undefined>;

export interface CallOptions {
  query?: Query;
  /** Sent as JSON, unless it is already a string (sent as is, as JSON). */
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface Answer<T> {
  status: number;
  body: T;
  headers: Headers;
}

export interface TransportOptions {
  /** The node's base URL, e.g. http://localhost:8080. */
  url: string;
  /** A tenant API key (or the operator token), sent as `Authorization: Bearer`. */
  apiKey?: string;
  fetch?: FetchFunction;
  requestTimeoutMs?: number;
  /** Sent with every call (a proxy's header, say). */
  headers?: Record<string, string>;
}

export class HttpTransport {
  readonly baseUrl: string;
  private readonly fetchFn: FetchFunction;

  constructor(private readonly options: TransportOptions) {
    if (typeof options.url !== 'string' || !/^https?:\/\//.test(options.url)) {
      throw TributaryError.client('INVALID_ARGUMENT', `url: an http(s) URL, not ${options.url}`);
    }
    this.baseUrl = options.url.replace(/\/+$/, '');
    const fetchFn: FetchFunction | undefined =
      options.fetch ?? (globalThis as { fetch?: FetchFunction }).fetch;
    if (fetchFn === undefined) {
      throw TributaryError.client('INVALID_ARGUMENT', 'no global fetch: pass options.fetch');
    }
    // A bare global fetch must be called with the global object as `this` (browsers insist).
    this.fetchFn = options.fetch ?? ((input, init) => fetchFn.call(globalThis, input, init));
  }

  /** The URL of an API path with its query (undefined values left out). */
  url(path: string, query: Query = {}): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined) params.set(name, String(value));
    }
    const search = params.toString();
    return `${this.baseUrl}${path}${search === '' ? '' : `?${search}`}`;
  }

  /** Headers of every call: the credential and the caller's own. */
  headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...this.options.headers,
      ...(this.options.apiKey === undefined
        ? {}
        : { authorization: `Bearer ${this.options.apiKey}` }),
      ...extra,
    };
  }

  async call<T>(method: string, path: string, options: CallOptions = {}): Promise<Answer<T>> {
    const headers = this.headers({ accept: 'application/json', ...options.headers });
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const what = `${method} ${path}`;
    const response = await this.send(what, this.url(path, options.query), {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
      timeoutMs: options.timeoutMs ?? this.options.requestTimeoutMs,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      readBody: true,
    });
    const text = response.text ?? '';
    let parsed: unknown = undefined;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        throw badResponse(response.response, `${what}: the answer is not JSON`, error);
      }
    }
    return {
      status: response.response.status,
      body: parsed as T,
      headers: response.response.headers,
    };
  }

  /**
   * A streaming GET (Server-Sent Events): resolves with the response once its headers came
   * (2xx only); the timeout covers only that wait, `signal` the whole stream.
   */
  async stream(
    path: string,
    query: Query,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<Response> {
    const { response } = await this.send(`GET ${path}`, this.url(path, query), {
      method: 'GET',
      headers: this.headers(headers),
      timeoutMs: this.options.requestTimeoutMs,
      signal,
      readBody: false,
    });
    return response;
  }

  private async send(
    what: string,
    url: string,
    init: {
      method: string;
      headers: Record<string, string>;
      body?: string;
      timeoutMs: number | undefined;
      signal?: AbortSignal;
      readBody: boolean;
    },
  ): Promise<{ response: Response; text?: string }> {
    const timeoutMs = init.timeoutMs ?? CLIENT_DEFAULTS.requestTimeoutMs;
    const abort = new AbortController();
    const onAbort = () => abort.abort(init.signal?.reason);
    if (init.signal?.aborted === true) throw TributaryError.client('ABORTED', `${what}: aborted`);
    init.signal?.addEventListener('abort', onAbort, { once: true });
    let streaming = false;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, timeoutMs);
    try {
      const response = await this.fetchFn(url, {
        method: init.method,
        headers: init.headers,
        ...(init.body === undefined ? {} : { body: init.body }),
        signal: abort.signal,
      });
      if (response.ok && !init.readBody) {
        // The caller's signal goes on ending the stream after this returns.
        streaming = true;
        return { response };
      }
      // The body is read under the same timeout: a stalled answer is a failed call too.
      const text = await response.text();
      if (!response.ok) throw errorOf(response, text, what);
      return { response, text };
    } catch (error) {
      if (error instanceof TributaryError) throw error;
      if (timedOut) {
        throw TributaryError.client('TIMEOUT', `${what}: no answer within ${timeoutMs} ms`, error);
      }
      throw fromFailure(error, what);
    } finally {
      clearTimeout(timer);
      if (!streaming) init.signal?.removeEventListener('abort', onAbort);
    }
  }
}

function errorOf(response: Response, text: string, what: string): TributaryError {
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const problem = asProblem(body);
  if (problem !== undefined) {
    problem.requestId ??= response.headers.get('x-request-id') ?? undefined;
    return fromProblem(problem, retryAfterMs);
  }
  return badResponse(response, `${what}: HTTP ${response.status} without a problem body`);
}

/** An answer that is not the API's: retriable when it is a gateway's 502/503/504. */
function badResponse(response: Response, message: string, cause?: unknown): TributaryError {
  return new TributaryError('BAD_RESPONSE', message, {
    status: response.status,
    retriable: [408, 429, 502, 503, 504].includes(response.status),
    ...(cause === undefined ? {} : { cause }),
    retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
  });
}
