// Per-tenant byte-rate quotas (produce and fetch), enforced on this node the way Kafka does:
// a bucket holding up to one second of the rate is charged after the fact and may go into
// debt, so one large request is allowed, and the next ones wait until the debt is paid
// (429 with Retry-After). Count and storage quotas are checked against current usage.
import { Inject, Injectable } from '@nestjs/common';
import { BrokerError, type Clock } from '@tributary/common';
import { type Tenant } from '@tributary/metadata';
import { GATEWAY_CONTEXT, type GatewayContext } from '../gateway-context';

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

@Injectable()
export class QuotaService {
  private readonly buckets = new Map<string, ByteRateBucket>();
  private readonly clock: Clock;

  constructor(@Inject(GATEWAY_CONTEXT) private readonly ctx: GatewayContext) {
    this.clock = ctx.clock;
  }

  /** Throws QUOTA_EXCEEDED while the tenant is over its byte rate in that direction. */
  check(tenant: Tenant, direction: Direction): void {
    const rate = this.rate(tenant, direction);
    if (rate === undefined) return;
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
  }

  /** Throws QUOTA_EXCEEDED when the tenant's logs already hold its storage quota. */
  checkStorage(tenant: Tenant): void {
    const max = tenant.quotas.maxStorageBytes;
    if (max === undefined) return;
    const used = this.ctx.hosting.tenantStorageBytes(tenant.id);
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
