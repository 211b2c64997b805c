// Statistics over repeated runs: medians with their spread, and nearest-rank percentiles.
// Shared by every bench runner (bench/storage, bench/http, bench/run).
import { assert } from '@tributary/common';

export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** Median, min and max of the per-run values (an odd count keeps the median a real run). */
export function spread(values: readonly number[]): Spread {
  assert(values.length > 0, 'no values to summarize');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

/** Nearest-rank percentile of samples already sorted ascending; p in [0, 100]. */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  assert(sorted.length > 0, 'no samples');
  assert(p >= 0 && p <= 100, 'percentile out of range');
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** Nearest-rank percentile of `samples` (sorted in place); p in [0, 100]. */
export function percentile(samples: Float64Array, p: number): number {
  samples.sort();
  return percentileOfSorted(samples, p);
}
