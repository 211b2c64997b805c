// The calling side of the internal RPC: one multiplexed connection to one node, opened on the
// first call and again after it drops (not sooner than the backoff after a failed attempt). The
// hello goes first on every connection. Every call has a deadline (REQUEST_TIMED_OUT) and may
// be cancelled by its caller's signal; either sends the serving node a cancel so it stops
// working on it. Calls fail with NETWORK_EXCEPTION when the connection drops under them, and
// with BACKPRESSURE past the bound on bytes in flight to the node: both are retriable.
import * as net from 'node:net';
import { BrokerError, ERRORS, type ErrorCode, LIMITS } from '@tributary/common';
import { encodeFrame, type Frame, FrameDecoder, frameBytes, FrameType } from '@tributary/protocol';
import { HELLO_METHOD, type RpcAnswer, type WireError } from './rpc-server';

export interface RpcClientOptions {
  host: string;
  port: number;
  /** The hello's header (this node's id and the cluster's secret). */
  hello: () => unknown;
  bytesInFlightMax?: number;
  connectTimeoutMs?: number;
  reconnectBackoffMs?: number;
}

export interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

interface Pending {
  bytes: number;
  resolve: (answer: RpcAnswer) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout;
  onAbort?: () => void;
  signal?: AbortSignal;
}

const EMPTY = Buffer.alloc(0);
const REQUEST_ID_MAX = 0xffffffff;

export class RpcClient {
  private socket: net.Socket | undefined;
  private connected = false;
  private readonly queued: Buffer[][] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private bytesInFlight = 0;
  private lastFailureMs = -Infinity;
  private closed = false;

  constructor(private readonly options: RpcClientOptions) {}

  get address(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  call(
    method: number,
    header: unknown,
    body: Buffer = EMPTY,
    options: CallOptions = {},
  ): Promise<RpcAnswer> {
    if (this.closed) return Promise.reject(networkError(this.address, 'the client is closed'));
    if (options.signal?.aborted) return Promise.reject(aborted());
    const requestId = this.takeId();
    const frame = encodeFrame({ requestId, type: FrameType.Request, method, header, body });
    const bytes = frameBytes(frame);
    const max = this.options.bytesInFlightMax ?? LIMITS.rpcBytesInFlightMax;
    if (this.bytesInFlight + bytes > max) {
      return Promise.reject(
        new BrokerError(
          'BACKPRESSURE',
          `${this.bytesInFlight} bytes already in flight to ${this.address}`,
        ),
      );
    }
    return new Promise<RpcAnswer>((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? LIMITS.rpcCallTimeoutMs;
      const entry: Pending = {
        bytes,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.settle(requestId)?.reject(
            new BrokerError(
              'REQUEST_TIMED_OUT',
              `no answer from ${this.address} within ${timeoutMs} ms`,
            ),
          );
          this.cancel(requestId);
        }, timeoutMs),
      };
      if (options.signal !== undefined) {
        entry.signal = options.signal;
        entry.onAbort = () => {
          this.settle(requestId)?.reject(aborted());
          this.cancel(requestId);
        };
        options.signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      this.pending.set(requestId, entry);
      this.bytesInFlight += bytes;
      this.send(frame);
    });
  }

  private takeId(): number {
    const id = this.nextId;
    this.nextId = id === REQUEST_ID_MAX ? 1 : id + 1;
    return id;
  }

  /** Removes a pending call (its timer and abort listener) and returns it, if still pending. */
  private settle(requestId: number): Pending | undefined {
    const entry = this.pending.get(requestId);
    if (entry === undefined) return undefined;
    this.pending.delete(requestId);
    this.bytesInFlight -= entry.bytes;
    clearTimeout(entry.timer);
    if (entry.onAbort !== undefined) entry.signal?.removeEventListener('abort', entry.onAbort);
    return entry;
  }

