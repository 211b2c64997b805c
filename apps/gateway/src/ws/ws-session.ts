// One WebSocket connection: JSON text frames in both directions, and binary records frames
// from the server for subscriptions that ask for them. Client frames are operations
// (subscribe, credit, commit, unsubscribe, produce); every answer repeats the frame's `id`.
// Pushes are bounded twice: by credit, when the client asks for it, and always by the bytes
// the network has not yet taken — past the high-water mark pushes pause, and a connection that
// stays paused past the stall timeout, or whose buffer passes the cap, is closed with 1013.
import { BrokerError, LIMITS } from '@tributary/common';
import { type Logger } from 'pino';
import { type WebSocket } from 'ws';
import { type TenantPrincipal } from '../auth/principal';
import { isObject, type JsonObject } from '../http/input';
import { nestsDeeperThan, tooDeep } from '../http/json-depth';
import { problemOf, toBrokerError } from '../http/problem';
import { parseWsProduce, parseWsSubscribe, type WsOperations } from './ws-operations';
import { type WsSubscription } from './ws-subscriptions';

export type WsLimits = {
  [
    K in
      | 'wsBufferedBytesHigh'
      | 'wsBufferedBytesCap'
      | 'wsStallTimeoutMs'
      | 'wsPushBytesMax'
      | 'wsSubscriptionsMax'
      | 'wsOperationsInFlightMax'
      | 'wsPingIntervalMs'
      | 'wsIdleTimeoutMs'
  ]: number;
};

export const WS_CLOSE = {
  normal: 1000,
  goingAway: 1001,
  unsupportedData: 1003,
  policyViolation: 1008,
  tooBig: 1009,
  tryAgainLater: 1013,
} as const;

export class WsSession {
  readonly subscriptions = new Map<string, WsSubscription>();
  /** Bytes handed to the socket and not yet written to the network. */
  private buffered = 0;
  /** The most ever buffered at once (reported for tests and metrics). */
  peakBuffered = 0;
  private writableWaiters: (() => void)[] = [];
  private stallTimer: NodeJS.Timeout | undefined;
  /**
   * Both caps are checked and taken in the same synchronous step, before the operation's first
   * await: a burst of frames arrives in one event-loop turn, so a check before an await and a
   * count taken after it would let every frame of the burst pass.
   */
  private operationsInFlight = 0;
  /** The most operations ever in flight at once (reported for tests and metrics). */
  operationsInFlightPeak = 0;
  /** Subscribes begun and not yet settled: each holds a place under wsSubscriptionsMax. */
  private subscribesInFlight = 0;
  private subscriptionSeq = 0;
  private lastFrameMs = Date.now();
  private awaitingPong = false;
  private readonly keepalive: NodeJS.Timeout;
  closed = false;
  /** Settles when the session has ended (closed by either side). */
  readonly ended: Promise<void>;
  private markEnded: () => void = () => undefined;

  constructor(
    readonly socket: WebSocket,
    readonly auth: TenantPrincipal,
    private readonly operations: WsOperations,
    readonly limits: WsLimits,
    private readonly logger: Logger,
    private readonly onClosed: (session: WsSession) => void,
  ) {
    this.ended = new Promise((resolve) => (this.markEnded = resolve));
    socket.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    socket.on('pong', () => (this.awaitingPong = false));
    socket.on('close', () => this.shutdown());
    socket.on('error', (err) => this.logger.debug({ err }, 'websocket error'));
    this.keepalive = setInterval(() => this.tick(), limits.wsPingIntervalMs);
    this.keepalive.unref();
  }

  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Sends one frame; false when the connection is gone. Closes past the buffer cap. */
  send(frame: object): boolean {
    if (this.closed) return false;
    const text = JSON.stringify(frame);
    return this.write(text, Buffer.byteLength(text));
  }

  /** Sends one binary frame, bounded as `send` is. */
  sendBinary(frame: Buffer): boolean {
    if (this.closed) return false;
    return this.write(frame, frame.length);
  }

  private write(data: string | Buffer, bytes: number): boolean {
    this.buffered += bytes;
    this.peakBuffered = Math.max(this.peakBuffered, this.buffered);
    // `ws` sends a string as a text frame and a Buffer as a binary one.
    this.socket.send(data, () => {
      this.buffered -= bytes;
      if (this.buffered < this.limits.wsBufferedBytesHigh) this.wakeWritable();
    });
    if (this.buffered > this.limits.wsBufferedBytesCap) {
      this.close(WS_CLOSE.tryAgainLater, 'slow consumer: send buffer over its cap');
      return false;
    }
    return true;
  }

  /** Resolves when pushes may go on (the buffer is under its high-water mark). */
  whenWritable(): Promise<void> {
    if (this.buffered < this.limits.wsBufferedBytesHigh || this.closed) return Promise.resolve();
    this.stallTimer ??= setTimeout(
      () => this.close(WS_CLOSE.tryAgainLater, 'slow consumer: paused too long'),
      this.limits.wsStallTimeoutMs,
    );
    return new Promise((resolve) => this.writableWaiters.push(resolve));
  }

