// A topic's records as Server-Sent Events (`GET /v1/topics/{topic}/events`, docs/API.md), with
// reconnection that resumes where the handler left off. Two ways to read the stream:
//
// - 'fetch' (the default where there is no EventSource, as in Node 20): a streaming fetch with
//   the Authorization header and this library's parser. It sees every block, including the
//   cursor blocks the server sends after each batch, `id: 0:41,1:-1,2:17` (per partition the
//   last offset delivered; -1: none yet), which carry no data. A reconnection sends the cursor
//   as Last-Event-ID, so every partition resumes exactly after what the handler took. The
//   handler is awaited before the next event is read: a slow handler slows the stream.
// - 'eventsource' (the default in browsers): the browser's EventSource, opened with a
//   single-use ticket (`?ticket=`, since EventSource cannot send headers). EventSource never
//   shows a block without data, so the cursor blocks stay hidden from the page, and its own
//   reconnection would reuse a spent ticket. So this helper closes it on any error and opens a
//   new one with a fresh ticket and `?lastEventId=` set to a cursor it keeps itself: seeded
//   before the first connection with every partition's start (from `from`), moved by each
//   record handled. Records wait in a queue of at most sseQueueRecordsMax while the handler
//   works; a full queue closes the stream, which reopens from the cursor once it drained.
//
// With a group the server keeps the positions (and ignores Last-Event-ID): a reconnection
// resumes from the group's commits, at-least-once.
import { type TributaryClient } from './client';
import { CLIENT_DEFAULTS } from './defaults';
import { asProblem, fromProblem, TributaryError } from './errors';
import { readWithEventSource } from './event-source-reader';
import { type Ending, HandlerFailure, reconnecting } from './reconnect';
import { resolveRetry, type RetryPolicy } from './retry';
import { type EventSourceConstructor, globalConstructor } from './platform';
import { SseParser } from './sse-parser';
import { type FetchedRecord, type Format } from './types';

export interface EventStreamOptions {
  topic: string;
  /** Read as a member of this group (shares the partitions with its other members). */
  group?: string;
  /** earliest, latest (default) or a timestamp in ms; with a group, earliest or latest. */
  from?: 'earliest' | 'latest' | number;
  /** Resume after this: a cursor (`0:41,1:-1`) or a record's id (`2:17`). */
  lastEventId?: string;
  keyFormat?: Format;
  valueFormat?: Format;
  /** Default: 'eventsource' when there is an EventSource, else 'fetch'. */
  transport?: 'fetch' | 'eventsource';
  /** Default: the client's option, else globalThis.EventSource. */
  EventSource?: EventSourceConstructor;
  reconnect?: RetryPolicy;
  onConnect?: () => void;
  onDisconnect?: (error: TributaryError) => void;
  /** With a group: the partitions this stream reads, at the start and on every change. */
  onAssignment?: (assignment: {
    memberId: string;
    memberEpoch: number;
    partitions: number[];
  }) => void;
}

export type EventHandler = (record: FetchedRecord, id: string) => unknown;

const CURSOR_ENTRY = /^(\d{1,10}):(-1|\d{1,16})$/;

/** A Last-Event-ID (`p:o` or a comma list of them) as partition -> last offset delivered. */
export function parseCursor(id: string): Map<number, number> {
  const cursor = new Map<number, number>();
  for (const entry of id.split(',')) {
    const match = CURSOR_ENTRY.exec(entry.trim());
    if (match === null) {
      throw TributaryError.client(
        'INVALID_ARGUMENT',
        `lastEventId: ${id} is not partition:offset[,...]`,
      );
    }
    cursor.set(Number(match[1]), Number(match[2]));
  }
  return cursor;
}

export class EventStream {
  /** Without a group: per partition, the last offset the handler took (-1: none yet). */
  private readonly delivered: Map<number, number>;
  private readonly closed = new AbortController();
  private running: Promise<void> | undefined;
  private readonly retry;
  private readonly EventSource: EventSourceConstructor | undefined;
  private queued = 0;

  constructor(
    readonly client: TributaryClient,
    readonly options: EventStreamOptions,
  ) {
    this.retry = resolveRetry({
      attemptsMax: CLIENT_DEFAULTS.reconnectAttemptsMax,
      backoffMsMin: 200,
      ...options.reconnect,
    });
    this.delivered =
      options.lastEventId === undefined || options.lastEventId === ''
        ? new Map<number, number>()
        : parseCursor(options.lastEventId);
    this.EventSource =
      options.EventSource ??
      client.options.EventSource ??
      globalConstructor<EventSourceConstructor>('EventSource');
    if (options.transport === 'eventsource' && this.EventSource === undefined) {
      throw TributaryError.client(
        'INVALID_ARGUMENT',
        'no EventSource here: pass options.EventSource',
      );
    }
  }

  /** With EventSource: records received and not yet handled (at most sseQueueRecordsMax + 1). */
  get queuedRecords(): number {
    return this.queued;
  }

  /** The EventSource reader's count of queued records moved by `delta`. */
  countQueued(delta: number): void {
    this.queued += delta;
  }

