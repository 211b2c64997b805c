// A batching producer. send() puts a record in its topic's queue; a queue goes out as one
// produce request when it holds batchRecordsMax records or batchBytesMax bytes, or lingerMs
// after its first record. One request per topic is in flight at a time, so records keep their
// order. Each request carries an Idempotency-Key of its own and is retried with the same key
// and the same bytes on a retriable failure (a lost answer, a timeout, a 503, a 429), waiting
// with backoff and at least the Retry-After asked for: the server then writes it once and
// answers with the first write's offsets. Every record's promise resolves with its partition
// and offset, or rejects with the batch's error.
//
// Backpressure: records buffered or in flight are bounded (bufferRecordsMax, bufferBytesMax).
// A send() into a full buffer waits for room, up to maxBlockMs, then rejects with the
// retriable BUFFER_FULL; whenWritable() lets a pipeline wait for room before sending.
import { type TributaryClient } from './client';
import { CLIENT_DEFAULTS } from './defaults';
import { fromFailure, invariant, TributaryError } from './errors';
import { randomId, utf8Length } from './platform';
import { backoffMs, delay, resolveRetry, type RetryPolicy } from './retry';
import { type Acks, type Format, type ProduceRecord, type RecordOffset } from './types';

export interface ProducerOptions {
  /** Default 'all'. */
  acks?: Acks;
  /** Defaults: the server's (key string, value json). */
  keyFormat?: Format;
  valueFormat?: Format;
  lingerMs?: number;
  batchRecordsMax?: number;
  /** Bytes of a batch's records as JSON. */
  batchBytesMax?: number;
  bufferRecordsMax?: number;
  bufferBytesMax?: number;
  maxBlockMs?: number;
  /** A batch still failing this long after its first attempt fails for good. */
  deliveryTimeoutMs?: number;
  retry?: RetryPolicy;
  /** Told before each retry of a batch. */
  onRetry?: (error: TributaryError, attempt: number, waitMs: number) => void;
}

export interface RecordMetadata extends RecordOffset {
  topic: string;
}

export interface ProducerStats {
  /** Records buffered or in flight. */
  bufferedRecords: number;
  bufferedBytes: number;
  acknowledged: number;
  failed: number;
  batches: number;
  retries: number;
}

interface Entry {
  topic: string;
  json: string;
  bytes: number;
  resolve: (metadata: RecordMetadata) => void;
  reject: (error: TributaryError) => void;
}

interface Blocked extends Entry {
  timer: ReturnType<typeof setTimeout>;
}

