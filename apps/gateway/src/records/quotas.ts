// Per-tenant byte-rate quotas (produce and fetch), enforced the way Kafka does: a bucket
// holding up to one second of the rate is charged after the fact and may go into debt, so one
// large request is allowed, and the next ones wait until the debt is paid (429 with
// Retry-After). The rate is the tenant's across the cluster: every USAGE_SYNC_MS each node adds
// what it charged to a shared counter per tenant, direction and second, and charges its own
// bucket with what the other nodes added in this second and the last. Count and storage quotas are checked against
// current usage.
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { BrokerError, type Clock } from '@tributary/common';
import { type Coordinator } from '@tributary/coordination';
import { MetadataCache, type Tenant } from '@tributary/metadata';
import { CLOCK, COORDINATOR, TOPIC_HOSTING, type TopicHosting } from '../node-services';

export function quotaExceeded(detail: string, retryAfterSeconds: number): BrokerError {
  return new BrokerError('QUOTA_EXCEEDED', detail, {
    extra: { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)) },
  });
}

class ByteRateBucket {
  private tokens: number;
  private refilledAtMs: number;

  constructor(
    private ratePerSec: number,
    nowMs: number,
  ) {
    this.tokens = ratePerSec;
    this.refilledAtMs = nowMs;
  }

  /** Seconds until the bucket is out of debt, or 0 when a request may go ahead now. */
  waitSeconds(ratePerSec: number, nowMs: number): number {
    this.refill(ratePerSec, nowMs);
    return this.tokens > 0 ? 0 : -this.tokens / this.ratePerSec + 1 / 1000;
  }

  charge(bytes: number, ratePerSec: number, nowMs: number): void {
    this.refill(ratePerSec, nowMs);
    this.tokens -= bytes;
  }

  private refill(ratePerSec: number, nowMs: number): void {
    this.ratePerSec = Math.max(1, ratePerSec);
    const elapsedMs = Math.max(0, nowMs - this.refilledAtMs);
    this.tokens = Math.min(this.ratePerSec, this.tokens + (elapsedMs * this.ratePerSec) / 1000);
    this.refilledAtMs = nowMs;
  }
}

type Direction = 'produce' | 'fetch';

/** How often a node shares what it charged, and learns what the others did. */
export const USAGE_SYNC_MS = 200;
/**
 * Usage is shared per second (a counter per tenant, direction and second): the bucket holds a
 * second of the rate, so what the other nodes charged in this second and the last is what
 * matters, also to a node that has just begun to serve the tenant.
 */
const WINDOW_MS = 1_000;
const WINDOW_TTL_MS = 5_000;

interface Shared {
  tenantId: string;
  direction: Direction;
  /** Charged here since the last sync. */
  pending: number;
  /** Per window (second): what this node added, and the others' bytes already charged here. */
  windows: Map<number, { mine: number; othersCharged: number }>;
  /** When the tenant last called this node (wall-clock ms). */
  lastCallMs: number;
}

