// Group commit: appends that arrive while the log is busy, or within the same event-loop turn,
// are written together with one writev and, for `fsync` durability, covered by one fdatasync.
//
// Two stages run side by side. Writes go one at a time, in arrival order, so file order is
// offset order; syncs go one at a time too, each covering every write completed before it was
// issued. Group N+1 is written while group N's sync is in flight, so the disk never waits for
// the event loop to acknowledge N. An append is acknowledged only after a sync that was issued
// once its own write had completed (when its group needs one), and acknowledgements go out in
// append order. Other operations that change the files (roll, truncate, retention, close) run
// through the same queue as "exclusive" steps, once every earlier write and sync has finished.
import { assert, BrokerError } from '@tributary/common';

/** Where the appender writes: a log, in tests a fake. */
export interface GroupSink<T> {
  /**
   * Writes one group after the previous one; never called while another write runs. Resolves
   * with whether the group must be covered by a `sync` before it is acknowledged.
   */
  write(items: readonly T[]): Promise<{ needsSync: boolean }>;
  /** Makes every write that has completed durable; may run while the next write runs. */
  sync(): Promise<void>;
  /** Called once per group, in order, just before its appends resolve. */
  acknowledge(items: readonly T[], durable: boolean): void;
}

interface PendingWrite<T> {
  kind: 'write';
  item: T;
  bytes: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface PendingExclusive {
  kind: 'exclusive';
  run: () => Promise<void>;
}

interface Group<T> {
  writes: PendingWrite<T>[];
  bytes: number;
  /** Position of the group's write in write order: 1, 2, ... */
  seq: number;
  written: boolean;
  needsSync: boolean;
}

export interface GroupCommitLimits {
  /** Bytes queued, being written or awaiting their sync; past it, appends get BACKPRESSURE. */
  pendingBytesMax: number;
  /** Bytes one group may hold. */
  groupBytesMax: number;
}

export class GroupCommitAppender<T> {
  private readonly queue: (PendingWrite<T> | PendingExclusive)[] = [];
  /** Groups being written or written but not yet acknowledged, in write order. */
  private readonly unacknowledged: Group<T>[] = [];
  private pendingBytes = 0;
  private writing = false;
  private syncing = false;
  private exclusiveRunning = false;
  private scheduled = false;
  private writesIssued = 0;
  /** Seq of the last completed write (writes complete in order: one runs at a time). */
  private writesCompleted = 0;
  /** Every write up to this seq had completed before a sync that has finished was issued. */
  private syncedThrough = 0;
  private failure: Error | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly sink: GroupSink<T>,
    private readonly limits: GroupCommitLimits,
  ) {
    assert(limits.groupBytesMax > 0 && limits.pendingBytesMax > 0, 'bad group commit limits');
  }

