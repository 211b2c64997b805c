// Recognising the errors that mean "Redis is not answering right now" — refused or dropped
// connections, commands that timed out or gave up reconnecting, a server loading its data,
// a replica or a failover refusing writes — as opposed to a bad command or a bug (a script
// error, WRONGTYPE), which propagates as it is. ioredis reports the same event in several
// shapes: a socket error with a code, one of its own messages, its AbortErrors, or a reply.
import { type BrokerError, isSocketFailure, unavailable } from '@tributary/common';

/**
 * Error replies that mean "not now" rather than "your command is wrong": loading the dataset,
 * a script running too long, out of memory, a replica or a failing-over master refusing writes,
 * a cluster or its replicas down, snapshots failing.
 */
const UNAVAILABLE_REPLIES = [
  'LOADING',
  'BUSY',
  'OOM',
  'READONLY',
  'MASTERDOWN',
  'TRYAGAIN',
  'CLUSTERDOWN',
  'NOREPLICAS',
  'MISCONF',
];

/** ioredis's own words for a connection that is gone or a command that gave up. */
const CLIENT_MESSAGES = [
  /^Connection is closed\.$/,
  /^Command timed out$/,
  /^connect ETIMEDOUT$/, // connectTimeout
  /^Socket timeout\./,
  /^Stream isn't writeable/,
];

/** ioredis's AbortError family: a command dropped with its connection, or out of retries. */
const ABORT_NAMES = new Set(['AbortError', 'InterruptError', 'MaxRetriesPerRequestError']);

export const COORDINATION_UNAVAILABLE = 'group coordination is unavailable; retry shortly';

/** The error as UNAVAILABLE (with Retry-After) when it stands for an outage; else undefined. */
export function coordinationOutage(error: unknown): BrokerError | undefined {
  return isRedisOutage(error) ? unavailable(COORDINATION_UNAVAILABLE, error) : undefined;
}

export function isRedisOutage(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && isSocketFailure(code)) return true;
  if (error.name === 'ReplyError') {
    return UNAVAILABLE_REPLIES.some((reply) => startsWithWord(error.message, reply));
  }
  if (ABORT_NAMES.has(error.name)) return true;
  return CLIENT_MESSAGES.some((pattern) => pattern.test(error.message));
}

/** "LOADING Redis is loading..." but not "LOADINGX": a reply's code is its first word. */
function startsWithWord(message: string, word: string): boolean {
  return (
    message.startsWith(word) && (message.length === word.length || message[word.length] === ' ')
  );
}
