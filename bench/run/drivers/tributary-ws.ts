// Tributary over its WebSocket endpoint (GET /v1/ws, docs/API.md), through the `ws` package:
// catch-up reads with one subscription from "earliest" under credit, and produce -> delivery
// latency at a fixed rate — records produced over HTTP (a batch per scheduler tick) and pushed
// to a subscription from "latest", to the partitions or as a member of a fresh consumer group.
import { assert } from '@tributary/common';
import { Pool } from 'undici';
import WebSocket from 'ws';
import { documentedDecoder } from '../../../test/support/records-frame-decoder';
import { caughtUp, type Driver, type DriverRun, type JobOf } from './driver';
import { latencyRun } from './latency';

const OPEN_TIMEOUT_MS = 10_000;
const CLOSE_TIMEOUT_MS = 2_000;
/** A catch-up read that receives nothing for this long ends (what is missing counts as errors). */
const STALL_MS = 10_000;
/** Records in one produce request of the latency sender, at most (the rest wait for the next). */
const SEND_BATCH_MAX = 5_000;
/** Value prefix of the records that prove a latency subscription receives (not measured). */
const MARKER = 'ready-marker';
/** Rounds of markers before a subscription that delivers none counts as broken. */
const MARKER_ROUNDS_MAX = 20;
const MARKER_WAIT_MS = 500;

interface WsRecord {
  partition: number;
  offset: number;
  value: unknown;
}

/** A frame from the server: an answer (`id`), a push on a subscription, or an error. */
interface Frame {
  op: string;
  id?: string;
  subscription?: string;
  records?: WsRecord[];
  partitions?: number[];
  problem?: { code?: string; detail?: string };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * One connection: requests (frames with an `id`) resolve with their answer; pushes go to
 * `onPush`; an error frame outside an answer, or the connection closing under a run, is a
 * failure every waiter sees.
 */
export class TributarySocket {
  onPush: (frame: Frame) => void = () => undefined;
  /** Binary records frames (`"format":"binary"` subscriptions). */
  onBinary: (data: Buffer) => void = () => this.fail(new Error('an unexpected binary frame'));
  /** Bytes of the frames received (what is on the wire, text and binary). */
  bytesReceived = 0;
  private failure: Error | undefined;
  private readonly failureWaiters = new Set<(error: Error) => void>();
  private readonly pending = new Map<string, { resolve(f: Frame): void; reject(e: Error): void }>();
  private requestSeq = 0;
  private closing = false;

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      this.bytesReceived += data.length;
      if (isBinary) this.onBinary(data);
      else this.onMessage(data);
    });
    socket.on('close', (code, reason) => {
      if (!this.closing) this.fail(new Error(`the WebSocket closed: ${code} ${String(reason)}`));
    });
    socket.on('error', (error) => this.fail(error));
  }

  static open(origin: string, key: string): Promise<TributarySocket> {
    const socket = new WebSocket(`${origin.replace(/^http/, 'ws')}/v1/ws`, {
      headers: { authorization: `Bearer ${key}` },
      perMessageDeflate: false,
      handshakeTimeout: OPEN_TIMEOUT_MS,
    });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.once('open', () => {
        socket.off('error', reject);
        resolve(new TributarySocket(socket));
      });
    });
  }

  /** Sends a frame that has no answer (credit). */
  send(frame: object): void {
    this.socket.send(JSON.stringify(frame));
  }

  /** Sends `frame` with a fresh id; resolves with the answer, rejects with an error frame. */
  request(frame: object): Promise<Frame> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const id = `r${++this.requestSeq}`;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.send(JSON.stringify({ ...frame, id }));
    });
  }

  /** Resolves with the first failure of the connection (never, if it keeps working). */
  failed(): Promise<never> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((_, reject) => this.failureWaiters.add(reject));
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.socket.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
    this.socket.close(1000, 'done');
    const timer = setTimeout(() => this.socket.terminate(), CLOSE_TIMEOUT_MS);
    await closed;
    clearTimeout(timer);
  }

  private onMessage(data: Buffer): void {
    const frame = JSON.parse(data.toString('utf8')) as Frame;
    const waiter = frame.id === undefined ? undefined : this.pending.get(frame.id);
    if (waiter !== undefined) {
      this.pending.delete(frame.id!);
      if (frame.op === 'error') waiter.reject(problemError(frame));
      else waiter.resolve(frame);
      return;
    }
    if (frame.op === 'error') this.fail(problemError(frame));
    else this.onPush(frame);
  }

  private fail(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
    for (const reject of this.failureWaiters) reject(error);
    this.failureWaiters.clear();
  }
}

