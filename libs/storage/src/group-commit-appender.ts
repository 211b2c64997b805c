// Group commit: appends that arrive while the log is busy, or within the same event-loop turn,
// are written together with one writev and, for `fsync` durability, covered by one fdatasync.
// Writes are strictly serial, in arrival order, so file order is offset order. Other
// operations that change the files (roll, truncate, retention, close) run through the same
// queue as "exclusive" steps between two groups.
import { assert, BrokerError } from '@tributary/common';

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

export interface GroupCommitLimits {
  /** Bytes queued but not yet written; past it, appends fail with BACKPRESSURE. */
  pendingBytesMax: number;
  /** Bytes one group may hold. */
  groupBytesMax: number;
}

export class GroupCommitAppender<T> {
  private readonly queue: (PendingWrite<T> | PendingExclusive)[] = [];
  private pendingBytes = 0;
  private running = false;
  private scheduled = false;
  private failure: Error | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly writeGroup: (items: T[]) => Promise<void>,
    private readonly limits: GroupCommitLimits,
  ) {
    assert(limits.groupBytesMax > 0 && limits.pendingBytesMax > 0, 'bad group commit limits');
  }

  get pendingByteCount(): number {
    return this.pendingBytes;
  }

  /** Checks, synchronously, that an append of `bytes` may be queued now. */
  checkCapacity(bytes: number): void {
    if (this.failure !== undefined) {
      throw new BrokerError(
        'STORAGE_ERROR',
        `log is offline after a write failure: ${this.failure.message}`,
        {
          cause: this.failure,
        },
      );
    }
    if (this.pendingBytes > 0 && this.pendingBytes + bytes > this.limits.pendingBytesMax) {
      throw new BrokerError(
        'BACKPRESSURE',
        `${this.pendingBytes} bytes of appends are pending (limit ${this.limits.pendingBytesMax}); retry shortly`,
      );
    }
  }

  /** Queues `item`; resolves once its group is written (and synced, if the sink syncs). */
  enqueue(item: T, bytes: number): Promise<void> {
    this.checkCapacity(bytes);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ kind: 'write', item, bytes, resolve, reject });
      this.pendingBytes += bytes;
      this.schedule();
    });
  }

  /** Runs `fn` alone, after every write queued before it and before any queued after it. */
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

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    // setImmediate, not nextTick: appends from every request handled in this turn join.
    setImmediate(() => {
      this.scheduled = false;
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const head = this.queue[0]!;
        if (head.kind === 'exclusive') {
          this.queue.shift();
          await head.run();
          continue;
        }
        await this.writeNextGroup();
      }
    } finally {
      this.running = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  private async writeNextGroup(): Promise<void> {
    const group: PendingWrite<T>[] = [];
    let groupBytes = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (next.kind !== 'write') break;
      if (group.length > 0 && groupBytes + next.bytes > this.limits.groupBytesMax) break;
      this.queue.shift();
      group.push(next);
      groupBytes += next.bytes;
    }
    try {
      if (this.failure !== undefined) throw this.failure;
      await this.writeGroup(group.map((w) => w.item));
      for (const w of group) w.resolve();
    } catch (error) {
      // A failed write leaves the file tail unknown: fail this group and everything after it.
      // Recovery on the next open truncates whatever partial bytes reached the disk.
      this.failure ??= error instanceof Error ? error : new Error(String(error));
      const wrapped = new BrokerError('STORAGE_ERROR', `append failed: ${this.failure.message}`, {
        cause: error,
      });
      for (const w of group) w.reject(wrapped);
      for (const w of this.queue.splice(0)) {
        if (w.kind === 'write') {
          this.pendingBytes -= w.bytes;
          w.reject(wrapped);
        } else await w.run();
      }
    } finally {
      this.pendingBytes -= groupBytes;
    }
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }
}
