// Load shedding: a bound on the work in flight on this node, adapted to how far behind the event
// loop runs, and shared fairly between the tenants that are sending. A request past the bound
// is answered at once (429 QUOTA_EXCEEDED for a tenant over its share, 503 UNAVAILABLE when the
// node is full; both with Retry-After) instead of queueing behind thousands of others.
//
// Work is a tenant's request that is being served; long-polls are not work while they wait
// (parked waiters have their own bound), nor are operator and service routes, which must answer
// under overload. The limit moves like TCP's window: when the event loop's mean delay over a
// sample passes the target (the loop has more queued than it can run: every request waits that
// long before its turn), it shrinks by a quarter; while work presses on it and the loop keeps
// up, it grows by a tenth, up to the ceiling.
//
// Fairness: a tenant may take the whole limit while it is alone, but once the node is half full
// a tenant at or above its share (limit / tenants sending in the last second) is refused, so
// one tenant's flood leaves the others their share, whatever its rate.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { assert, BrokerError, LIMITS } from '@tributary/common';

export interface LoadShedderLimits {
  /** Ceiling, and starting value, of the work limit. */
  workInFlightMax: number;
  /** Floor of the work limit. */
  workInFlightMin: number;
  /** Mean event-loop delay above which the limit shrinks. */
  loopDelayTargetMs: number;
  sampleIntervalMs: number;
  /** A tenant counts as sending for this long after its last request. */
  tenantActiveMs: number;
}

export const LOAD_SHEDDER_LIMITS: LoadShedderLimits = {
  workInFlightMax: LIMITS.workInFlightMax,
  workInFlightMin: 16,
  loopDelayTargetMs: 50,
  sampleIntervalMs: 100,
  tenantActiveMs: 1_000,
};

const DECREASE = 0.75;
const INCREASE = 0.1;

interface TenantLoad {
  inFlight: number;
  lastSeenMs: number;
}

export class LoadShedder {
  private readonly limits: LoadShedderLimits;
  private limit: number;
  private total = 0;
  private readonly tenants = new Map<string, TenantLoad>();
  /** Tenants sending (in the last tenantActiveMs): counted by each sample, not per request. */
  private active = 0;
  private readonly delay: IntervalHistogram;
  private readonly timer: NodeJS.Timeout;
  private shedCount = 0;

  constructor(limits: Partial<LoadShedderLimits> = {}) {
    this.limits = { ...LOAD_SHEDDER_LIMITS, ...limits };
    assert(
      this.limits.workInFlightMin > 0 && this.limits.workInFlightMin <= this.limits.workInFlightMax,
      'bad load-shedder limits',
    );
    this.limit = this.limits.workInFlightMax;
    this.delay = monitorEventLoopDelay({ resolution: 10 });
    this.delay.enable();
    this.timer = setInterval(() => this.sample(), this.limits.sampleIntervalMs);
    this.timer.unref();
  }

  /** The current work limit (for metrics and tests). */
  get workLimit(): number {
    return this.limit;
  }

  get workInFlight(): number {
    return this.total;
  }

  /** Requests refused so far. */
  get shed(): number {
    return this.shedCount;
  }

  /**
   * Admits a tenant's request or throws the answer to give it. The returned function releases
   * the slot; call it once, when the request is answered.
   */
  admit(tenantId: string): () => void {
    const nowMs = performance.now();
    let load = this.tenants.get(tenantId);
    if (load === undefined)
      this.tenants.set(tenantId, (load = { inFlight: 0, lastSeenMs: -Infinity }));
    // A tenant starting to send counts at once; the sample recounts exactly.
    if (!this.isActive(load, nowMs)) this.active += 1;
    load.lastSeenMs = nowMs;
    const share = Math.max(1, Math.floor(this.limit / Math.max(1, this.active)));
    // Alone, a tenant's share is the node: what stops it then is the node being full.
    const overShare = load.inFlight >= share && this.active > 1;
    if (this.total >= this.limit || (overShare && this.total >= this.limit / 2)) {
      this.shedCount++;
      throw overShare ? overTenantShare(share) : nodeFull();
    }
    load.inFlight++;
    this.total++;
    const admitted = load;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      admitted.inFlight--;
      this.total--;
    };
  }

  private isActive(load: TenantLoad, nowMs: number): boolean {
    return load.inFlight > 0 || nowMs - load.lastSeenMs <= this.limits.tenantActiveMs;
  }

  private sample(): void {
    const meanDelayMs = this.delay.mean / 1e6;
    this.delay.reset();
    const { workInFlightMin, workInFlightMax, loopDelayTargetMs } = this.limits;
    if (meanDelayMs > loopDelayTargetMs) {
      this.limit = Math.max(workInFlightMin, Math.floor(this.limit * DECREASE));
    } else if (this.total >= this.limit * 0.8) {
      this.limit = Math.min(
        workInFlightMax,
        this.limit + Math.max(1, Math.floor(this.limit * INCREASE)),
      );
    }
    const nowMs = performance.now();
    let active = 0;
    for (const [tenantId, load] of this.tenants) {
      if (this.isActive(load, nowMs)) active += 1;
      else this.tenants.delete(tenantId);
    }
    this.active = active;
  }

  close(): void {
    clearInterval(this.timer);
    this.delay.disable();
  }
}

const RETRY_AFTER_SECONDS = 1;

function nodeFull(): BrokerError {
  return new BrokerError(
    'UNAVAILABLE',
    'this node has more work in flight than it can serve now; retry',
    {
      extra: { retryAfterSeconds: RETRY_AFTER_SECONDS },
    },
  );
}

function overTenantShare(share: number): BrokerError {
  return new BrokerError(
    'QUOTA_EXCEEDED',
    `this tenant has ${share} requests in flight, its share of this node under load; retry`,
    { extra: { retryAfterSeconds: RETRY_AFTER_SECONDS } },
  );
}