function problemError(frame: Frame): Error {
  const p = frame.problem;
  return new Error(`the server answered ${p?.code ?? 'an error'}: ${p?.detail ?? '(no detail)'}`);
}

/**
 * Reads the whole topic through one connection: a subscription to every partition from
 * "earliest" with `creditWindow` records of credit, topped up by what arrived each time half
 * the window has (so between half and all of the window is always granted). JSON frames are
 * parsed whole; binary frames are decoded whole by the decoder docs/API.md shows. The clock runs
 * from opening the connection to the last expected record.
 */
export function tributaryWsCatchUp(job: JobOf<'tributary-ws-catch-up'>): Driver {
  const refill = Math.max(1, Math.floor(job.creditWindow / 2));
  const decode = job.format === 'binary' ? documentedDecoder() : undefined;
  return {
    async run(timeoutMs): Promise<DriverRun> {
      const startedMs = performance.now();
      const socket = await TributarySocket.open(job.origin, job.key);
      let received = 0;
      let frames = 0;
      let lastProgressMs = performance.now();
      let stopReason: string | undefined;
      try {
        let finish: () => void = () => undefined;
        const done = new Promise<void>((resolve) => (finish = resolve));
        let ungranted = 0;
        const arrived = (subscription: string, count: number) => {
          received += count;
          ungranted += count;
          frames += 1;
          lastProgressMs = performance.now();
          if (received >= job.expectedRecords) return finish();
          if (ungranted >= refill) {
            socket.send({ op: 'credit', subscription, records: ungranted });
            ungranted = 0;
          }
        };
        socket.onPush = (frame) => {
          if (frame.op === 'records') arrived(frame.subscription!, frame.records!.length);
        };
        socket.onBinary = (data) => {
          const frame = decode!(data);
          arrived(frame.subscription, frame.records.length);
        };
        const watchdog = setInterval(() => {
          const now = performance.now();
          if (now - lastProgressMs > STALL_MS) stopReason = `nothing arrived for ${STALL_MS} ms`;
          else if (now - startedMs > timeoutMs) stopReason = `stopped after ${timeoutMs} ms`;
          if (stopReason !== undefined) finish();
        }, 250);
        try {
          await socket.request({
            op: 'subscribe',
            topic: job.topic,
            from: 'earliest',
            credit: job.creditWindow,
            ...(job.format === 'binary' ? { format: 'binary' } : {}),
          });
          await Promise.race([done, socket.failed()]);
        } finally {
          clearInterval(watchdog);
        }
      } finally {
        await socket.close();
      }
      const seconds = (performance.now() - startedMs) / 1000;
      const wire = job.format === 'binary' ? 'binary frames' : 'JSON';
      return {
        ...caughtUp(received, seconds, job),
        notes: [
          `${(socket.bytesReceived / Math.max(1, received)).toFixed(0)} B of ${wire} per record on the wire, ${(received / Math.max(1, frames)).toFixed(0)} records per frame`,
          ...(stopReason === undefined ? [] : [`a read ended early: ${stopReason}`]),
        ],
      };
    },
    close: async () => undefined,
  };
}

/**
 * Produces over HTTP (acks=1) what the schedule hands it, one request per scheduler tick: every
 * record due in that tick goes into one request, keyless (Tributary's sticky partitioner then
 * sends the request to one partition, the next request to the next). At most `connections`
 * requests are in flight; records due meanwhile wait and go together in the next request.
 */
class BatchingSender {
  requests = 0;
  records = 0;
  private readonly pool: Pool;
  private readonly path: string;
  private readonly headers: Record<string, string>;
  private queue: { value: string; resolve(): void; reject(error: Error): void }[] = [];
  private inFlight = 0;
  private flushQueued = false;

  constructor(
    origin: string,
    key: string,
    topic: string,
    private readonly connections: number,
    private readonly valueBytes: number,
  ) {
    assert(valueBytes >= 32, 'a latency record needs room for its sequence number and send time');
    this.pool = new Pool(origin, { connections });
    this.path = `/v1/topics/${encodeURIComponent(topic)}/records?acks=1`;
    this.headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  }

  /** `payload` (ASCII) becomes a JSON string value of exactly `valueBytes`, quotes included. */
  send(payload: Buffer): Promise<void> {
    const value = payload.toString('latin1', 0, this.valueBytes - 2);
    return new Promise((resolve, reject) => {
      this.queue.push({ value, resolve, reject });
      if (this.flushQueued) return;
      // After the scheduler's synchronous burst: everything due in this tick, in one request.
      this.flushQueued = true;
      queueMicrotask(() => {
        this.flushQueued = false;
        this.flush();
      });
    });
  }

