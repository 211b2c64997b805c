// Recognising the errors that mean "Postgres is not answering right now" — refused, reset,
// timed out, shutting down, out of connections, failed over to a standby — as opposed to a bad
// query or a bug. The same event reaches us in several shapes, depending on where it was
// noticed: a Node socket error, a node-postgres message without a code, a Postgres SQLSTATE, a
// DriverAdapterError whose cause the pg adapter mapped to a kind, or a Prisma error carrying
// that adapter error or a connection code. Each is recognised by the fields its library
// documents; anything else is not an outage and propagates as it is.
import { type BrokerError, isSocketFailure, unavailable } from '@tributary/common';
import { Prisma } from './generated/prisma/client';

/**
 * SQLSTATEs of a server that cannot serve now but may soon (besides class 08, connection
 * exceptions): shut down by an operator or a crash (57P01, 57P02), starting up or in recovery
 * (57P03), out of connection slots (53300), a standby or demoted primary after a failover
 * refusing writes (25006), a statement cancelled by its timeout (57014).
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '25006', '57014']);

/** node-postgres and pg-pool report these without a code. */
const DRIVER_MESSAGES = [
  /^Connection terminated/, // "... unexpectedly", "... due to connection timeout"
  /^timeout exceeded when trying to connect$/, // pg-pool: no connection within connectionTimeoutMillis
  /^Query read timeout$/, // query_timeout
  /is not queryable$/, // a client that already saw its connection fail
];

/** The kinds @prisma/adapter-pg maps connection failures to (DriverAdapterError.cause.kind). */
const ADAPTER_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
]);

/**
 * Prisma's codes for the same: server unreachable (P1001), timed out (P1002, P1008), connection
 * closed (P1017), no connection from the pool in time (P2024), too many connections (P2037).
 */
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2037']);

/** Causes followed at most (errors wrapping errors). */
const CAUSE_DEPTH_MAX = 8;

export const DATABASE_UNAVAILABLE = 'the metadata database is unavailable; retry shortly';

/** The error as UNAVAILABLE (with Retry-After) when it stands for an outage; else undefined. */
export function metadataOutage(error: unknown): BrokerError | undefined {
  return isDatabaseOutage(error) ? unavailable(DATABASE_UNAVAILABLE, error) : undefined;
}

export function isDatabaseOutage(error: unknown): boolean {
  let current = error;
  for (let depth = 0; depth < CAUSE_DEPTH_MAX && isObject(current); depth++) {
    if (isOutageItself(current)) return true;
    current = inner(current);
  }
  return false;
}

function isOutageItself(error: Record<string, unknown>): boolean {
  const { code, message } = error;
  if (typeof code === 'string') {
    if (isSocketFailure(code)) return true;
    if (isSqlstate(code) && (code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code))) {
      return true;
    }
  }
  if (isDriverAdapterError(error) && ADAPTER_KINDS.has(String(error.cause.kind))) return true;
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    return PRISMA_CODES.has(error.code) || isTransactionTimeout(error);
  }
  // Prisma could not connect at all; with a driver adapter nothing else raises it.
  if (error instanceof Prisma.PrismaClientInitializationError) return true;
  return typeof message === 'string' && code === undefined && isDriverMessage(error, message);
}

/** What the error wraps: a Prisma error's adapter error, an adapter error's mapped cause. */
function inner(error: Record<string, unknown>): unknown {
  if (error instanceof Prisma.PrismaClientKnownRequestError) return error.meta?.driverAdapterError;
  if (isDriverAdapterError(error)) {
    // The pg adapter keeps the SQLSTATE of an unmapped server error in cause.code.
    const { kind, code } = error.cause;
    return kind === 'postgres' ? { code } : undefined;
  }
  return error.cause;
}

/**
 * P2028 covers misuse of a transaction too; only "could not start in time" (all connections
 * busy or unreachable) and "expired" (its statements were too slow) mean the database lagged.
 */
function isTransactionTimeout(error: Prisma.PrismaClientKnownRequestError): boolean {
  if (error.code !== 'P2028') return false;
  return (
    error.message.includes('Unable to start a transaction in the given time') ||
    error.message.includes('cannot be executed on an expired transaction')
  );
}

function isDriverMessage(error: Record<string, unknown>, message: string): boolean {
  return error instanceof Error && DRIVER_MESSAGES.some((pattern) => pattern.test(message));
}

interface DriverAdapterErrorShape {
  name: 'DriverAdapterError';
  cause: { kind?: unknown; code?: unknown };
}

/** Duck-typed, as Prisma itself recognises it (the class lives in a package we do not import). */
function isDriverAdapterError(
  error: Record<string, unknown>,
): error is Record<string, unknown> & DriverAdapterErrorShape {
  return error.name === 'DriverAdapterError' && isObject(error.cause);
}

function isSqlstate(code: string): boolean {
  return /^[0-9A-Z]{5}$/.test(code);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
