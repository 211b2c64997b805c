// A consumer over the WebSocket (`GET /v1/ws`, docs/API.md). Each connection opens with a
// fresh single-use ticket (POST /v1/ws/tickets), so the same code works in browsers, which
// cannot send headers on a WebSocket. Flow control is the protocol's credit: every
// subscription starts with `credit` records, the server pushes only while credit remains, and
// the consumer gives the credit back as the handler finishes each frame, so at most `credit`
// records per subscription wait in memory.
//
// Without a group the consumer keeps each partition's next offset itself: it resolves the
// start (from: earliest, latest, a timestamp, an offset, or positions of your own) into an
// offset per partition before the first connection, subscribes to each partition at its
// position, and moves the position once the handler took a record. After the connection
// drops it reconnects with backoff, a fresh ticket, and subscriptions from those positions:
// nothing handled comes again, nothing is skipped. (One subscription per partition: at most
// 64 partitions, the server's cap per connection.) With a group the server assigns the
// partitions and keeps the positions; the consumer commits each frame's offsets after the
// handler, and a reconnection resumes from the group's commits (at-least-once).
import { type TributaryClient } from './client';
import { CLIENT_DEFAULTS } from './defaults';
import { asProblem, fromProblem, TributaryError } from './errors';
import {
  globalConstructor,
  type CloseEventLike,
  type WebSocketConstructor,
  type WebSocketLike,
  WS_OPEN,
} from './platform';
import { type Ending, reconnecting } from './reconnect';
import { resolveRetry, type RetryPolicy } from './retry';
import { type FetchedRecord, type Format, type GroupRecord } from './types';

export type WsStart =
  | 'earliest'
  | 'latest'
  | { offset: number }
  | { timestamp: number }
  /** The next offset of each partition (what positions() returned). */
  | { positions: Record<number, number> };

export interface WsConsumerOptions {
  topic: string;
  /** Read as a member of this group: the server assigns partitions and keeps positions. */
  group?: string;
  /** Without a group: the partitions to read (default: all of the topic's). */
  partitions?: number[];
  /** Default latest. With a group, earliest or latest: where nothing is committed yet. */
  from?: WsStart;
  /** Records pushed per subscription before the handler took them. */
  credit?: number;
  keyFormat?: Format;
  valueFormat?: Format;
  /** Default: the client's option, else globalThis.WebSocket. In Node, pass `ws`'s WebSocket. */
  WebSocket?: WebSocketConstructor;
  /** Connections tried in a row without one subscribing, and the waits between them. */
  reconnect?: RetryPolicy;
  onConnect?: () => void;
  /** The connection ended; the consumer reconnects unless the error says otherwise. */
  onDisconnect?: (error: TributaryError) => void;
  /** With a group: partitions given to or taken from this consumer. */
  onAssignment?: (change: 'assigned' | 'revoked', partitions: number[]) => void;
}

export type RecordsHandler = (records: GroupRecord[]) => unknown;

interface Frame {
  op?: string;
  id?: string;
  subscription?: string;
  records?: FetchedRecord[];
  partitions?: number[];
  problem?: unknown;
}

/** Closes that say "do not try again": unsupported data, policy violation, too big. */
const FINAL_CLOSE_CODES = [1003, 1008, 1009];

export class WsConsumer {
  /** Without a group: each partition's next offset. */
  private readonly next = new Map<number, number>();
  private readonly closed = new AbortController();
  private running: Promise<void> | undefined;
  private readonly retry;
  private frameSeq = 0;

  constructor(
    private readonly client: TributaryClient,
    private readonly options: WsConsumerOptions,
  ) {
    this.retry = resolveRetry({
      attemptsMax: CLIENT_DEFAULTS.reconnectAttemptsMax,
      backoffMsMin: 200,
      ...options.reconnect,
    });
    const from = options.from;
    if (options.group !== undefined && from !== undefined && typeof from !== 'string') {
      throw TributaryError.client('INVALID_ARGUMENT', 'with a group, from is earliest or latest');
    }
  }

