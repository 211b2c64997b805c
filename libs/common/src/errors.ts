// The error catalogue: one table of stable codes, each with its HTTP status, the nearest Kafka
// error code and whether a client may retry. Codes are part of the public contract (docs/API.md):
// extend the table, never rename an entry.
import { LIMITS } from './limits';

export const ERRORS = {
  INVALID_REQUEST: { status: 400, kafkaCode: 42, retriable: false, title: 'Invalid request' },
  INVALID_TOPIC: { status: 400, kafkaCode: 17, retriable: false, title: 'Invalid topic' },
  INVALID_CONFIG: { status: 400, kafkaCode: 40, retriable: false, title: 'Invalid config' },
  INVALID_PARTITIONS: { status: 400, kafkaCode: 37, retriable: false, title: 'Invalid partitions' },
  INVALID_RECORD: { status: 400, kafkaCode: 87, retriable: false, title: 'Invalid record' },
  INVALID_REQUIRED_ACKS: { status: 400, kafkaCode: 21, retriable: false, title: 'Invalid acks' },
  INVALID_FETCH_SIZE: { status: 400, kafkaCode: 4, retriable: false, title: 'Invalid fetch size' },
  UNSUPPORTED_COMPRESSION_TYPE: {
    status: 400,
    kafkaCode: 76,
    retriable: false,
    title: 'Unsupported compression type',
  },
  UNAUTHENTICATED: { status: 401, kafkaCode: 58, retriable: false, title: 'Unauthenticated' },
  FORBIDDEN: { status: 403, kafkaCode: 29, retriable: false, title: 'Forbidden' },
  INVALID_REPLICATION_FACTOR: {
    status: 400,
    kafkaCode: 38,
    retriable: false,
    title: 'Invalid replication factor',
  },
  INVALID_REPLICA_ASSIGNMENT: {
    status: 400,
    kafkaCode: 39,
    retriable: false,
    title: 'Invalid replica assignment',
  },
  UNKNOWN_NODE: { status: 404, kafkaCode: -1, retriable: false, title: 'Unknown node' },
  NODE_IN_USE: { status: 409, kafkaCode: -1, retriable: false, title: 'Node in use' },
  UNKNOWN_TOPIC_OR_PARTITION: {
    status: 404,
    kafkaCode: 3,
    retriable: false,
    title: 'Unknown topic or partition',
  },
  UNKNOWN_GROUP: { status: 404, kafkaCode: 69, retriable: false, title: 'Unknown group' },
  UNKNOWN_MEMBER: { status: 404, kafkaCode: 25, retriable: false, title: 'Unknown member' },
  UNKNOWN_TENANT: { status: 404, kafkaCode: -1, retriable: false, title: 'Unknown tenant' },
  UNKNOWN_API_KEY: { status: 404, kafkaCode: -1, retriable: false, title: 'Unknown API key' },
  ROUTE_NOT_FOUND: { status: 404, kafkaCode: -1, retriable: false, title: 'No such route' },
  METHOD_NOT_ALLOWED: {
    status: 405,
    kafkaCode: -1,
    retriable: false,
    title: 'Method not allowed',
  },
  TOPIC_ALREADY_EXISTS: { status: 409, kafkaCode: 36, retriable: false, title: 'Topic exists' },
  TENANT_ALREADY_EXISTS: { status: 409, kafkaCode: -1, retriable: false, title: 'Tenant exists' },
  GROUP_NOT_EMPTY: { status: 409, kafkaCode: 68, retriable: false, title: 'Group not empty' },
  STALE_MEMBER_EPOCH: {
    status: 409,
    kafkaCode: 113,
    retriable: false,
    title: 'Stale member epoch',
  },
  GROUP_MAX_SIZE_REACHED: {
    status: 409,
    kafkaCode: 81,
    retriable: true,
    title: 'Group is full',
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    kafkaCode: -1,
    retriable: false,
    title: 'Idempotency key reused with another request',
  },
  REQUEST_TIMEOUT: {
    status: 408,
    kafkaCode: 7,
    retriable: true,
    title: 'Request not received in time',
  },
  REQUEST_TOO_LARGE: { status: 413, kafkaCode: -1, retriable: false, title: 'Request too large' },
  MESSAGE_TOO_LARGE: { status: 413, kafkaCode: 10, retriable: false, title: 'Message too large' },
  RECORD_LIST_TOO_LARGE: {
    status: 413,
    kafkaCode: 18,
    retriable: false,
    title: 'Record list too large',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    kafkaCode: -1,
    retriable: false,
    title: 'Unsupported media type',
  },
  OFFSET_OUT_OF_RANGE: {
    status: 416,
    kafkaCode: 1,
    retriable: false,
    title: 'Offset out of range',
  },
  QUOTA_EXCEEDED: { status: 429, kafkaCode: 89, retriable: true, title: 'Quota exceeded' },
  REQUEST_HEADER_FIELDS_TOO_LARGE: {
    status: 431,
    kafkaCode: -1,
    retriable: false,
    title: 'Request header fields too large',
  },
  CORRUPT_RECORD: { status: 500, kafkaCode: 2, retriable: false, title: 'Corrupt record' },
  INTERNAL: { status: 500, kafkaCode: -1, retriable: false, title: 'Internal error' },
  NOT_ENOUGH_REPLICAS: {
    status: 503,
    kafkaCode: 19,
    retriable: true,
    title: 'Not enough replicas',
  },
  NOT_LEADER_OR_FOLLOWER: {
    status: 503,
    kafkaCode: 6,
    retriable: true,
    title: 'Not leader or follower',
  },
  FENCED_LEADER_EPOCH: {
    status: 503,
    kafkaCode: 74,
    retriable: true,
    title: 'Fenced leader epoch',
  },
  BACKPRESSURE: { status: 503, kafkaCode: 7, retriable: true, title: 'Too many pending writes' },
  STORAGE_ERROR: { status: 503, kafkaCode: 56, retriable: true, title: 'Storage error' },
  UNAVAILABLE: { status: 503, kafkaCode: 5, retriable: true, title: 'Unavailable' },
  NETWORK_EXCEPTION: {
    status: 503,
    kafkaCode: 13,
    retriable: true,
    title: 'Another node could not be reached',
  },
  REQUEST_TIMED_OUT: { status: 503, kafkaCode: 7, retriable: true, title: 'Request timed out' },
} as const satisfies Record<string, ErrorSpec>;

