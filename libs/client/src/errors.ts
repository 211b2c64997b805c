// Every failure a client sees is a TributaryError. An answer of the server carries its
// problem+json body (RFC 9457): the stable `code`, `retriable`, `requestId` and, on a 429 or a
// 503, when to come back (Retry-After). What happens before an answer (the node unreachable,
// the connection lost, no answer in time) has a code of the client's own, listed in
// CLIENT_ERRORS, so a caller branches on `code` and `retriable` alone, whatever went wrong.

/** An error body as the API sends it. */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  code: string;
  retriable: boolean;
  requestId?: string;
  [extra: string]: unknown;
}

/** Codes the client gives to failures that are not an answer of the server. */
export const CLIENT_ERRORS = {
  /** No connection, or it was lost before the answer came: the request may have been served. */
  NETWORK_ERROR: { retriable: true },
  /** No answer within the request's timeout: the request may have been served. */
  TIMEOUT: { retriable: true },
  /** A WebSocket or event stream ended by the server or the network (retriable unless a
   * policy close: 1003, 1008, 1009). */
  CONNECTION_CLOSED: { retriable: true },
  /** The caller aborted the call. */
  ABORTED: { retriable: false },
  /** An answer that is not the API's (a proxy's HTML page, say); 5xx ones are retriable. */
  BAD_RESPONSE: { retriable: false },
  /** The producer's buffer stayed full for its maxBlockMs. */
  BUFFER_FULL: { retriable: true },
  /** The producer or consumer was closed. */
  CLOSED: { retriable: false },
  /** An argument the client refuses before sending anything. */
  INVALID_ARGUMENT: { retriable: false },
} as const;

export type ClientErrorCode = keyof typeof CLIENT_ERRORS;

export interface TributaryErrorOptions {
  status?: number;
  retriable?: boolean;
  requestId?: string;
  retryAfterMs?: number;
  problem?: Problem;
  cause?: unknown;
}

export class TributaryError extends Error {
  override readonly name = 'TributaryError';
  /** The problem's stable code, or one of CLIENT_ERRORS. */
  readonly code: string;
  /** The HTTP status; 0 when there was no answer. */
  readonly status: number;
  /** Whether the same call may succeed when tried again. */
  readonly retriable: boolean;
  readonly requestId: string | undefined;
  /** How long the server asked to wait before trying again (its Retry-After). */
  readonly retryAfterMs: number | undefined;
  /** The problem+json body as received, with any extra fields (logStartOffset, ...). */
  readonly problem: Problem | undefined;

  constructor(code: string, message: string, options: TributaryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? 0;
    this.retriable =
      options.retriable ??
      (code in CLIENT_ERRORS ? CLIENT_ERRORS[code as ClientErrorCode].retriable : false);
    this.requestId = options.requestId;
    this.retryAfterMs = options.retryAfterMs;
    this.problem = options.problem;
  }

  /** A client-side error (no answer from the server). */
  static client(code: ClientErrorCode, message: string, cause?: unknown): TributaryError {
    return new TributaryError(code, message, { cause });
  }
}

export function isTributaryError(error: unknown, code?: string): error is TributaryError {
  return error instanceof TributaryError && (code === undefined || error.code === code);
}

/** True for errors worth trying again: retriable TributaryErrors. */
export function isRetriable(error: unknown): boolean {
  return error instanceof TributaryError && error.retriable;
}

/** The body's problem when it is one; undefined otherwise. */
export function asProblem(body: unknown): Problem | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const candidate = body as Partial<Problem>;
  if (typeof candidate.code !== 'string' || typeof candidate.status !== 'number') return undefined;
  return { ...candidate, retriable: candidate.retriable === true } as Problem;
}

/** A problem (from an HTTP answer, a WebSocket error frame or an SSE error event) as an error. */
export function fromProblem(problem: Problem, retryAfterMs?: number): TributaryError {
  const fromBody =
    typeof problem.retryAfterSeconds === 'number' ? problem.retryAfterSeconds * 1000 : undefined;
  return new TributaryError(problem.code, problem.detail ?? problem.title ?? problem.code, {
    status: problem.status,
    retriable: problem.retriable,
    ...(problem.requestId === undefined ? {} : { requestId: problem.requestId }),
    ...(retryAfterMs === undefined && fromBody === undefined
      ? {}
      : { retryAfterMs: retryAfterMs ?? fromBody }),
    problem,
  });
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date (RFC 9110). */
export function parseRetryAfter(value: string | null, nowMs = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** What went wrong before an answer came, as a TributaryError. */
export function fromFailure(error: unknown, what: string): TributaryError {
  if (error instanceof TributaryError) return error;
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError') {
    return TributaryError.client('TIMEOUT', `${what}: no answer in time`, error);
  }
  if (name === 'AbortError') return TributaryError.client('ABORTED', `${what}: aborted`, error);
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const detail =
    typeof cause?.code === 'string'
      ? cause.code
      : typeof cause?.message === 'string'
        ? cause.message
        : error instanceof Error
          ? error.message
          : String(error);
  return TributaryError.client('NETWORK_ERROR', `${what}: ${detail}`, error);
}

/** An invariant of the client's own: failing it is a bug, thrown as a plain Error. */
export function invariant(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`@tributary/client invariant failed: ${message}`);
}
