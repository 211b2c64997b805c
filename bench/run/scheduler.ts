// Fixed-rate sending for end-to-end latency, free of coordinated omission: message `seq` is due
// at start + seq / rate, whatever happened before it, and its latency is measured from that
// scheduled time — not from when it was actually sent. A sender that falls behind (a stalled
// server, back-pressure, a GC pause, the timer's 1 ms granularity) therefore shows up in the
// latencies, instead of quietly sending fewer messages while the slow ones go unrecorded.
import { assert } from '@tributary/common';
import { Histogram } from '../common/histogram';

export interface Clock {
  nowMs(): number;
  sleepMs(ms: number): Promise<void>;
}

export const REAL_CLOCK: Clock = {
  nowMs: () => performance.now(),
  sleepMs: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export class FixedRateSchedule {
  readonly intervalMs: number;

  constructor(
    readonly startMs: number,
    readonly ratePerSec: number,
    /** Messages in the whole run. */
    readonly count: number,
  ) {
    assert(ratePerSec > 0 && Number.isFinite(ratePerSec), 'bad rate');
    assert(Number.isSafeInteger(count) && count > 0, 'bad message count');
    this.intervalMs = 1000 / ratePerSec;
  }

  static forDuration(startMs: number, ratePerSec: number, durationMs: number): FixedRateSchedule {
    return new FixedRateSchedule(
      startMs,
      ratePerSec,
      Math.max(1, Math.round((ratePerSec * durationMs) / 1000)),
    );
  }

  scheduledAtMs(seq: number): number {
    return this.startMs + seq * this.intervalMs;
  }

  /** How many messages are due by `nowMs` (seq 0 is due at the start). */
  dueBy(nowMs: number): number {
    if (nowMs < this.startMs) return 0;
    return Math.min(this.count, Math.floor((nowMs - this.startMs) / this.intervalMs) + 1);
  }
}

export interface SendStats {
  sent: number;
  /** Largest delay between a message's scheduled time and its send. */
  sendLagMsMax: number;
}

/**
 * Sends every message of `schedule` at (or, when behind, as soon as possible after) its time.
 * `inFlight()` counts sends not yet acknowledged; at `inFlightMax` the sender waits, which keeps
 * memory bounded and is recorded as latency by the receiver.
 */
export async function sendOnSchedule(
  schedule: FixedRateSchedule,
  send: (seq: number) => void,
  inFlight: () => number,
  inFlightMax: number,
  clock: Clock = REAL_CLOCK,
): Promise<SendStats> {
  assert(inFlightMax > 0, 'inFlightMax must be positive');
  let next = 0;
  let sendLagMsMax = 0;
  while (next < schedule.count) {
    const now = clock.nowMs();
    const due = schedule.dueBy(now);
    while (next < due && inFlight() < inFlightMax) {
      sendLagMsMax = Math.max(sendLagMsMax, now - schedule.scheduledAtMs(next));
      send(next++);
    }
    if (next >= schedule.count) break;
    // Behind (window full): look again shortly. On time: sleep until the next one is due.
    const waitMs = next < due ? 1 : schedule.scheduledAtMs(next) - clock.nowMs();
    await clock.sleepMs(Math.max(0, waitMs));
  }
  assert(next === schedule.count, 'the sender stopped early');
  return { sent: next, sendLagMsMax };
}

/**
 * The receiving side: one latency sample per distinct sequence number, from its scheduled time
 * to its arrival. Memory is one byte per scheduled message plus a fixed-size histogram.
 */
export class ScheduleLatency {
  readonly histogram = new Histogram();
  private readonly seen: Uint8Array;
  private distinct = 0;
  private onComplete: (() => void) | undefined;
  duplicates = 0;

  constructor(
    private readonly schedule: FixedRateSchedule,
    private readonly clock: Clock = REAL_CLOCK,
  ) {
    this.seen = new Uint8Array(schedule.count);
  }

  get received(): number {
    return this.distinct;
  }

  get complete(): boolean {
    return this.distinct === this.schedule.count;
  }

  /** Resolves once every scheduled message arrived, or after `ms`, whichever comes first. */
  completeWithin(ms: number): Promise<void> {
    if (this.complete) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.onComplete = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** `sentAtMs`: the scheduled send time the record carries (the schedule's, when it has none). */
  receive(seq: number, sentAtMs = this.schedule.scheduledAtMs(seq)): void {
    assert(Number.isInteger(seq) && seq >= 0 && seq < this.schedule.count, () => `bad seq ${seq}`);
    if (this.seen[seq] === 1) {
      this.duplicates += 1;
      return;
    }
    this.seen[seq] = 1;
    this.distinct += 1;
    this.histogram.recordMs(this.clock.nowMs() - sentAtMs);
    if (this.complete) this.onComplete?.();
  }

  /** A payload made by sequencedPayload: latency from the send time it carries, if any. */
  receiveRecord(payload: Uint8Array): void {
    this.receive(sequenceOf(payload), sentAtOf(payload));
  }

  /**
   * Counts messages that never arrived as arriving now (at least this late), so that a loss
   * cannot make the percentiles look better; returns how many there were.
   */
  recordMissingAsNow(): number {
    const now = this.clock.nowMs();
    let missing = 0;
    for (let seq = 0; seq < this.schedule.count; seq++) {
      if (this.seen[seq] === 1) continue;
      missing += 1;
      this.histogram.recordMs(now - this.schedule.scheduledAtMs(seq));
    }
    return missing;
  }
}

/**
 * Payload of `bytes` bytes (ASCII) that starts with the zero-padded sequence number (10 digits)
 * and, given `sentAtMs`, the scheduled send time on this process's performance.now() clock:
 * `0000000042@1234.567;xxxx…`. Producer and consumer share the process, hence the clock.
 */
export function sequencedPayload(seq: number, bytes: number, sentAtMs?: number): Buffer {
  const head =
    String(seq).padStart(10, '0') + (sentAtMs === undefined ? '' : `@${sentAtMs.toFixed(3)};`);
  const payload = Buffer.alloc(Math.max(bytes, head.length), 'x');
  payload.write(head, 0, 'latin1');
  return payload;
}

export function sequenceOf(payload: Uint8Array): number {
  return Number(Buffer.from(payload.buffer, payload.byteOffset, 10).toString('latin1'));
}

/** The send time a sequencedPayload carries; undefined when it carries none. */
export function sentAtOf(payload: Uint8Array): number | undefined {
  if (payload.length < 12 || payload[10] !== 0x40 /* @ */) return undefined;
  const end = payload.indexOf(0x3b /* ; */, 11);
  if (end < 0) return undefined;
  const text = Buffer.from(payload.buffer, payload.byteOffset + 11, end - 11).toString('latin1');
  const sentAtMs = Number(text);
  return Number.isFinite(sentAtMs) ? sentAtMs : undefined;
}
