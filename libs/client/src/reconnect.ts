// The reconnection loop the WebSocket consumer and the event stream share: connect, and when
// the connection ends by itself, wait with backoff (at least the Retry-After) and connect
// again. Bounded: attemptsMax connections in a row that make no progress end it with the last
// error, and so does any error that is not retriable.
import { fromFailure, type TributaryError } from './errors';
import { backoffMs, delay, type ResolvedRetry } from './retry';

/** A handler's failure, carried out of a loop as it is (never retried). */
export class HandlerFailure extends Error {
  override readonly name = 'HandlerFailure';

  constructor(readonly error: unknown) {
    super('the handler failed', { cause: error });
  }
}

/** How one connection ended. */
export interface Ending {
  /** undefined: closed by the caller. */
  error: TributaryError | undefined;
  /** The handler threw this: the loop ends with it. */
  handlerError?: { error: unknown };
  /** The connection delivered (or subscribed): the failure count starts over. */
  progressed: boolean;
  /** Connect again at once (a pause for a full queue, not a failure). */
  again?: boolean;
}

export async function reconnecting(
  what: string,
  connect: () => Promise<Ending>,
  retry: ResolvedRetry,
  signal: AbortSignal,
  onDisconnect?: (error: TributaryError) => void,
): Promise<void> {
  let failures = 0;
  while (!signal.aborted) {
    const ending = await connect().catch((error: unknown): Ending => ({
      error: fromFailure(error, what),
      progressed: false,
    }));
    if (ending.handlerError !== undefined) throw ending.handlerError.error;
    if (signal.aborted) return;
    if (ending.progressed) failures = 0;
    if (ending.again === true && ending.progressed) continue;
    const error = ending.error;
    if (error === undefined) return;
    if (!error.retriable || ++failures >= retry.attemptsMax) throw error;
    onDisconnect?.(error);
    await delay(backoffMs(retry, failures, error.retryAfterMs), signal);
  }
}
