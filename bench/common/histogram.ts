// A latency histogram of fixed size, whatever the number of samples: a load generator may run
// for minutes at 50,000 records/s without its memory growing. The layout is HdrHistogram's,
// simplified: values in whole microseconds; below 2^SUB_BITS each value has its own bucket,
// above it every power of two is split into 2^SUB_BITS linear sub-buckets, so a percentile is
// off by less than 1/2^SUB_BITS (0.8%) of its value. Histograms of several runs or processes
// merge by adding counts; a snapshot (sparse, JSON) carries one across a process boundary.
import { assert } from '@tributary/common';

const SUB_BITS = 7;
const SUB = 1 << SUB_BITS;
/** Largest value kept apart: 2^32 - 1 µs (71 minutes); anything above is counted there. */
const VALUE_US_MAX = 2 ** 32 - 1;
const BUCKETS = (32 - SUB_BITS + 1) * SUB;

export interface HistogramSnapshot {
  count: number;
  minUs: number;
  maxUs: number;
  sumUs: number;
  /** [bucket index, count] of the non-empty buckets. */
  buckets: [number, number][];
}

function indexOf(valueUs: number): number {
  if (valueUs < SUB) return valueUs;
  const magnitude = 31 - Math.clz32(valueUs);
  const shift = magnitude - SUB_BITS;
  return (shift + 1) * SUB + ((valueUs >>> shift) - SUB);
}

/** The largest value that lands in bucket `index` (a percentile never understates). */
function highestOf(index: number): number {
  if (index < SUB) return index;
  const shift = Math.floor(index / SUB) - 1;
  const sub = (index % SUB) + SUB;
  return (sub + 1) * 2 ** shift - 1;
}

export class Histogram {
  private readonly counts = new Float64Array(BUCKETS);
  private total = 0;
  private minUs = Infinity;
  private maxUs = 0;
  private sumUs = 0;

  get count(): number {
    return this.total;
  }

  recordMs(latencyMs: number): void {
    assert(Number.isFinite(latencyMs), 'latency is not a number');
    // A sample a hair below zero is clock jitter between the schedule and the receive time.
    const us = Math.min(VALUE_US_MAX, Math.max(0, Math.round(latencyMs * 1000)));
    this.counts[indexOf(us)]! += 1;
    this.total += 1;
    this.sumUs += us;
    if (us < this.minUs) this.minUs = us;
    if (us > this.maxUs) this.maxUs = us;
  }

  /** Nearest-rank percentile in ms (the top of its bucket, capped at the largest sample). */
  percentileMs(p: number): number {
    assert(this.total > 0, 'no samples');
    assert(p >= 0 && p <= 100, 'percentile out of range');
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(highestOf(i), this.maxUs) / 1000;
    }
    return this.maxUs / 1000;
  }

  get maxMs(): number {
    return this.maxUs / 1000;
  }

  get meanMs(): number {
    return this.total === 0 ? NaN : this.sumUs / this.total / 1000;
  }

  merge(other: Histogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
    this.sumUs += other.sumUs;
    this.minUs = Math.min(this.minUs, other.minUs);
    this.maxUs = Math.max(this.maxUs, other.maxUs);
  }

  snapshot(): HistogramSnapshot {
    const buckets: [number, number][] = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]! > 0) buckets.push([i, this.counts[i]!]);
    return {
      count: this.total,
      minUs: this.total === 0 ? 0 : this.minUs,
      maxUs: this.maxUs,
      sumUs: this.sumUs,
      buckets,
    };
  }

  static fromSnapshot(snapshot: HistogramSnapshot): Histogram {
    const h = new Histogram();
    for (const [index, count] of snapshot.buckets) {
      assert(Number.isInteger(index) && index >= 0 && index < BUCKETS, 'bad histogram bucket');
      h.counts[index] = count;
    }
    h.total = snapshot.count;
    h.minUs = snapshot.count === 0 ? Infinity : snapshot.minUs;
    h.maxUs = snapshot.maxUs;
    h.sumUs = snapshot.sumUs;
    assert(
      snapshot.buckets.reduce((sum, [, c]) => sum + c, 0) === snapshot.count,
      'histogram counts do not add up',
    );
    return h;
  }
}
