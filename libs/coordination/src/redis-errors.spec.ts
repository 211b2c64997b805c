// Every shape a Redis outage reaches us in from ioredis, and look-alikes that are not outages.
// coordinator.spec.ts meets real ones (a refused connection, a killed subscriber).
import { BrokerError, LIMITS } from '@tributary/common';
import { ReplyError } from 'ioredis';
import { coordinationOutage, isRedisOutage } from './redis-errors';

function socketError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:6379`), {
    code,
    errno: -1,
    syscall: 'connect',
  });
}

/** ioredis names its errors by class (a getter); these carry the same names. */
function named(name: string, message: string): Error {
  const error = new Error(message);
  Object.defineProperty(error, 'name', { value: name });
  return error;
}

function reply(message: string): Error {
  return new (ReplyError as new (message: string) => Error)(message);
}

const OUTAGES: [string, Error][] = [
  ['connection refused', socketError('ECONNREFUSED')],
  ['connection reset', socketError('ECONNRESET')],
  ['connect timed out', socketError('ETIMEDOUT')],
  ['broken pipe', socketError('EPIPE')],
  ['connection closed', new Error('Connection is closed.')],
  ['command timed out', new Error('Command timed out')],
  ['connectTimeout', new Error('connect ETIMEDOUT')],
  [
    'socket timeout',
    new Error("Socket timeout. Expecting data, but didn't receive any in 5000ms."),
  ],
  [
    'offline queue off',
    new Error("Stream isn't writeable and enableOfflineQueue options is false"),
  ],
  [
    'out of reconnects',
    named('MaxRetriesPerRequestError', 'Reached the max retries per request limit (which is 1).'),
  ],
  ['aborted with its connection', named('AbortError', 'Command aborted due to connection close')],
  ['interrupted', named('InterruptError', 'Fatal error encountered. Command aborted.')],
  ['LOADING', reply('LOADING Redis is loading the dataset in memory')],
  ['READONLY', reply("READONLY You can't write against a read only replica.")],
  ['MASTERDOWN', reply('MASTERDOWN Link with MASTER is down and replica-serve-stale-data is no')],
  ['BUSY', reply('BUSY Redis is busy running a script.')],
  ['OOM', reply("OOM command not allowed when used memory > 'maxmemory'.")],
  ['TRYAGAIN', reply('TRYAGAIN Multiple keys request during rehashing of slot')],
  ['CLUSTERDOWN', reply('CLUSTERDOWN The cluster is down')],
  ['NOREPLICAS', reply('NOREPLICAS Not enough good replicas to write.')],
  ['MISCONF', reply('MISCONF Redis is configured to save RDB snapshots, but it is failing')],
];

const NOT_OUTAGES: [string, unknown][] = [
  ['a script error', reply('ERR Error running script (call to f_0123): user_script:1: oops')],
  ['WRONGTYPE', reply('WRONGTYPE Operation against a key holding the wrong kind of value')],
  ['a reply that only starts like one', reply('LOADINGX not a real code')],
  ['NOSCRIPT', reply('NOSCRIPT No matching script. Please use EVAL.')],
  [
    'subscriber mode misuse',
    new Error('Connection in subscriber mode, only subscriber commands may be used'),
  ],
  ['a bug', new TypeError("Cannot read properties of undefined (reading 'length')")],
  ['a coded error', new BrokerError('INVALID_REQUEST', 'bad')],
  ['not an error', 'ECONNREFUSED'],
  ['nothing', undefined],
];

describe('coordination outage errors', () => {
  it.each(OUTAGES)('%s is an outage', (_name, error) => {
    expect(isRedisOutage(error)).toBe(true);
    const converted = coordinationOutage(error);
    expect(converted).toBeInstanceOf(BrokerError);
    expect(converted).toMatchObject({
      code: 'UNAVAILABLE',
      status: 503,
      retriable: true,
      extra: { retryAfterSeconds: LIMITS.retryAfterSecondsDefault },
    });
    expect(converted?.cause).toBe(error);
    expect(converted?.message).toBe('group coordination is unavailable; retry shortly');
  });

  it.each(NOT_OUTAGES)('%s is not an outage', (_name, error) => {
    expect(isRedisOutage(error)).toBe(false);
    expect(coordinationOutage(error)).toBeUndefined();
  });
});
