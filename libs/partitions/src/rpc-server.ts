// The serving side of the internal RPC (frames in libs/protocol rpc-frame.ts): a TCP listener
// whose connections carry many calls at once. The first call of a connection must be the
// hello, which the node checks (the cluster's shared secret) before it serves anything else.
// Every call runs with an AbortSignal that fires when the caller cancels it or the connection
// drops, so long-polls stop waiting for a caller that is gone. Bounded: frame size, calls
// running per connection, and bytes queued to a peer that does not read (it is dropped).
import * as net from 'node:net';
import { BrokerError, isBrokerError, LIMITS } from '@tributary/common';
import { encodeFrame, type Frame, FrameDecoder, FrameType } from '@tributary/protocol';

/** Method 0 of every connection: who is calling, proven by the cluster's secret. */
export const HELLO_METHOD = 0;

export interface RpcCall {
  method: number;
  header: unknown;
  body: Buffer;
  signal: AbortSignal;
}

export interface RpcAnswer {
  header: unknown;
  body?: Buffer;
}

export interface RpcServerOptions {
  host: string;
  port: number;
  /** Checks a connection's hello; throws (UNAUTHENTICATED) to refuse it. */
  hello: (header: unknown) => void;
  handle: (call: RpcCall) => Promise<RpcAnswer>;
  /** A call failed with something other than a coded error (a bug): it is answered INTERNAL. */
  onUnexpected?: (error: unknown) => void;
}

/** An error as it crosses the wire. */
export interface WireError {
  code: string;
  message: string;
  extra?: Record<string, unknown>;
}

const WRITE_BACKLOG_BYTES_MAX = LIMITS.rpcFrameBytesMax * 2;

export class RpcServer {
  private readonly connections = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    private readonly options: RpcServerOptions,
  ) {}

  static async listen(options: RpcServerOptions): Promise<RpcServer> {
    const server = net.createServer({ noDelay: true });
    const rpc = new RpcServer(server, options);
    server.on('connection', (socket) => rpc.serve(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return rpc;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  private serve(socket: net.Socket): void {
    this.connections.add(socket);
    const decoder = new FrameDecoder(LIMITS.rpcFrameBytesMax);
    const running = new Map<number, AbortController>();
    let greeted = false;
    const send = (frame: Frame) => {
      if (socket.destroyed) return;
      socket.cork();
      for (const part of encodeFrame(frame)) socket.write(part);
      socket.uncork();
      // A peer that stopped reading does not get to grow this process's memory.
      if (socket.writableLength > WRITE_BACKLOG_BYTES_MAX) socket.destroy();
    };
    const fail = (requestId: number, error: unknown) =>
      send({
        requestId,
        type: FrameType.Error,
        method: 0,
        header: this.toWire(error),
        body: EMPTY,
      });
    const onFrame = (frame: Frame) => {
      if (frame.type === FrameType.Cancel) {
        running.get(frame.requestId)?.abort();
        return;
      }
      if (frame.type !== FrameType.Request) return;
      if (!greeted) {
        try {
          if (frame.method !== HELLO_METHOD) {
            throw new BrokerError('UNAUTHENTICATED', 'the first call must be the hello');
          }
          this.options.hello(frame.header);
          greeted = true;
          send({
            requestId: frame.requestId,
            type: FrameType.Answer,
            method: 0,
            header: {},
            body: EMPTY,
          });
        } catch (error) {
          fail(frame.requestId, error);
          socket.end();
        }
        return;
      }
      if (running.size >= LIMITS.rpcCallsInFlightMax) {
        fail(frame.requestId, new BrokerError('BACKPRESSURE', 'too many calls in flight'));
        return;
      }
      const abort = new AbortController();
      running.set(frame.requestId, abort);
      this.options
        .handle({
          method: frame.method,
          header: frame.header,
          body: frame.body,
          signal: abort.signal,
        })
        .then(
          (answer) =>
            send({
              requestId: frame.requestId,
              type: FrameType.Answer,
              method: 0,
              header: answer.header,
              body: answer.body ?? EMPTY,
            }),
          (error: unknown) => fail(frame.requestId, error),
        )
        .finally(() => running.delete(frame.requestId));
    };
    socket.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = decoder.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const frame of frames) onFrame(frame);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.connections.delete(socket);
      for (const abort of running.values()) abort.abort();
      running.clear();
    });
  }

  private toWire(error: unknown): WireError {
    if (isBrokerError(error)) {
      return { code: error.code, message: error.message, extra: { ...error.extra } };
    }
    this.options.onUnexpected?.(error);
    return { code: 'INTERNAL', message: 'an unexpected error occurred on another node' };
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.connections) socket.destroy();
    await closed;
  }
}

const EMPTY = Buffer.alloc(0);
