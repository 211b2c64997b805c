// Parked waiters for long-polls (fetch, group poll, live streams): a waiter watches one or more
// partitions and is woken by the first high-watermark move on any of them, or by its deadline.
// Appends wake waiters directly (no polling loop); the only timer is the waiter's deadline.
// The number of parked waiters is bounded.
import { assert, BrokerError } from '@tributary/common';

export type WakeReason = 'data' | 'timeout' | 'aborted';

interface Waiter {
  keys: readonly string[];
  resolve: (reason: WakeReason) => void;
  timer: NodeJS.Timeout | undefined;
  onAbort: (() => void) | undefined;
  signal: AbortSignal | undefined;
}

export class WaitSet {
  private readonly byKey = new Map<string, Set<Waiter>>();
  private parked = 0;
  private parkWatchers: { count: number; resolve: () => void }[] = [];

  constructor(readonly maxParked: number) {
    assert(maxParked > 0, 'a wait set needs room for one waiter');
  }

  get parkedCount(): number {
    return this.parked;
  }

  /** Parks until `notify` on one of `keys`, `timeoutMs` passes, or `signal` aborts. */
  wait(keys: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<WakeReason> {
    assert(keys.length > 0, 'a waiter watches at least one partition');
    if (signal?.aborted) return Promise.resolve('aborted');
    if (this.parked >= this.maxParked) {
      throw new BrokerError(
        'BACKPRESSURE',
        `${this.parked} long-polls are already waiting; retry shortly`,
      );
    }
    return new Promise<WakeReason>((resolve) => {
      const waiter: Waiter = { keys, resolve, timer: undefined, onAbort: undefined, signal };
      waiter.resolve = (reason) => {
        this.remove(waiter);
        resolve(reason);
      };
      waiter.timer = setTimeout(() => waiter.resolve('timeout'), timeoutMs);
      if (signal !== undefined) {
        waiter.onAbort = () => waiter.resolve('aborted');
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      for (const key of keys) {
        let set = this.byKey.get(key);
        if (set === undefined) this.byKey.set(key, (set = new Set()));
        set.add(waiter);
      }
      this.parked += 1;
      this.checkParkWatchers();
    });
  }

  /** Resolves once at least `count` waiters are parked (lets tests wait for the event). */
  whenParked(count: number): Promise<void> {
    if (this.parked >= count) return Promise.resolve();
    return new Promise((resolve) => this.parkWatchers.push({ count, resolve }));
  }

  private checkParkWatchers(): void {
    if (this.parkWatchers.length === 0) return;
    const ready = this.parkWatchers.filter((w) => this.parked >= w.count);
    this.parkWatchers = this.parkWatchers.filter((w) => this.parked < w.count);
    for (const watcher of ready) watcher.resolve();
  }

  /** Wakes every waiter watching `key`. */
  notify(key: string): void {
    const set = this.byKey.get(key);
    if (set === undefined) return;
    for (const waiter of [...set]) waiter.resolve('data');
  }

  private remove(waiter: Waiter): void {
    let removed = false;
    for (const key of waiter.keys) {
      const set = this.byKey.get(key);
      if (set?.delete(waiter)) removed = true;
      if (set?.size === 0) this.byKey.delete(key);
    }
    if (!removed) return;
    this.parked -= 1;
    clearTimeout(waiter.timer);
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
  }
}
