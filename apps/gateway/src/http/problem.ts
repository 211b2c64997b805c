// Every error leaves as application/problem+json (RFC 9457) with a code from the catalogue and
// the request id. Coded errors say what went wrong; anything else is INTERNAL with no detail,
// so internals never leak. An outage of Postgres or Redis is UNAVAILABLE (retriable, with
// Retry-After) even when it reaches here unconverted: the libraries convert what they see, and
// this is the last resort for any path that escaped them.
import { HttpException } from '@nestjs/common';
import { AssertionError, BrokerError, ERRORS, type ErrorCode, LIMITS } from '@tributary/common';
import { coordinationOutage } from '@tributary/coordination';
import { metadataOutage } from '@tributary/metadata';
import { type ServerResponse } from 'node:http';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  retriable: boolean;
  requestId: string;
  [extra: string]: unknown;
}

/** Express's body parsers flag their failures with a `type`. */
interface ParserError {
  type: string;
  status?: number;
  message?: string;
}

const PARSER_ERRORS: Record<string, ErrorCode> = {
  'entity.too.large': 'REQUEST_TOO_LARGE',
  'entity.parse.failed': 'INVALID_REQUEST',
  'encoding.unsupported': 'UNSUPPORTED_MEDIA_TYPE',
  'charset.unsupported': 'UNSUPPORTED_MEDIA_TYPE',
  'request.aborted': 'INVALID_REQUEST',
  'request.size.invalid': 'INVALID_REQUEST',
};

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'INVALID_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'ROUTE_NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'REQUEST_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'QUOTA_EXCEEDED',
  503: 'UNAVAILABLE',
};

function isParserError(error: unknown): error is ParserError {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { type?: unknown }).type === 'string' &&
    (error as ParserError).type in PARSER_ERRORS
  );
}

/** The coded error an exception stands for; undefined when it is unexpected (a bug). */
export function toBrokerError(error: unknown): BrokerError | undefined {
  if (error instanceof BrokerError) return error;
  if (isParserError(error)) {
    const code = PARSER_ERRORS[error.type] ?? 'INVALID_REQUEST';
    const detail =
      error.type === 'entity.parse.failed'
        ? `the body is not valid JSON: ${error.message ?? ''}`.trim()
        : code === 'REQUEST_TOO_LARGE'
          ? 'the request body is larger than this route accepts'
          : (error.message ?? ERRORS[code].title);
    return new BrokerError(code, detail);
  }
  if (error instanceof HttpException) {
    const code = STATUS_CODES[error.getStatus()];
    if (code === undefined) return undefined;
    const detail =
      code === 'ROUTE_NOT_FOUND' ? 'no route matches this method and path' : error.message;
    return new BrokerError(code, detail);
  }
  return metadataOutage(error) ?? coordinationOutage(error);
}

export function problemOf(error: BrokerError, requestId: string): Problem {
  return {
    ...error.extra,
    type: `urn:tributary:error:${error.code}`,
    title: ERRORS[error.code].title,
    status: error.status,
    detail: error.message,
    code: error.code,
    retriable: error.retriable,
    requestId,
  };
}

/** Answers with the problem; works on Express's responses and on plain node:http ones. */
export function sendProblem(response: ServerResponse, error: BrokerError, requestId: string): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  if (error.code === 'UNAUTHENTICATED') response.setHeader('WWW-Authenticate', 'Bearer');
  // Every 429 and 503 says when to come back: the error's own hint, else the default.
  const retryAfter =
    error.extra.retryAfterSeconds ??
    (error.status === 429 || error.status === 503 ? LIMITS.retryAfterSecondsDefault : undefined);
  if (typeof retryAfter === 'number') response.setHeader('Retry-After', String(retryAfter));
  sendBody(
    response,
    error.status,
    `${PROBLEM_CONTENT_TYPE}; charset=utf-8`,
    JSON.stringify(problemOf(error, requestId)),
  );
}

/** A whole response body with its length, as Express's res.send would write it. */
export function sendBody(
  response: ServerResponse,
  status: number,
  contentType: string,
  body: string,
): void {
  response.statusCode = status;
  response.setHeader('Content-Type', contentType);
  response.setHeader('Content-Length', Buffer.byteLength(body));
  response.end(body);
}

export function isAssertion(error: unknown): boolean {
  return error instanceof AssertionError;
}