@Injectable()
export class QuotaService implements OnModuleDestroy {
  private readonly buckets = new Map<string, ByteRateBucket>();
  private readonly shared = new Map<string, Shared>();
  private readonly timer: NodeJS.Timeout;
  private syncing = false;

  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(COORDINATOR) private readonly coordinator: Coordinator,
    @Inject(TOPIC_HOSTING) private readonly hosting: TopicHosting,
    private readonly cache: MetadataCache,
  ) {
    this.timer = setInterval(() => void this.sync(), USAGE_SYNC_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Adds what this node charged to this second's counter; charges what the others added. */
  private async sync(): Promise<void> {
    if (this.syncing || this.shared.size === 0) return;
    this.syncing = true;
    try {
      const window = Math.floor(this.clock.nowMs() / WINDOW_MS);
      for (const [key, entry] of this.shared) {
        const tenant = this.cache.tenant(entry.tenantId);
        const rate = tenant === undefined ? undefined : this.rate(tenant, entry.direction);
        // The tenant or its quota is gone, or the tenant has not called here for two windows
        // (when it does again, what the others spent in the last two is charged then).
        const idle = entry.pending === 0 && this.clock.nowMs() - entry.lastCallMs > 2 * WINDOW_MS;
        if (tenant === undefined || rate === undefined || idle) {
          this.shared.delete(key);
          continue;
        }
        await this.syncEntry(entry, window, tenant, rate).catch(() => undefined);
      }
    } finally {
      this.syncing = false;
    }
  }

  private async syncEntry(
    entry: Shared,
    window: number,
    tenant: Tenant,
    rate: number,
  ): Promise<void> {
    const delta = entry.pending;
    entry.pending = 0;
    const name = (w: number) => `${entry.tenantId}:${entry.direction}:${w}`;
    const { coordinator } = this;
    let totals: [number, number];
    try {
      totals = await Promise.all([
        coordinator.addUsage(name(window - 1), 0, WINDOW_TTL_MS),
        coordinator.addUsage(name(window), delta, WINDOW_TTL_MS),
      ]);
    } catch (error) {
      entry.pending += delta; // shared next time
      throw error;
    }
    const current = entry.windows.get(window) ?? { mine: 0, othersCharged: 0 };
    current.mine += delta;
    entry.windows.set(window, current);
    let others = 0;
    for (const [w, total] of [
      [window - 1, totals[0]],
      [window, totals[1]],
    ] as const) {
      const seen = entry.windows.get(w) ?? { mine: 0, othersCharged: 0 };
      const fresh = Math.max(0, total - seen.mine - seen.othersCharged);
      seen.othersCharged += fresh;
      entry.windows.set(w, seen);
      others += fresh;
    }
    for (const w of entry.windows.keys()) if (w < window - 1) entry.windows.delete(w);
    if (others > 0) {
      this.bucket(tenant, entry.direction, rate).charge(others, rate, this.clock.monotonicMs());
    }
  }

  /** Throws QUOTA_EXCEEDED while the tenant is over its byte rate in that direction. */
  check(tenant: Tenant, direction: Direction): void {
    const rate = this.rate(tenant, direction);
    if (rate === undefined) return;
    this.track(tenant, direction);
    const wait = this.bucket(tenant, direction, rate).waitSeconds(rate, this.clock.monotonicMs());
    if (wait > 0) {
      throw quotaExceeded(
        `${direction} quota of ${rate} bytes/s exceeded; retry after ${Math.ceil(wait)} s`,
        wait,
      );
    }
  }

  charge(tenant: Tenant, direction: Direction, bytes: number): void {
    const rate = this.rate(tenant, direction);
    if (rate === undefined) return;
    this.bucket(tenant, direction, rate).charge(bytes, rate, this.clock.monotonicMs());
    this.track(tenant, direction).pending += bytes;
  }

  /** The tenant's shared usage, followed from its first request here on. */
  private track(tenant: Tenant, direction: Direction): Shared {
    const key = `${tenant.id}:${direction}`;
    let entry = this.shared.get(key);
    if (entry === undefined) {
      entry = { tenantId: tenant.id, direction, pending: 0, windows: new Map(), lastCallMs: 0 };
      this.shared.set(key, entry);
    }
    entry.lastCallMs = this.clock.nowMs();
    return entry;
  }

  /** Throws QUOTA_EXCEEDED when the tenant's logs already hold its storage quota. */
  checkStorage(tenant: Tenant): void {
    const max = tenant.quotas.maxStorageBytes;
    if (max === undefined) return;
    const used = this.hosting.tenantStorageBytes(tenant.id);
    if (used >= max) {
      throw quotaExceeded(
        `storage quota of ${max} bytes reached (${used} used); delete records or raise the quota`,
        60,
      );
    }
  }

  private rate(tenant: Tenant, direction: Direction): number | undefined {
    return direction === 'produce'
      ? tenant.quotas.produceBytesPerSec
      : tenant.quotas.fetchBytesPerSec;
  }

  private bucket(tenant: Tenant, direction: Direction, rate: number): ByteRateBucket {
    const key = `${tenant.id}:${direction}`;
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = new ByteRateBucket(rate, this.clock.monotonicMs());
      this.buckets.set(key, bucket);
    }
    return bucket;
  }
}