  /** Without a group: the next offset of each partition (pass as from: {positions}). */
  positions(): Record<number, number> {
    return Object.fromEntries(this.next);
  }

  /** Runs until close() (resolves), a handler throws, or a failure it cannot recover from. */
  run(handler: RecordsHandler): Promise<void> {
    if (this.running !== undefined) {
      throw TributaryError.client('INVALID_ARGUMENT', 'this consumer is already running');
    }
    this.running = this.loop(handler);
    return this.running;
  }

  async close(): Promise<void> {
    this.closed.abort();
    await this.running?.catch(() => undefined);
  }

  private async loop(handler: RecordsHandler): Promise<void> {
    const Socket =
      this.options.WebSocket ??
      this.client.options.WebSocket ??
      globalConstructor<WebSocketConstructor>('WebSocket');
    if (Socket === undefined) {
      throw TributaryError.client(
        'INVALID_ARGUMENT',
        'no WebSocket here: pass options.WebSocket (in Node, the `ws` package)',
      );
    }
    await reconnecting(
      `websocket ${this.options.topic}`,
      () => this.connection(Socket, handler),
      this.retry,
      this.closed.signal,
      this.options.onDisconnect,
    );
  }

  /** One connection, from its ticket to its end (after the handler in progress finished). */
  private async connection(Socket: WebSocketConstructor, handler: RecordsHandler): Promise<Ending> {
    if (this.options.group === undefined && this.next.size === 0) await this.resolveStart();
    const { ticket } = await this.client.createWsTicket();
    const url = `${this.client.http.baseUrl.replace(/^http/, 'ws')}/v1/ws?ticket=${encodeURIComponent(ticket)}`;
    const socket = new Socket(url) as WebSocketLike;
    const subscribing = new Map<string, number[] | undefined>();
    let subscribed = false;
    let handling: Promise<void> = Promise.resolve();
    let ending: Ending | undefined;
    let finish!: (ending: Ending) => void;
    const ended = new Promise<Ending>((resolve) => (finish = resolve));

    /** The first ending closes the socket; a handler's failure replaces any other. */
    const end = (error: TributaryError | undefined, handlerError?: { error: unknown }) => {
      const first = ending === undefined;
      if (!first && handlerError === undefined) return;
      ending = {
        error,
        progressed: subscribed,
        ...(handlerError === undefined ? {} : { handlerError }),
      };
      if (!first) return;
      this.closed.signal.removeEventListener('abort', onClose);
      if (socket.readyState <= WS_OPEN) socket.close(1000, 'consumer closed');
      // Positions are final only once the handler in progress is done.
      void handling.then(() => finish(ending!));
    };
    const onClose = () => end(undefined);
    this.closed.signal.addEventListener('abort', onClose, { once: true });
    const subscribe = (partitions: number[] | undefined, from: unknown) => {
      const id = `c${++this.frameSeq}`;
      subscribing.set(id, partitions);
      socket.send(JSON.stringify(this.subscribeFrame(id, partitions, from)));
    };
    const take = async (frame: Frame) => {
      if (ending !== undefined || frame.subscription === undefined) return;
      const records = (frame.records ?? []).map((r) => ({ topic: this.options.topic, ...r }));
      try {
        await handler(records);
      } catch (error) {
        end(undefined, { error });
        return;
      }
      for (const record of records) this.next.set(record.partition, record.offset + 1);
      if (ending !== undefined || socket.readyState !== WS_OPEN) return;
      socket.send(
        JSON.stringify({ op: 'credit', subscription: frame.subscription, records: records.length }),
      );
      if (this.options.group !== undefined) {
        const offsets = [...new Set(records.map((r) => r.partition))].map((partition) => ({
          partition,
          offset:
            Math.max(...records.filter((r) => r.partition === partition).map((r) => r.offset)) + 1,
        }));
        socket.send(JSON.stringify({ op: 'commit', subscription: frame.subscription, offsets }));
      }
    };

    socket.onopen = () => {
      if (this.options.group !== undefined) subscribe(undefined, this.options.from ?? 'latest');
      else for (const [partition, offset] of this.next) subscribe([partition], { offset });
    };
    socket.onmessage = (event) => {
      let frame: Frame;
      try {
        frame = JSON.parse(String(event.data)) as Frame;
      } catch (error) {
        end(new TributaryError('BAD_RESPONSE', 'a WebSocket frame is not JSON', { cause: error }));
        return;
      }
      switch (frame.op) {
        case 'subscribed':
          subscribing.delete(frame.id ?? '');
          if (subscribing.size === 0 && !subscribed) {
            subscribed = true;
            this.options.onConnect?.();
          }
          return;
        case 'records':
          handling = handling.then(() => take(frame));
          return;
        case 'assigned':
        case 'revoked':
          this.options.onAssignment?.(frame.op, frame.partitions ?? []);
          return;
        case 'error': {
          const problem = asProblem(frame.problem);
          const error =
            problem === undefined
              ? new TributaryError('BAD_RESPONSE', 'an error frame without a problem')
              : fromProblem(problem);
          const partitions = subscribing.get(frame.id ?? '');
          if (error.code === 'OFFSET_OUT_OF_RANGE' && partitions !== undefined) {
            // Retention removed the position: go on from the log start, as the server would.
            subscribing.delete(frame.id ?? '');
            subscribe(partitions, 'earliest');
            return;
          }
          end(error);
          return;
        }
        default:
          return; // committed, unsubscribed: nothing to do
      }
    };
    socket.onclose = (event: CloseEventLike) => end(closeError(event));
    socket.onerror = () => undefined; // onclose follows with the code
    return ended;
  }