  private wakeWritable(): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    const waiters = this.writableWaiters;
    this.writableWaiters = [];
    for (const wake of waiters) wake();
  }

  sendError(error: unknown, id?: unknown): void {
    const coded = toBrokerError(error);
    if (coded === undefined) {
      this.logger.error({ err: error }, 'unexpected websocket error');
    }
    const problem = problemOf(
      coded ?? new BrokerError('INTERNAL', 'an unexpected error occurred; see the server log'),
      'ws',
    );
    this.send({ op: 'error', ...(id === undefined ? {} : { id }), problem });
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.socket.close(code, reason);
    this.shutdown();
  }

  nextSubscriptionId(): string {
    return `s${++this.subscriptionSeq}`;
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepalive);
    this.wakeWritable();
    for (const subscription of this.subscriptions.values()) {
      subscription
        .stop()
        .catch((err: unknown) => this.logger.warn({ err }, 'ending a subscription failed'));
    }
    this.subscriptions.clear();
    this.onClosed(this);
    this.markEnded();
  }

  /** Keepalive: a peer that did not answer the last ping is gone; an idle one is closed. */
  private tick(): void {
    if (this.awaitingPong) {
      this.socket.terminate();
      this.shutdown();
      return;
    }
    if (
      this.subscriptions.size === 0 &&
      this.operationsInFlight === 0 &&
      Date.now() - this.lastFrameMs > this.limits.wsIdleTimeoutMs
    ) {
      this.close(WS_CLOSE.normal, 'idle');
      return;
    }
    this.awaitingPong = true;
    this.socket.ping();
  }

  private onFrame(data: unknown, isBinary: boolean): void {
    this.lastFrameMs = Date.now();
    if (isBinary) {
      this.close(WS_CLOSE.unsupportedData, 'frames are JSON text');
      return;
    }
    const text = String(data);
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      this.sendError(new BrokerError('INVALID_REQUEST', 'the frame is not valid JSON'));
      return;
    }
    if (!isObject(frame) || typeof frame.op !== 'string') {
      this.sendError(new BrokerError('INVALID_REQUEST', 'a frame is an object with an op'));
      return;
    }
    // Checked before the id is echoed. A produce frame's records are checked one by one (the
    // error names the record); the other fields are the frame's own.
    const { records: _records, ...envelope } = frame;
    if (nestsDeeperThan(envelope, LIMITS.jsonDepthMax)) {
      this.sendError(tooDeep('the frame'));
      return;
    }
    if (this.operationsInFlight >= this.limits.wsOperationsInFlightMax) {
      this.sendError(
        new BrokerError('BACKPRESSURE', 'too many operations in progress; wait for answers'),
        frame.id,
      );
      return;
    }
    this.operationsInFlight += 1;
    this.operationsInFlightPeak = Math.max(this.operationsInFlightPeak, this.operationsInFlight);
    this.dispatch(frame, Buffer.byteLength(text))
      .catch((error: unknown) => this.sendError(error, frame.id))
      .finally(() => (this.operationsInFlight -= 1));
  }

  private async dispatch(frame: JsonObject, frameBytes: number): Promise<void> {
    const id = frame.id;
    switch (frame.op) {
      case 'subscribe':
        return this.subscribe(frame);
      case 'credit': {
        this.subscription(frame).addCredit(creditOf(frame.records));
        return;
      }
      case 'commit': {
        const offsets = await this.subscription(frame).commit(frame.offsets);
        this.send({ op: 'committed', id, subscription: frame.subscription, offsets });
        return;
      }
      case 'unsubscribe': {
        const subscription = this.subscription(frame);
        this.subscriptions.delete(subscription.id);
        await subscription.stop();
        this.send({ op: 'unsubscribed', id, subscription: subscription.id });
        return;
      }
      case 'produce': {
        const offsets = await this.operations.produce(this.auth, parseWsProduce(frame, frameBytes));
        this.send({ op: 'ack', id, offsets });
        return;
      }
      default:
        throw new BrokerError(
          'INVALID_REQUEST',
          `unknown op ${JSON.stringify(frame.op)} (subscribe, credit, commit, unsubscribe, produce)`,
        );
    }
  }

  private async subscribe(frame: JsonObject): Promise<void> {
    if (this.subscriptions.size + this.subscribesInFlight >= this.limits.wsSubscriptionsMax) {
      throw new BrokerError(
        'INVALID_REQUEST',
        `at most ${this.limits.wsSubscriptionsMax} subscriptions per connection`,
      );
    }
    this.subscribesInFlight += 1;
    let subscription: WsSubscription;
    try {
      subscription = await this.operations.subscribe(this, parseWsSubscribe(frame));
      if (!this.closed) this.subscriptions.set(subscription.id, subscription);
    } finally {
      // Its place passes to the subscription, or is given back when it failed.
      this.subscribesInFlight -= 1;
    }
    if (this.closed) {
      await subscription.stop();
      return;
    }
    this.send({ op: 'subscribed', id: frame.id, subscription: subscription.id });
    subscription.start();
  }

  private subscription(frame: JsonObject): WsSubscription {
    const subscription =
      typeof frame.subscription === 'string'
        ? this.subscriptions.get(frame.subscription)
        : undefined;
    if (subscription === undefined) {
      throw new BrokerError('INVALID_REQUEST', 'subscription: no such subscription here');
    }
    return subscription;
  }
}

function creditOf(raw: unknown): number {
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < 1 || raw > 1_000_000) {
    throw new BrokerError('INVALID_REQUEST', 'records: must be an integer from 1 to 1000000');
  }
  return raw;
}

export const DEFAULT_WS_LIMITS: WsLimits = {
  wsBufferedBytesHigh: LIMITS.wsBufferedBytesHigh,
  wsBufferedBytesCap: LIMITS.wsBufferedBytesCap,
  wsStallTimeoutMs: LIMITS.wsStallTimeoutMs,
  wsPushBytesMax: LIMITS.wsPushBytesMax,
  wsSubscriptionsMax: LIMITS.wsSubscriptionsMax,
  wsOperationsInFlightMax: LIMITS.wsOperationsInFlightMax,
  wsPingIntervalMs: LIMITS.wsPingIntervalMs,
  wsIdleTimeoutMs: LIMITS.wsIdleTimeoutMs,
};