  private cancel(requestId: number): void {
    if (!this.connected) return;
    this.send(
      encodeFrame({ requestId, type: FrameType.Cancel, method: 0, header: null, body: EMPTY }),
    );
  }

  private send(frame: Buffer[]): void {
    if (this.connected && this.socket !== undefined) {
      this.socket.cork();
      for (const part of frame) this.socket.write(part);
      this.socket.uncork();
      return;
    }
    this.queued.push(frame);
    this.connect();
  }

  private connect(): void {
    if (this.socket !== undefined || this.closed) return;
    const backoffMs = this.options.reconnectBackoffMs ?? LIMITS.rpcReconnectBackoffMs;
    if (performance.now() - this.lastFailureMs < backoffMs) {
      this.failAll(networkError(this.address, 'the last attempt to connect failed moments ago'));
      return;
    }
    const socket = net.connect({ host: this.options.host, port: this.options.port, noDelay: true });
    this.socket = socket;
    const decoder = new FrameDecoder(LIMITS.rpcFrameBytesMax);
    socket.setTimeout(this.options.connectTimeoutMs ?? LIMITS.rpcConnectTimeoutMs, () => {
      if (!this.connected) socket.destroy(new Error('connect timed out'));
    });
    socket.once('connect', () => {
      socket.setTimeout(0);
      this.connected = true;
      // The hello first: the node serves nothing else on a connection until it has checked it.
      const hello = encodeFrame({
        requestId: 0,
        type: FrameType.Request,
        method: HELLO_METHOD,
        header: this.options.hello(),
        body: EMPTY,
      });
      socket.cork();
      for (const frame of [hello, ...this.queued.splice(0)])
        for (const part of frame) socket.write(part);
      socket.uncork();
    });
    socket.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = decoder.push(chunk);
      } catch (error) {
        socket.destroy(error as Error);
        return;
      }
      for (const frame of frames) this.onFrame(frame);
    });
    socket.on('error', () => undefined); // 'close' follows and fails what is pending
    socket.on('close', () => {
      if (!this.connected) this.lastFailureMs = performance.now();
      this.socket = undefined;
      this.connected = false;
      this.failAll(networkError(this.address, 'the connection dropped'));
    });
  }

  private onFrame(frame: Frame): void {
    if (frame.requestId === 0) {
      // The hello's answer: an error means this node was refused, and the connection closes.
      if (frame.type === FrameType.Error) this.failAll(fromWire(frame.header));
      return;
    }
    const entry = this.settle(frame.requestId);
    if (entry === undefined) return; // timed out or cancelled meanwhile
    if (frame.type === FrameType.Answer) entry.resolve({ header: frame.header, body: frame.body });
    else entry.reject(fromWire(frame.header));
  }

  private failAll(error: BrokerError): void {
    this.queued.length = 0;
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(error);
  }

  close(): void {
    this.closed = true;
    this.failAll(networkError(this.address, 'the client is closed'));
    this.socket?.destroy();
  }
}

function networkError(address: string, why: string): BrokerError {
  return new BrokerError('NETWORK_EXCEPTION', `node at ${address}: ${why}`);
}

/** The caller gave up (its signal aborted); not an answer anyone sees. */
export function aborted(): BrokerError {
  return new BrokerError('REQUEST_TIMED_OUT', 'the caller gave up on this call', {
    extra: { aborted: true },
  });
}

export function isAborted(error: unknown): boolean {
  return error instanceof BrokerError && error.extra.aborted === true;
}

/** A coded error as the serving node raised it; anything unrecognised is INTERNAL. */
function fromWire(header: unknown): BrokerError {
  const wire = header as Partial<WireError> | null;
  const code = (
    typeof wire?.code === 'string' && wire.code in ERRORS ? wire.code : 'INTERNAL'
  ) as ErrorCode;
  return new BrokerError(code, typeof wire?.message === 'string' ? wire.message : 'no detail', {
    ...(typeof wire?.extra === 'object' && wire.extra !== null ? { extra: wire.extra } : {}),
  });
}