  /** Records with explicit partitions, awaited (not part of any measurement). */
  async sendTo(values: { partition: number; value: string }[]): Promise<void> {
    await this.post(
      values.map((v) => `{"partition":${v.partition},"value":${JSON.stringify(v.value)}}`),
    );
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private flush(): void {
    while (this.queue.length > 0 && this.inFlight < this.connections) {
      const batch = this.queue.splice(0, SEND_BATCH_MAX);
      this.inFlight += 1;
      this.requests += 1;
      this.records += batch.length;
      this.post(batch.map((b) => `{"value":${JSON.stringify(b.value)}}`))
        .then(
          () => batch.forEach((b) => b.resolve()),
          (error: unknown) => batch.forEach((b) => b.reject(error as Error)),
        )
        .finally(() => {
          this.inFlight -= 1;
          this.flush();
        });
    }
  }

  private async post(records: string[]): Promise<void> {
    const response = await this.pool.request({
      method: 'POST',
      path: this.path,
      headers: this.headers,
      body: `{"records":[${records.join(',')}]}`,
    });
    const text = await response.body.text();
    if (response.statusCode !== 200)
      throw new Error(`produce: ${response.statusCode} ${text.slice(0, 200)}`);
  }
}

/**
 * Each run subscribes anew from "latest" (to every partition, or as the only member of a fresh
 * group, autoCommit on, no credit: pushes bounded by the server's send buffer only). Before the
 * schedule starts, marker records are produced to every partition until one per partition has
 * arrived: a group member's start position is only fixed by its first poll, and nothing sent
 * before that would reach it.
 */
export async function tributaryWsLatency(job: JobOf<'tributary-ws-latency'>): Promise<Driver> {
  const socket = await TributarySocket.open(job.origin, job.key);
  const sender = new BatchingSender(
    job.origin,
    job.key,
    job.topic,
    job.produceConnections,
    job.messageBytes,
  );
  let runNo = 0;
  return {
    async run(durationMs): Promise<DriverRun> {
      const run = runNo++;
      const requestsBefore = sender.requests;
      const recordsBefore = sender.records;
      const result = await latencyRun(job, durationMs, {
        async receive(onRecord) {
          // Set from the answer; pushes of any other subscription (none expected) are ignored.
          const current: { subscription?: string } = {};
          const markers = new Set<number>();
          socket.onPush = (frame) => {
            if (frame.op !== 'records' || frame.subscription !== current.subscription) return;
            for (const record of frame.records!) {
              const value = record.value as string;
              if (value.startsWith(MARKER)) markers.add(record.partition);
              else onRecord(Buffer.from(value, 'latin1'));
            }
          };
          const group = job.groupPrefix === undefined ? {} : { group: `${job.groupPrefix}${run}` };
          const answer = await socket.request({
            op: 'subscribe',
            topic: job.topic,
            from: 'latest',
            ...group,
          });
          current.subscription = answer.subscription;
          await awaitMarkers(socket, sender, job.partitions, markers, run);
          return async () => {
            await socket.request({ op: 'unsubscribe', subscription: current.subscription });
            socket.onPush = () => undefined;
          };
        },
        send: (payload) => sender.send(payload),
      });
      const requests = sender.requests - requestsBefore;
      const perRequest = (sender.records - recordsBefore) / Math.max(1, requests);
      return {
        ...result,
        notes: [
          `${result.notes?.join('; ') ?? ''}; ${requests} produce requests, ${perRequest.toFixed(1)} records each on average`,
        ],
      };
    },
    async close() {
      await sender.close();
      await socket.close();
    },
  };
}

/** Produces a marker to every partition still silent, until each has delivered one. */
async function awaitMarkers(
  socket: TributarySocket,
  sender: BatchingSender,
  partitions: number,
  arrived: Set<number>,
  run: number,
): Promise<void> {
  const failed = socket.failed();
  for (let round = 0; round < MARKER_ROUNDS_MAX; round++) {
    const silent = [...Array(partitions).keys()].filter((p) => !arrived.has(p));
    if (silent.length === 0) return;
    await sender.sendTo(silent.map((p) => ({ partition: p, value: `${MARKER}-${run}-${round}` })));
    const deadline = performance.now() + MARKER_WAIT_MS;
    while (performance.now() < deadline && silent.some((p) => !arrived.has(p)))
      await Promise.race([sleep(5), failed]);
  }
  throw new Error(
    `the subscription delivered no marker from ${partitions - arrived.size} partition(s) in ${MARKER_ROUNDS_MAX} rounds`,
  );
}
