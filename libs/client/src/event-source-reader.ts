// One connection of an event stream through EventSource (browsers): a fresh ticket, the
// stream's own cursor as ?lastEventId=, and a bounded queue between EventSource, which
// dispatches as fast as it reads, and the handler. See event-stream.ts for why.
import { type TributaryClient } from './client';
import { CLIENT_DEFAULTS } from './defaults';
import { fromFailure, TributaryError } from './errors';
import { type EventSourceConstructor, type EventSourceLike } from './platform';
import { type Ending, HandlerFailure } from './reconnect';
import { type FetchedRecord } from './types';

interface Block {
  event: string;
  data: string | undefined;
  id: undefined;
}

/** What the reader needs of the EventStream it serves. */
export interface StreamAccess {
  readonly client: TributaryClient;
  readonly options: { group?: string; onConnect?: () => void };
  readonly lastEventId: string | undefined;
  streamQuery(): { path: string; query: Record<string, string | number | undefined> };
  seedCursor(): Promise<void>;
  countQueued(delta: number): void;
  apply(
    block: Block,
    handler: (record: FetchedRecord, id: string) => unknown,
  ): Promise<TributaryError | undefined>;
}

/**
 * Reads until the source fails, the server sends an error, the queue fills (`again`: reopen
 * from the cursor), or `signal` aborts; resolves once every record received was handled.
 */
export async function readWithEventSource(
  stream: StreamAccess,
  EventSource: EventSourceConstructor,
  signal: AbortSignal,
  handler: (record: FetchedRecord, id: string) => unknown,
): Promise<Ending> {
  await stream.seedCursor();
  const { ticket } = await stream.client.createWsTicket();
  const { path, query } = stream.streamQuery();
  const cursor = stream.options.group === undefined ? stream.lastEventId : undefined;
  const url = stream.client.http.url(path, { ...query, ticket, lastEventId: cursor });
  const source = new EventSource(url) as EventSourceLike;
  let queued = 0;
  let progressed = false;
  let handling: Promise<void> = Promise.resolve();
  let ending: Omit<Ending, 'progressed'> | undefined;

  return new Promise<Ending>((resolve) => {
    /** The first ending closes the source; a handler's failure replaces any other. */
    const end = (how: Omit<Ending, 'progressed'>) => {
      const first = ending === undefined;
      if (!first && how.handlerError === undefined) return;
      ending = how;
      if (!first) return;
      source.close();
      signal.removeEventListener('abort', onAbort);
      // Records received before the end are still handled (a group committed them already).
      void handling.then(() => resolve({ ...ending!, progressed }));
    };
    const onAbort = () => end({ error: undefined });
    signal.addEventListener('abort', onAbort, { once: true });

    const enqueue = (block: Block) => {
      // Some EventSources dispatch the rest of what they read after close(). Without a group
      // those records come again from the cursor; a group's were committed once sent: kept.
      if (ending !== undefined && stream.options.group === undefined) return;
      progressed = true;
      queued += 1;
      stream.countQueued(1);
      handling = handling.then(async () => {
        try {
          if (ending?.handlerError !== undefined) return;
          const error = await stream.apply(block, handler);
          if (error !== undefined) end({ error });
        } catch (failure) {
          if (failure instanceof HandlerFailure) {
            end({ error: undefined, handlerError: { error: failure.error } });
          } else end({ error: fromFailure(failure, 'event stream') });
        } finally {
          queued -= 1;
          stream.countQueued(-1);
        }
      });
      if (queued > CLIENT_DEFAULTS.sseQueueRecordsMax) end({ error: undefined, again: true });
    };

    source.onopen = () => stream.options.onConnect?.();
    source.onmessage = (event) =>
      enqueue({ event: 'message', data: String(event.data), id: undefined });
    source.addEventListener('assignment', (event) =>
      enqueue({ event: 'assignment', data: String(event.data), id: undefined }),
    );
    source.addEventListener('error', (event) => {
      // The server's `event: error` carries a problem; a failed connection carries nothing.
      if (typeof event.data === 'string') {
        enqueue({ event: 'error', data: event.data, id: undefined });
      } else {
        end({
          error: new TributaryError('CONNECTION_CLOSED', 'the event stream failed or ended', {
            retriable: true,
          }),
        });
      }
    });
  });
}