  private subscribeFrame(id: string, partitions: number[] | undefined, from: unknown): object {
    const { options } = this;
    return {
      op: 'subscribe',
      id,
      topic: options.topic,
      ...(options.group === undefined
        ? { partitions }
        : { group: options.group, autoCommit: false }),
      from,
      credit: options.credit ?? CLIENT_DEFAULTS.credit,
      ...(options.keyFormat === undefined ? {} : { keyFormat: options.keyFormat }),
      ...(options.valueFormat === undefined ? {} : { valueFormat: options.valueFormat }),
    };
  }

  /** Every partition's first offset, from `from`, before the first connection. */
  private async resolveStart(): Promise<void> {
    const { topic } = this.options;
    const from = this.options.from ?? 'latest';
    const partitions =
      this.options.partitions ??
      (typeof from === 'object' && 'positions' in from
        ? Object.keys(from.positions).map(Number)
        : (await this.client.describeTopic(topic)).partitions.map((p) => p.partition));
    if (partitions.length === 0 || partitions.length > CLIENT_DEFAULTS.wsSubscriptionsMax) {
      throw TributaryError.client(
        'INVALID_ARGUMENT',
        `a WebSocket consumer reads 1-${CLIENT_DEFAULTS.wsSubscriptionsMax} partitions; use a group, or several consumers`,
      );
    }
    const offsets = await Promise.all(
      partitions.map(async (partition) => {
        if (typeof from === 'object' && 'offset' in from) return from.offset;
        if (typeof from === 'object' && 'positions' in from) {
          const given = from.positions[partition];
          if (given !== undefined) return given;
        }
        const at = typeof from === 'object' && 'timestamp' in from ? from.timestamp : from;
        return (
          await this.client.listOffset(topic, partition, typeof at === 'object' ? 'latest' : at)
        ).offset;
      }),
    );
    partitions.forEach((partition, i) => this.next.set(partition, offsets[i]!));
  }
}

function closeError(event: CloseEventLike): TributaryError {
  return new TributaryError(
    'CONNECTION_CLOSED',
    `the WebSocket closed (${event.code}${event.reason === '' ? '' : `: ${event.reason}`})`,
    { retriable: !FINAL_CLOSE_CODES.includes(event.code) },
  );
}
