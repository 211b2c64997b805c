// Waiting between attempts: exponential backoff with full jitter (a random wait up to the
// doubled ceiling, so clients that failed together do not come back together), never shorter
// than the Retry-After the server asked for.
import { CLIENT_DEFAULTS } from './defaults';
import { TributaryError } from './errors';

export interface RetryPolicy {
  /** Attempts in all (the first one included). */
  attemptsMax?: number;
  backoffMsMin?: number;
  backoffMsMax?: number;
}

export interface ResolvedRetry {
  attemptsMax: number;
  backoffMsMin: number;
  backoffMsMax: number;
}

export function resolveRetry(policy: RetryPolicy | undefined): ResolvedRetry {
  const resolved = {
    attemptsMax: policy?.attemptsMax ?? CLIENT_DEFAULTS.attemptsMax,
    backoffMsMin: policy?.backoffMsMin ?? CLIENT_DEFAULTS.backoffMsMin,
    backoffMsMax: policy?.backoffMsMax ?? CLIENT_DEFAULTS.backoffMsMax,
  };
  if (!(resolved.attemptsMax >= 1) || !(resolved.backoffMsMin >= 0)) {
    throw TributaryError.client('INVALID_ARGUMENT', 'retry: attemptsMax >= 1, backoffMsMin >= 0');
  }
  return resolved;
}

/**
 * The wait before attempt `attempt + 1` (attempt counts from 1): between backoffMsMin and
 * min(backoffMsMax, backoffMsMin * 2^attempt), and at least `retryAfterMs`.
 */
export function backoffMs(
  policy: ResolvedRetry,
  attempt: number,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.backoffMsMax, policy.backoffMsMin * 2 ** Math.min(attempt, 30));
  const jittered = policy.backoffMsMin + random() * Math.max(0, ceiling - policy.backoffMsMin);
  return Math.max(Math.round(jittered), retryAfterMs ?? 0);
}

/** Resolves after `ms`, or at once when `signal` aborts (it never rejects). */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
