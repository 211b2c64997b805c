// The last resort: an outage of Postgres or Redis that reached the filter unconverted is still
// UNAVAILABLE with a Retry-After; a bug is still a bug (undefined: answered INTERNAL).
import { BrokerError, LIMITS } from '@tributary/common';
import { problemOf, toBrokerError } from './problem';

const UNAVAILABLE = {
  code: 'UNAVAILABLE',
  status: 503,
  retriable: true,
  extra: { retryAfterSeconds: LIMITS.retryAfterSecondsDefault },
};

describe('toBrokerError', () => {
  it.each([
    ['a dropped Postgres connection', new Error('Connection terminated unexpectedly')],
    ['a Postgres admin shutdown', Object.assign(new Error('terminating'), { code: '57P01' })],
    ['a refused connection', Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })],
    ['a closed Redis connection', new Error('Connection is closed.')],
    [
      'a Redis replica refusing writes',
      Object.assign(new Error('READONLY'), { name: 'ReplyError' }),
    ],
  ])('answers %s as UNAVAILABLE', (_name, error) => {
    const coded = toBrokerError(error);
    expect(coded).toMatchObject(UNAVAILABLE);
    expect(coded?.cause).toBe(error);
    expect(problemOf(coded!, 'r1')).toMatchObject({
      code: 'UNAVAILABLE',
      retriable: true,
      status: 503,
      requestId: 'r1',
    });
  });

  it('keeps a coded error as it is', () => {
    const error = new BrokerError('QUOTA_EXCEEDED', 'slow down', {
      extra: { retryAfterSeconds: 7 },
    });
    expect(toBrokerError(error)).toBe(error);
  });

  it.each([
    ['a bug', new TypeError('x is undefined')],
    ['a script error', Object.assign(new Error('ERR script'), { name: 'ReplyError' })],
    ['a unique violation', Object.assign(new Error('duplicate'), { code: '23505' })],
  ])('leaves %s unexpected', (_name, error) => {
    expect(toBrokerError(error)).toBeUndefined();
  });
});
