// Closed-loop load: `concurrency` loops, each making one call (a request, a batch of publishes,
// a pipeline) and waiting for its answer before the next, until a deadline or a record budget.
// Every HTTP, NATS and Redis load generator of the benches runs on this one loop, so that they
// all count records, errors and per-call latency the same way.
import { assert } from '@tributary/common';
import { Histogram, type HistogramSnapshot } from './histogram';

export interface CallOutcome {
  /** Records the server acknowledged. */
  records: number;
  /** Records or calls it refused. */
  errors: number;
}

export interface LoopLimits {
  durationMs: number;
  /** Stop starting calls once this many records were started (a preload); default none. */
  recordsMax?: number;
  /** Records one call carries, counted against recordsMax. */
  recordsPerCall: number;
}

export interface LoopResult extends CallOutcome {
  calls: number;
  seconds: number;
  /** Per call, start to answer; fixed-size whatever the call count. */
  latency: HistogramSnapshot;
}

export async function closedLoops(
  concurrency: number,
  limits: LoopLimits,
  call: (loop: number) => Promise<CallOutcome>,
): Promise<LoopResult> {
  assert(concurrency > 0 && limits.recordsPerCall > 0, 'bad closed-loop shape');
  const latency = new Histogram();
  const startedMs = performance.now();
  const deadlineMs = startedMs + limits.durationMs;
  const recordsMax = limits.recordsMax ?? Infinity;
  let started = 0;
  let records = 0;
  let errors = 0;
  let calls = 0;
  const loop = async (index: number) => {
    while (performance.now() < deadlineMs && started < recordsMax) {
      started += limits.recordsPerCall;
      const callStartedMs = performance.now();
      try {
        const outcome = await call(index);
        latency.recordMs(performance.now() - callStartedMs);
        records += outcome.records;
        errors += outcome.errors;
      } catch {
        errors += 1;
      }
      calls += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, i) => loop(i)));
  return {
    records,
    errors,
    calls,
    seconds: (performance.now() - startedMs) / 1000,
    latency: latency.snapshot(),
  };
}