interface TopicQueue {
  pending: Entry[];
  pendingBytes: number;
  inFlight: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export class Producer {
  private readonly queues = new Map<string, TopicQueue>();
  private readonly blocked: Blocked[] = [];
  private readonly outstanding = new Set<Promise<unknown>>();
  private writableWaiters: (() => void)[] = [];
  private readonly stopped = new AbortController();
  private readonly id = randomId();
  private batchSeq = 0;
  private closing = false;
  private readonly limits: Required<
    Pick<
      ProducerOptions,
      | 'lingerMs'
      | 'batchRecordsMax'
      | 'batchBytesMax'
      | 'bufferRecordsMax'
      | 'bufferBytesMax'
      | 'maxBlockMs'
      | 'deliveryTimeoutMs'
    >
  >;
  private readonly retry;
  private readonly bodyPrefix: string;
  readonly stats: ProducerStats = {
    bufferedRecords: 0,
    bufferedBytes: 0,
    acknowledged: 0,
    failed: 0,
    batches: 0,
    retries: 0,
  };

  constructor(
    private readonly client: TributaryClient,
    private readonly options: ProducerOptions = {},
  ) {
    this.limits = {
      lingerMs: options.lingerMs ?? CLIENT_DEFAULTS.lingerMs,
      batchRecordsMax: options.batchRecordsMax ?? CLIENT_DEFAULTS.batchRecordsMax,
      batchBytesMax: options.batchBytesMax ?? CLIENT_DEFAULTS.batchBytesMax,
      bufferRecordsMax: options.bufferRecordsMax ?? CLIENT_DEFAULTS.bufferRecordsMax,
      bufferBytesMax: options.bufferBytesMax ?? CLIENT_DEFAULTS.bufferBytesMax,
      maxBlockMs: options.maxBlockMs ?? CLIENT_DEFAULTS.maxBlockMs,
      deliveryTimeoutMs: options.deliveryTimeoutMs ?? CLIENT_DEFAULTS.deliveryTimeoutMs,
    };
    for (const [name, value] of Object.entries(this.limits)) {
      if (!Number.isFinite(value) || value < (name === 'lingerMs' ? 0 : 1)) {
        throw TributaryError.client('INVALID_ARGUMENT', `${name}: ${value} is out of range`);
      }
    }
    this.retry = resolveRetry(options.retry);
    const formats = {
      ...(options.keyFormat === undefined ? {} : { keyFormat: options.keyFormat }),
      ...(options.valueFormat === undefined ? {} : { valueFormat: options.valueFormat }),
    };
    // Each batch's body is this prefix, the records' JSON joined by commas, and `]}`.
    this.bodyPrefix = `${JSON.stringify(formats).slice(0, -1)}${Object.keys(formats).length > 0 ? ',' : ''}"records":[`;
  }

  /** Resolves with the record's partition and offset once the server acknowledged it. */
  send(topic: string, record: ProduceRecord): Promise<RecordMetadata> {
    if (this.closing) {
      return Promise.reject(TributaryError.client('CLOSED', 'the producer is closed'));
    }
    let json: string | undefined;
    try {
      json = JSON.stringify(record);
    } catch (error) {
      return Promise.reject(
        TributaryError.client('INVALID_ARGUMENT', 'the record is not JSON-serializable', error),
      );
    }
    if (json === undefined || typeof record !== 'object' || record === null) {
      return Promise.reject(TributaryError.client('INVALID_ARGUMENT', 'a record is an object'));
    }
    const serialized = json;
    const promise = new Promise<RecordMetadata>((resolve, reject) => {
      const entry: Entry = {
        topic,
        json: serialized,
        bytes: utf8Length(serialized),
        resolve,
        reject,
      };
      if (this.blocked.length === 0 && this.hasRoom(entry.bytes)) this.accept(entry);
      else this.block(entry);
    });
    const settled = promise.then(
      () => undefined,
      () => undefined,
    );
    this.outstanding.add(settled);
    void settled.then(() => this.outstanding.delete(settled));
    return promise;
  }

  /** Resolves when a send() would be buffered at once (the buffer has room). */
  whenWritable(): Promise<void> {
    if (this.blocked.length === 0 && this.hasRoom(0)) return Promise.resolve();
    return new Promise((resolve) => this.writableWaiters.push(resolve));
  }

  /** Sends every buffered record now; resolves once all sent before this call are answered. */
  async flush(): Promise<void> {
    const waiting = [...this.outstanding];
    for (const topic of this.queues.keys()) this.drain(topic);
    await Promise.all(waiting);
  }

  /** Refuses new sends, sends what is buffered (retries included), then resolves. */
  async close(): Promise<void> {
    this.closing = true;
    await this.flush();
  }

  /**
   * Like close(), but without waiting to retry: blocked sends fail at once, a batch waiting to
   * be retried fails, and what is buffered is sent once; every failure is CLOSED.
   */
  async abort(): Promise<void> {
    this.closing = true;
    this.stopped.abort();
    for (const entry of this.blocked.splice(0)) {
      clearTimeout(entry.timer);
      entry.reject(TributaryError.client('CLOSED', 'the producer was aborted'));
    }
    await this.flush();
  }

  private hasRoom(bytes: number): boolean {
    const { bufferedRecords, bufferedBytes } = this.stats;
    if (bufferedRecords + 1 > this.limits.bufferRecordsMax) return false;
    // A record bigger than the whole buffer still goes, alone.
    return bufferedRecords === 0 || bufferedBytes + bytes <= this.limits.bufferBytesMax;
  }

  private block(entry: Entry): void {
    if (this.blocked.length >= this.limits.bufferRecordsMax) {
      entry.reject(
        TributaryError.client('BUFFER_FULL', 'the buffer is full and as many sends already wait'),
      );
      return;
    }
    const blocked: Blocked = {
      ...entry,
      timer: setTimeout(() => {
        const index = this.blocked.indexOf(blocked);
        if (index >= 0) this.blocked.splice(index, 1);
        entry.reject(
          TributaryError.client(
            'BUFFER_FULL',
            `the producer's buffer stayed full for ${this.limits.maxBlockMs} ms`,
          ),
        );
      }, this.limits.maxBlockMs),
    };
    this.blocked.push(blocked);
  }

  private accept(entry: Entry): void {
    this.stats.bufferedRecords += 1;
    this.stats.bufferedBytes += entry.bytes;
    let queue = this.queues.get(entry.topic);
    if (queue === undefined) {
      queue = { pending: [], pendingBytes: 0, inFlight: false, timer: undefined };
      this.queues.set(entry.topic, queue);
    }
    queue.pending.push(entry);
    queue.pendingBytes += entry.bytes;
    const full =
      queue.pending.length >= this.limits.batchRecordsMax ||
      queue.pendingBytes >= this.limits.batchBytesMax;
    if (full || this.closing) this.drain(entry.topic);
    else if (queue.timer === undefined && !queue.inFlight) {
      queue.timer = setTimeout(() => this.drain(entry.topic), this.limits.lingerMs);
    }
  }

  /** Sends the next batch of a topic, unless one is in flight (its end sends the next). */
  private drain(topic: string): void {
    const queue = this.queues.get(topic);
    if (queue === undefined) return;
    clearTimeout(queue.timer);
    queue.timer = undefined;
    if (queue.inFlight || queue.pending.length === 0) return;
    let count = 0;
    let bytes = 0;
    for (const entry of queue.pending) {
      if (count >= this.limits.batchRecordsMax) break;
      if (count > 0 && bytes + entry.bytes > this.limits.batchBytesMax) break;
      count += 1;
      bytes += entry.bytes;
    }
    const batch = queue.pending.splice(0, count);
    invariant(batch.length >= 1 && batch.length <= this.limits.batchRecordsMax, 'batch size');
    queue.pendingBytes -= bytes;
    queue.inFlight = true;
    void this.deliver(topic, batch).finally(() => {
      queue.inFlight = false;
      this.stats.bufferedRecords -= batch.length;
      this.stats.bufferedBytes -= bytes;
      invariant(
        this.stats.bufferedRecords >= 0 && this.stats.bufferedBytes >= 0,
        'buffer accounting',
      );
      if (queue.pending.length > 0) this.drain(topic);
      else this.queues.delete(topic);
      this.admitBlocked();
    });
  }

  private admitBlocked(): void {
    while (this.blocked.length > 0 && this.hasRoom(this.blocked[0]!.bytes)) {
      const entry = this.blocked.shift()!;
      clearTimeout(entry.timer);
      this.accept(entry);
    }
    if (this.blocked.length === 0 && this.hasRoom(0)) {
      const waiters = this.writableWaiters;
      this.writableWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  /** One batch, retried with its key until answered, failed for good, or out of time. */
  private async deliver(topic: string, batch: Entry[]): Promise<void> {
    const body = `${this.bodyPrefix}${batch.map((entry) => entry.json).join(',')}]}`;
    const idempotencyKey = `${this.id}-${++this.batchSeq}`;
    const startedMs = Date.now();
    this.stats.batches += 1;
    for (let attempt = 1; ; attempt++) {
      try {
        const { offsets } = await this.client.produceBody(topic, body, {
          idempotencyKey,
          ...(this.options.acks === undefined ? {} : { acks: this.options.acks }),
        });
        if (offsets.length !== batch.length) {
          throw new TributaryError(
            'BAD_RESPONSE',
            `${offsets.length} offsets for ${batch.length} records`,
          );
        }
        batch.forEach((entry, i) => entry.resolve({ topic, ...offsets[i]! }));
        this.stats.acknowledged += batch.length;
        return;
      } catch (error) {
        const failure = fromFailure(error, `produce to ${topic}`);
        const waitMs = backoffMs(this.retry, attempt, failure.retryAfterMs);
        const outOfTime = Date.now() + waitMs - startedMs > this.limits.deliveryTimeoutMs;
        if (
          !failure.retriable ||
          attempt >= this.retry.attemptsMax ||
          outOfTime ||
          this.stopped.signal.aborted
        ) {
          const final = this.stopped.signal.aborted
            ? TributaryError.client('CLOSED', 'the producer was aborted', failure)
            : failure;
          for (const entry of batch) entry.reject(final);
          this.stats.failed += batch.length;
          return;
        }
        this.stats.retries += 1;
        this.options.onRetry?.(failure, attempt, waitMs);
        await delay(waitMs, this.stopped.signal);
      }
    }
  }
}
