// Every shape a Postgres outage reaches us in, and look-alikes that are not outages. The shapes
// are those the drivers produce (see outage-errors.ts); outage.spec.ts meets the real ones.
import { BrokerError, LIMITS } from '@tributary/common';
import { DatabaseError } from 'pg';
import { Prisma } from './generated/prisma/client';
import { isDatabaseOutage, metadataOutage } from './outage-errors';

const CLIENT_VERSION = '7.10.1';

function socketError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), {
    code,
    errno: -1,
    syscall: 'connect',
  });
}

function serverError(code: string, message = 'from the server'): DatabaseError {
  const error = new DatabaseError(message, message.length, 'error');
  error.code = code;
  error.severity = 'FATAL';
  return error;
}

function adapterError(cause: Record<string, unknown>): Error {
  return Object.assign(new Error(String(cause.kind)), { name: 'DriverAdapterError', cause });
}

function known(code: string, message = 'failed', meta?: Record<string, unknown>) {
  return new Prisma.PrismaClientKnownRequestError(message, {
    code,
    clientVersion: CLIENT_VERSION,
    ...(meta === undefined ? {} : { meta }),
  });
}

const OUTAGES: [string, unknown][] = [
  ['connection refused', socketError('ECONNREFUSED')],
  ['connection reset', socketError('ECONNRESET')],
  ['connect timed out', socketError('ETIMEDOUT')],
  ['broken pipe', socketError('EPIPE')],
  ['host unreachable', socketError('EHOSTUNREACH')],
  ['name not resolved yet', socketError('EAI_AGAIN')],
  [
    'every address refused (AggregateError)',
    Object.assign(new AggregateError([socketError('ECONNREFUSED')], ''), { code: 'ECONNREFUSED' }),
  ],
  ['pg: connection dropped', new Error('Connection terminated unexpectedly')],
  ['pg: connect timeout', new Error('Connection terminated due to connection timeout')],
  ['pg-pool: no connection in time', new Error('timeout exceeded when trying to connect')],
  ['pg: query_timeout', new Error('Query read timeout')],
  [
    'pg: client already broken',
    new Error('Client has encountered a connection error and is not queryable'),
  ],
  ['57P01 admin_shutdown', serverError('57P01')],
  ['57P02 crash_shutdown', serverError('57P02')],
  ['57P03 cannot_connect_now', serverError('57P03', 'the database system is starting up')],
  ['08006 connection_failure', serverError('08006')],
  ['08001 unable to connect', serverError('08001')],
  ['08P01 protocol violation (class 08)', serverError('08P01')],
  ['53300 too_many_connections', serverError('53300')],
  ['25006 read-only (failed over)', serverError('25006')],
  ['57014 statement timeout', serverError('57014')],
  ['adapter: not reachable', adapterError({ kind: 'DatabaseNotReachable', host: 'db' })],
  ['adapter: connection closed', adapterError({ kind: 'ConnectionClosed' })],
  ['adapter: socket timeout', adapterError({ kind: 'SocketTimeout' })],
  ['adapter: too many connections', adapterError({ kind: 'TooManyConnections' })],
  ['adapter: 57P01 unmapped', adapterError({ kind: 'postgres', code: '57P01' })],
  ['P1001 not reachable', known('P1001')],
  ['P1002 timed out', known('P1002')],
  ['P1008 operation timed out', known('P1008')],
  ['P1017 server closed the connection', known('P1017')],
  ['P2024 pool timeout', known('P2024')],
  ['P2037 too many connections', known('P2037')],
  [
    'P2039 carrying a 57P01',
    known('P2039', 'Database error', {
      driverAdapterError: adapterError({ kind: 'postgres', code: '57P01' }),
    }),
  ],
  [
    'P2010 raw query, server unreachable',
    known('P2010', 'Raw query failed', {
      driverAdapterError: adapterError({ kind: 'DatabaseNotReachable' }),
    }),
  ],
  [
    'P2028 transaction could not start in time',
    known('P2028', 'Transaction API error: Unable to start a transaction in the given time.'),
  ],
  [
    'P2028 transaction expired',
    known(
      'P2028',
      'Transaction API error: A commit cannot be executed on an expired transaction. The timeout for this transaction was 5000 ms',
    ),
  ],
  [
    'Prisma could not initialise',
    new Prisma.PrismaClientInitializationError("Can't reach database server", CLIENT_VERSION),
  ],
  [
    'an outage wrapped in a cause',
    new Error('reload failed', { cause: new Error('Connection terminated unexpectedly') }),
  ],
];

const NOT_OUTAGES: [string, unknown][] = [
  ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
  ['a plain error', new Error('boom')],
  ['a coded error', new BrokerError('INVALID_REQUEST', 'bad')],
  ['P2002 unique violation', known('P2002')],
  ['P2003 foreign key violation', known('P2003')],
  ['P2025 record not found', known('P2025')],
  [
    'P2039 carrying division by zero',
    known('P2039', 'Database error', {
      driverAdapterError: adapterError({ kind: 'postgres', code: '22012' }),
    }),
  ],
  [
    'P2028 transaction misuse',
    known(
      'P2028',
      'Transaction API error: Transaction already closed: A query cannot be executed on a committed transaction.',
    ),
  ],
  ['adapter: unique violation', adapterError({ kind: 'UniqueConstraintViolation' })],
  ['23505 unique violation', serverError('23505')],
  ['42601 syntax error', serverError('42601')],
  ['a driver message with a code', Object.assign(new Error('Query read timeout'), { code: 'X' })],
  ['not an error', 'ECONNREFUSED'],
  ['nothing', undefined],
  ['null', null],
];

describe('metadata outage errors', () => {
  it.each(OUTAGES)('%s is an outage', (_name, error) => {
    expect(isDatabaseOutage(error)).toBe(true);
    const converted = metadataOutage(error);
    expect(converted).toBeInstanceOf(BrokerError);
    expect(converted).toMatchObject({
      code: 'UNAVAILABLE',
      status: 503,
      retriable: true,
      extra: { retryAfterSeconds: LIMITS.retryAfterSecondsDefault },
    });
    expect(converted?.cause).toBe(error);
    // The detail reaches clients: it names no host and no driver.
    expect(converted?.message).toBe('the metadata database is unavailable; retry shortly');
  });

  it.each(NOT_OUTAGES)('%s is not an outage', (_name, error) => {
    expect(isDatabaseOutage(error)).toBe(false);
    expect(metadataOutage(error)).toBeUndefined();
  });

  it('ends on a cycle of causes', () => {
    const first = new Error('first');
    const second = new Error('second', { cause: first });
    (first as { cause?: unknown }).cause = second;
    expect(isDatabaseOutage(first)).toBe(false);
  });
});
