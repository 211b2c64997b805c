// The listeners a process has registered per group, shared by both Coordinator implementations
// so that delivery behaves the same over Redis and in-process. A key's first listener and its
// last leaving are reported to the owner (Redis turns them into one SUBSCRIBE and one
// UNSUBSCRIBE per channel, however many listeners share it).
//
// Delivery is always on a later microtask: a listener never runs inside the stack of whoever
// notified (which may hold a half-updated view of the group), and a listener that throws fails
// loudly as an uncaught error instead of breaking the loop that delivers to the others.
import { type Unsubscribe } from './coordinator';

interface Watcher {
  readonly listener: () => void;
  active: boolean;
}

export interface WatcherHooks {
  /** The key got its first listener. */
  first(key: string): void;
  /** The key's last listener left. */
  last(key: string): void;
}

const NO_HOOKS: WatcherHooks = { first: () => undefined, last: () => undefined };

export class GroupWatchers {
  private readonly byKey = new Map<string, Set<Watcher>>();

  constructor(private readonly hooks: WatcherHooks = NO_HOOKS) {}

  add(key: string, listener: () => void): Unsubscribe {
    // One record per call, so the same function registered twice is two listeners, and each
    // Unsubscribe removes exactly its own.
    const watcher: Watcher = { listener, active: true };
    let set = this.byKey.get(key);
    const isFirst = set === undefined;
    if (set === undefined) this.byKey.set(key, (set = new Set()));
    set.add(watcher);
    if (isFirst) this.hooks.first(key);
    return () => this.remove(key, watcher);
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  keys(): string[] {
    return [...this.byKey.keys()];
  }

  /** Schedules every current listener of `key`; one that unsubscribes before its turn is skipped. */
  deliver(key: string): void {
    const set = this.byKey.get(key);
    if (set === undefined) return;
    for (const watcher of set) {
      queueMicrotask(() => {
        if (watcher.active) watcher.listener();
      });
    }
  }

  /** Drops every listener without reporting `last` (the owner is closing). */
  clear(): void {
    for (const set of this.byKey.values()) for (const watcher of set) watcher.active = false;
    this.byKey.clear();
  }

  private remove(key: string, watcher: Watcher): void {
    if (!watcher.active) return; // a second call of the same Unsubscribe
    watcher.active = false;
    const set = this.byKey.get(key);
    if (set === undefined || !set.delete(watcher)) return;
    if (set.size > 0) return;
    this.byKey.delete(key);
    this.hooks.last(key);
  }
}
