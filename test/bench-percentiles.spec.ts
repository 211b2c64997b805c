// The bench's latency arithmetic, with a fake clock: the fixed-size histogram's percentiles
// against exact ones, and the fixed-rate schedule measuring from the scheduled time, so that a
// stalled sender shows up as latency (no coordinated omission).
import { Histogram } from '../bench/common/histogram';
import { percentileOfSorted } from '../bench/common/stats';
import {
  type Clock,
  FixedRateSchedule,
  ScheduleLatency,
  sendOnSchedule,
} from '../bench/run/scheduler';
import { seededRandom, testSeed } from './support/random';

function fakeClock(): Clock & { t: number } {
  const clock = {
    t: 0,
    nowMs: () => clock.t,
    sleepMs: async (ms: number) => {
      clock.t += Math.max(ms, 0.001);
    },
  };
  return clock;
}

describe('Histogram', () => {
  it('gives percentiles within 1% of the exact ones', () => {
    const seed = testSeed();
    const random = seededRandom(seed);
    // Log-uniform from 10 µs to 30 ms: every magnitude the histogram splits into sub-buckets.
    const samples = Array.from({ length: 50_000 }, () => Math.exp(random() * 8) / 100);
    const h = new Histogram();
    samples.forEach((s) => h.recordMs(s));
    samples.sort((a, b) => a - b);
    for (const p of [50, 90, 99, 99.9, 100]) {
      const exact = percentileOfSorted(samples, p);
      // The bucket's top is reported (never an understatement); 1 µs is the resolution.
      const error = h.percentileMs(p) - exact;
      expect({ seed, p, ok: error >= -0.001 && error <= exact * 0.01 + 0.001 }).toEqual({
        seed,
        p,
        ok: true,
      });
    }
  });

  it('survives a snapshot and merges by adding counts', () => {
    const a = new Histogram();
    const b = new Histogram();
    [1, 2, 3].forEach((v) => a.recordMs(v));
    [100, 200].forEach((v) => b.recordMs(v));
    const merged = Histogram.fromSnapshot(a.snapshot());
    merged.merge(Histogram.fromSnapshot(JSON.parse(JSON.stringify(b.snapshot()))));
    expect(merged.count).toBe(5);
    expect(merged.percentileMs(50)).toBeCloseTo(3, 1);
    expect(merged.maxMs).toBe(200);
  });
});

describe('fixed-rate schedule', () => {
  it('counts a stalled sender as latency from the scheduled time', async () => {
    const clock = fakeClock();
    const schedule = new FixedRateSchedule(0, 1000, 10); // one every 1 ms
    const latency = new ScheduleLatency(schedule, clock);
    let inFlight = 0;
    const sent: number[] = [];
    const stats = await sendOnSchedule(
      schedule,
      (seq) => {
        sent.push(seq);
        if (seq === 4) clock.t += 5; // a 5 ms stall right after sending #4
        latency.receive(seq); // delivered the moment it is sent
      },
      () => inFlight,
      1,
      clock,
    );
    inFlight = 0;
    expect(sent).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(stats.sendLagMsMax).toBeGreaterThanOrEqual(4);
    // #5 was due at 5 ms but went out at ~9 ms: its latency shows the stall.
    expect(latency.histogram.percentileMs(100)).toBeGreaterThanOrEqual(4);
    expect(latency.complete).toBe(true);
  });

  it('records what never arrived as arriving when the run gave up', () => {
    const clock = fakeClock();
    const schedule = new FixedRateSchedule(0, 100, 3);
    const latency = new ScheduleLatency(schedule, clock);
    latency.receive(0);
    clock.t = 1000;
    expect(latency.recordMissingAsNow()).toBe(2);
    expect(latency.histogram.count).toBe(3);
    expect(latency.histogram.percentileMs(100)).toBeGreaterThanOrEqual(980);
  });
});