  /** The cursor to resume from (pass as lastEventId); undefined before any position is known. */
  get lastEventId(): string | undefined {
    if (this.delivered.size === 0) return undefined;
    return [...this.delivered]
      .sort(([a], [b]) => a - b)
      .map(([partition, offset]) => `${partition}:${offset}`)
      .join(',');
  }

  /** Runs until close() (resolves), a handler throws, or a failure it cannot recover from. */
  run(handler: EventHandler): Promise<void> {
    if (this.running !== undefined) {
      throw TributaryError.client('INVALID_ARGUMENT', 'this stream is already running');
    }
    const transport =
      this.options.transport ?? (this.EventSource === undefined ? 'fetch' : 'eventsource');
    const reader =
      transport === 'fetch'
        ? () => this.fetchConnection(handler)
        : () => readWithEventSource(this, this.EventSource!, this.closed.signal, handler);
    this.running = reconnecting(
      `events of ${this.options.topic}`,
      reader,
      this.retry,
      this.closed.signal,
      this.options.onDisconnect,
    );
    return this.running;
  }

  async close(): Promise<void> {
    this.closed.abort();
    await this.running?.catch(() => undefined);
  }

  /** The path and query of the stream, without credentials or resume point (for the readers). */
  streamQuery(): { path: string; query: Record<string, string | number | undefined> } {
    const { options } = this;
    return {
      path: `/v1/topics/${encodeURIComponent(options.topic)}/events`,
      query: {
        group: options.group,
        from: options.from,
        keyFormat: options.keyFormat,
        valueFormat: options.valueFormat,
      },
    };
  }

  /** The cursor before the first connection, when the stream has none (see above). */
  async seedCursor(): Promise<void> {
    const { topic, from = 'latest', group } = this.options;
    if (group !== undefined || this.delivered.size > 0) return;
    const { partitions } = await this.client.describeTopic(topic);
    if (partitions.length > CLIENT_DEFAULTS.sseCursorPartitionsMax) return;
    const starts = await Promise.all(
      partitions.map(async ({ partition }) =>
        from === 'earliest' ? 0 : (await this.client.listOffset(topic, partition, from)).offset,
      ),
    );
    partitions.forEach(({ partition }, i) => this.delivered.set(partition, starts[i]! - 1));
  }

  /**
   * Applies one block: a record (handled; a handler's failure is thrown as HandlerFailure), an
   * error event (returned), an assignment, or a cursor.
   */
  async apply(
    block: { event: string; data: string | undefined; id: string | undefined },
    handler: EventHandler,
  ): Promise<TributaryError | undefined> {
    if (block.data === undefined) {
      // A cursor block: every partition's position, after the records before it.
      if (block.id !== undefined && block.id !== '' && this.options.group === undefined) {
        for (const [partition, offset] of parseCursor(block.id))
          this.delivered.set(partition, offset);
      }
      return undefined;
    }
    let data: unknown;
    try {
      data = JSON.parse(block.data);
    } catch (error) {
      return new TributaryError('BAD_RESPONSE', 'an event whose data is not JSON', {
        cause: error,
      });
    }
    switch (block.event) {
      case 'message': {
        const record = data as FetchedRecord;
        try {
          await handler(record, `${record.partition}:${record.offset}`);
        } catch (error) {
          throw new HandlerFailure(error);
        }
        if (this.options.group === undefined) this.delivered.set(record.partition, record.offset);
        return undefined;
      }
      case 'error': {
        const problem = asProblem(data);
        return problem === undefined
          ? new TributaryError('BAD_RESPONSE', 'an error event without a problem')
          : fromProblem(problem);
      }
      case 'assignment':
        this.options.onAssignment?.(
          data as Parameters<NonNullable<EventStreamOptions['onAssignment']>>[0],
        );
        return undefined;
      default:
        return undefined;
    }
  }

  /** One streaming fetch, read until it ends. */
  private async fetchConnection(handler: EventHandler): Promise<Ending> {
    const abort = new AbortController();
    const onClose = () => abort.abort();
    this.closed.signal.addEventListener('abort', onClose, { once: true });
    let progressed = false;
    try {
      const { path, query } = this.streamQuery();
      const cursor = this.options.group === undefined ? this.lastEventId : undefined;
      const response = await this.client.http.stream(
        path,
        query,
        {
          accept: 'text/event-stream',
          ...(cursor === undefined ? {} : { 'last-event-id': cursor }),
        },
        abort.signal,
      );
      if (response.body === null)
        throw new TributaryError('BAD_RESPONSE', 'an event stream without a body');
      this.options.onConnect?.();
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      const parser = new SseParser();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (const block of parser.push(decoder.decode(value, { stream: true }))) {
          progressed = true;
          const error = await this.apply(block, handler);
          if (error !== undefined) return { error, progressed };
        }
      }
      return {
        error: new TributaryError('CONNECTION_CLOSED', 'the event stream ended', {
          retriable: true,
        }),
        progressed,
      };
    } catch (error) {
      if (error instanceof HandlerFailure) {
        return { error: undefined, handlerError: { error: error.error }, progressed };
      }
      if (this.closed.signal.aborted) return { error: undefined, progressed };
      throw error;
    } finally {
      this.closed.signal.removeEventListener('abort', onClose);
      abort.abort();
    }
  }
}
