import { backoffMs, resolveRetry } from './retry';
import { asProblem, fromFailure, fromProblem, parseRetryAfter, TributaryError } from './errors';

describe('errors', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  it('turns a problem body into a TributaryError with its fields', () => {
    const problem = asProblem({
      type: 'urn:tributary:error:QUOTA_EXCEEDED',
      title: 'Quota exceeded',
      status: 429,
      detail: 'over the produce quota',
      code: 'QUOTA_EXCEEDED',
      retriable: true,
      requestId: 'r1',
      retryAfterSeconds: 2,
    })!;
    const error = fromProblem(problem);
    expect(error).toBeInstanceOf(TributaryError);
    expect(error).toMatchObject({
      code: 'QUOTA_EXCEEDED',
      status: 429,
      retriable: true,
      requestId: 'r1',
      retryAfterMs: 2000,
      message: 'over the produce quota',
    });
    expect(fromProblem(problem, 7000).retryAfterMs).toBe(7000);
    expect(asProblem({ message: 'not a problem' })).toBeUndefined();
  });

  it('names what failed before an answer', () => {
    const refused = new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    expect(fromFailure(refused, 'GET /v1/topics')).toMatchObject({
      code: 'NETWORK_ERROR',
      retriable: true,
      message: 'GET /v1/topics: ECONNREFUSED',
    });
    const timeout = Object.assign(new Error('t'), { name: 'TimeoutError' });
    expect(fromFailure(timeout, 'x')).toMatchObject({ code: 'TIMEOUT', retriable: true });
    const abort = Object.assign(new Error('a'), { name: 'AbortError' });
    expect(fromFailure(abort, 'x')).toMatchObject({ code: 'ABORTED', retriable: false });
  });
});

describe('backoff', () => {
  const policy = resolveRetry({ backoffMsMin: 100, backoffMsMax: 1000 });

  it('doubles its ceiling up to the maximum, from the minimum', () => {
    expect(backoffMs(policy, 1, undefined, () => 0)).toBe(100);
    expect(backoffMs(policy, 1, undefined, () => 1)).toBe(200);
    expect(backoffMs(policy, 3, undefined, () => 1)).toBe(800);
    expect(backoffMs(policy, 20, undefined, () => 1)).toBe(1000);
  });

  it('never waits less than the Retry-After', () => {
    expect(backoffMs(policy, 1, 5000, () => 1)).toBe(5000);
  });

  it('refuses a policy without attempts', () => {
    expect(() => resolveRetry({ attemptsMax: 0 })).toThrow(TributaryError);
  });
});