export interface ErrorSpec {
  readonly status: number;
  readonly kafkaCode: number;
  readonly retriable: boolean;
  readonly title: string;
}

export type ErrorCode = keyof typeof ERRORS;

/** A coded, expected failure. Unexpected failures are plain Errors (or AssertionErrors). */
export class BrokerError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly kafkaCode: number;
  readonly retriable: boolean;
  /** Extra fields the problem+json body carries (e.g. logStartOffset, highWatermark). */
  readonly extra: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    detail: string,
    options: { cause?: unknown; extra?: Record<string, unknown> } = {},
  ) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    const spec: ErrorSpec = ERRORS[code];
    this.name = 'BrokerError';
    this.code = code;
    this.status = spec.status;
    this.kafkaCode = spec.kafkaCode;
    this.retriable = spec.retriable;
    this.extra = options.extra ?? {};
  }
}

export function isBrokerError(error: unknown, code?: ErrorCode): error is BrokerError {
  return error instanceof BrokerError && (code === undefined || error.code === code);
}

/**
 * UNAVAILABLE because a service the node depends on (Postgres, Redis) is not answering right
 * now: retriable, with a Retry-After. The detail goes to clients, so it names no host; the
 * cause keeps the driver's words for the log.
 */
/** Socket error codes of a connection that failed or died. */
const SOCKET_FAILURES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Whether a Node error code says the connection to a service failed or died. */
export function isSocketFailure(code: string): boolean {
  return SOCKET_FAILURES.has(code);
}

export function unavailable(detail: string, cause?: unknown): BrokerError {
  return new BrokerError('UNAVAILABLE', detail, {
    cause,
    extra: { retryAfterSeconds: LIMITS.retryAfterSecondsDefault },
  });
}