  get pendingByteCount(): number {
    return this.pendingBytes;
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Checks, synchronously, that an append of `bytes` may be queued now. */
  checkCapacity(bytes: number): void {
    if (this.failure !== undefined) {
      throw new BrokerError(
        'STORAGE_ERROR',
        `log is offline after a failed write or sync: ${this.failure.message}`,
        { cause: this.failure },
      );
    }
    if (this.pendingBytes > 0 && this.pendingBytes + bytes > this.limits.pendingBytesMax) {
      throw new BrokerError(
        'BACKPRESSURE',
        `${this.pendingBytes} bytes of appends are pending (limit ${this.limits.pendingBytesMax}); retry shortly`,
      );
    }
  }

  /** Queues `item`; resolves once its group is written and, if the group needs it, synced. */
  enqueue(item: T, bytes: number): Promise<void> {
    this.checkCapacity(bytes);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ kind: 'write', item, bytes, resolve, reject });
      this.pendingBytes += bytes;
      this.schedule();
    });
  }

  /**
   * Runs `fn` alone: after every write queued before it is acknowledged (or failed), and
   * before any write queued after it starts.
   */
  exclusive<R>(fn: () => Promise<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({
        kind: 'exclusive',
        run: async () => {
          try {
            resolve(await fn());
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        },
      });
      this.schedule();
    });
  }

  /** Resolves when nothing is queued, being written, awaiting a sync or running. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return (
      this.queue.length === 0 &&
      this.unacknowledged.length === 0 &&
      !this.writing &&
      !this.syncing &&
      !this.exclusiveRunning
    );
  }

  private schedule(): void {
    // A running write or exclusive step pumps when it ends; a running sync does not hold
    // writes back, so a new append must not wait for it.
    if (this.scheduled || this.writing || this.exclusiveRunning) return;
    this.scheduled = true;
    // setImmediate, not nextTick: appends from every request handled in this turn join.
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /** Starts whatever may start now; called after every stage ends. */
  private pump(): void {
    this.startSync();
    this.startWrite();
    this.acknowledgeReady();
    this.startExclusive();
    if (this.isIdle()) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  private startWrite(): void {
    if (this.writing || this.exclusiveRunning || this.failure !== undefined) return;
    if (this.queue[0]?.kind !== 'write') return;
    const group = this.takeGroup();
    this.writing = true;
    this.unacknowledged.push(group);
    this.sink.write(group.writes.map((w) => w.item)).then(
      ({ needsSync }) => {
        assert(group.seq === this.writesCompleted + 1, 'writes completed out of order');
        this.writing = false;
        this.writesCompleted = group.seq;
        group.written = true;
        group.needsSync = needsSync;
        this.pump();
      },
      (error: unknown) => {
        this.writing = false;
        this.fail(error);
        this.pump();
      },
    );
  }

  private takeGroup(): Group<T> {
    const writes: PendingWrite<T>[] = [];
    let bytes = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (next.kind !== 'write') break;
      if (writes.length > 0 && bytes + next.bytes > this.limits.groupBytesMax) break;
      this.queue.shift();
      writes.push(next);
      bytes += next.bytes;
    }
    this.writesIssued += 1;
    return { writes, bytes, seq: this.writesIssued, written: false, needsSync: false };
  }

  /** One sync at a time, covering every write completed before it is issued. */
  private startSync(): void {
    if (this.syncing || this.failure !== undefined) return;
    const waiting = this.unacknowledged.some(
      (g) => g.written && g.needsSync && g.seq > this.syncedThrough,
    );
    if (!waiting) return;
    const covers = this.writesCompleted;
    this.syncing = true;
    this.sink.sync().then(
      () => {
        assert(covers > this.syncedThrough, 'a sync covered nothing new');
        this.syncing = false;
        this.syncedThrough = covers;
        this.pump();
      },
      (error: unknown) => {
        this.syncing = false;
        this.fail(error);
        this.pump();
      },
    );
  }

  private acknowledgeReady(): void {
    while (this.unacknowledged.length > 0) {
      const group = this.unacknowledged[0]!;
      if (!group.written) return;
      // The point of `fsync` durability: the group's write completed before the issue of a
      // sync that has now finished (startSync covers only completed writes).
      const durable = group.seq <= this.syncedThrough;
      if (group.needsSync && !durable) return;
      this.unacknowledged.shift();
      this.pendingBytes -= group.bytes;
      assert(this.pendingBytes >= 0, 'pending bytes went negative');
      this.sink.acknowledge(
        group.writes.map((w) => w.item),
        durable,
      );
      for (const w of group.writes) w.resolve();
    }
  }

  private startExclusive(): void {
    if (this.exclusiveRunning || this.writing || this.syncing) return;
    if (this.unacknowledged.length > 0) return;
    const head = this.queue[0];
    if (head?.kind !== 'exclusive') return;
    this.queue.shift();
    this.exclusiveRunning = true;
    void head.run().finally(() => {
      this.exclusiveRunning = false;
      this.pump();
    });
  }

  /**
   * A failed write or sync leaves the file tail unknown: every append not yet acknowledged
   * fails (some may be on disk; recovery on the next open cuts whatever is partial), and so
   * does every later one. Queued exclusive steps still run, so that close() works.
   */
  private fail(error: unknown): void {
    this.failure ??= error instanceof Error ? error : new Error(String(error));
    const wrapped = new BrokerError('STORAGE_ERROR', `append failed: ${this.failure.message}`, {
      cause: error,
    });
    for (const group of this.unacknowledged.splice(0)) {
      this.pendingBytes -= group.bytes;
      for (const w of group.writes) w.reject(wrapped);
    }
    const exclusives: PendingExclusive[] = [];
    for (const entry of this.queue.splice(0)) {
      if (entry.kind === 'exclusive') {
        exclusives.push(entry);
      } else {
        this.pendingBytes -= entry.bytes;
        entry.reject(wrapped);
      }
    }
    this.queue.push(...exclusives);
    assert(this.pendingBytes === 0, 'pending bytes left after a failure');
  }
}
