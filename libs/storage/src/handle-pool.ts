// A bounded pool of open files shared by every segment of a LogManager. Files are opened on
// demand and closed least-recently-used first, so the number of open descriptors stays under
// the bound however many segments exist. A handle in use (leased) is never closed under its
// user; when every handle is leased, a new open fails with a retriable error rather than
// exceeding the bound.
import { assert, BrokerError } from '@tributary/common';
import { type FileHandle, type FileSystem } from './file-system';

interface PoolEntry {
  opening: Promise<FileHandle>;
  leases: number;
  /** Set when the file was forgotten while leased: close when the last lease ends. */
  closeWhenIdle: boolean;
}

export interface HandleLease {
  readonly handle: FileHandle;
  release(): void;
}

export class HandlePool {
  // Map iteration order is insertion order: re-inserting on use keeps it least-recent first.
  private readonly entries = new Map<string, PoolEntry>();
  private closing: Promise<void>[] = [];

  constructor(
    private readonly fs: FileSystem,
    readonly maxOpen: number,
  ) {
    assert(maxOpen >= 1, 'the handle pool needs room for one file');
  }

  get openCount(): number {
    return this.entries.size;
  }

  async acquire(path: string): Promise<HandleLease> {
    let entry = this.entries.get(path);
    if (entry === undefined) {
      if (this.entries.size >= this.maxOpen) this.evictOne();
      entry = { opening: this.fs.open(path), leases: 0, closeWhenIdle: false };
      this.entries.set(path, entry);
      const opened = entry;
      opened.opening.catch(() => {
        if (this.entries.get(path) === opened) this.entries.delete(path);
      });
    } else {
      this.entries.delete(path);
      this.entries.set(path, entry);
    }
    entry.leases += 1;
    let handle: FileHandle;
    try {
      handle = await entry.opening;
    } catch (error) {
      entry.leases -= 1;
      throw error;
    }
    const leased = entry;
    let released = false;
    return {
      handle,
      release: () => {
        assert(!released, 'a handle lease was released twice');
        released = true;
        leased.leases -= 1;
        if (leased.leases === 0 && leased.closeWhenIdle) this.close(leased);
      },
    };
  }

  /** Runs `fn` with the file open, releasing it afterwards. */
  async with<T>(path: string, fn: (handle: FileHandle) => Promise<T>): Promise<T> {
    const lease = await this.acquire(path);
    try {
      return await fn(lease.handle);
    } finally {
      lease.release();
    }
  }

  /** Closes the file (now, or when its last lease ends); used before deleting or renaming. */
  forget(path: string): void {
    const entry = this.entries.get(path);
    if (entry === undefined) return;
    this.entries.delete(path);
    if (entry.leases === 0) this.close(entry);
    else entry.closeWhenIdle = true;
  }

  async closeAll(): Promise<void> {
    for (const path of [...this.entries.keys()]) this.forget(path);
    const closing = this.closing;
    this.closing = [];
    await Promise.allSettled(closing);
  }

  private evictOne(): void {
    for (const [path, entry] of this.entries) {
      if (entry.leases === 0) {
        this.entries.delete(path);
        this.close(entry);
        return;
      }
    }
    throw new BrokerError(
      'BACKPRESSURE',
      `all ${this.maxOpen} pooled file handles are in use; retry shortly`,
    );
  }

  private close(entry: PoolEntry): void {
    const closed = entry.opening.then(
      (handle) => handle.close(),
      () => undefined,
    );
    this.closing.push(closed);
    if (this.closing.length > 64) this.closing = this.closing.slice(-64);
  }
}
