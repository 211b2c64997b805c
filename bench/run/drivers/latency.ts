// One fixed-rate produce -> consume run, shared by every latency driver: the transport (NATS,
// Redis, Tributary over WebSocket) only says how to receive and how to send one record; this
// runs the schedule, bounds what is in flight, waits for stragglers, and turns the samples into
// a DriverRun. Every record carries its sequence number and its scheduled send time (scheduler.ts);
// latency counts from that time to the record's arrival.
import { FixedRateSchedule, ScheduleLatency, sendOnSchedule, sequencedPayload } from '../scheduler';
import { type DriverRun, type LatencyShape } from './driver';

/** How long the receiver waits for stragglers after the last scheduled send. */
export const DRAIN_MS = 5_000;
/** The first record is due this long after the receiver is ready. */
const START_DELAY_MS = 20;

export interface LatencyTransport {
  /**
   * Starts receiving (resolves once ready, so that the subscription's setup is not counted as
   * latency): `onRecord` gets each record's payload. Returns how to stop receiving.
   */
  receive(onRecord: (payload: Uint8Array) => void): Promise<() => Promise<void>>;
  /** Sends one record; resolves when the server acknowledged it, rejects when it refused. */
  send(payload: Buffer): Promise<unknown>;
}

export async function latencyRun(
  shape: LatencyShape,
  durationMs: number,
  transport: LatencyTransport,
): Promise<DriverRun> {
  // Nothing arrives before the first send, which comes after the schedule (and `sink.latency`).
  const sink: { latency?: ScheduleLatency } = {};
  const stopReceiving = await transport.receive((payload) => sink.latency!.receiveRecord(payload));
  const schedule = FixedRateSchedule.forDuration(
    performance.now() + START_DELAY_MS,
    shape.ratePerSec,
    durationMs,
  );
  const latency = new ScheduleLatency(schedule);
  sink.latency = latency;
  let inFlight = 0;
  let refused = 0;
  const pending = new Set<Promise<void>>();
  const stats = await sendOnSchedule(
    schedule,
    (seq) => {
      inFlight++;
      const tracked: Promise<void> = transport
        .send(sequencedPayload(seq, shape.messageBytes, schedule.scheduledAtMs(seq)))
        .then(
          () => undefined,
          () => void refused++,
        )
        .finally(() => {
          inFlight--;
          pending.delete(tracked);
        });
      pending.add(tracked);
    },
    () => inFlight,
    shape.inFlightMax,
  );
  await Promise.all(pending);
  await latency.completeWithin(DRAIN_MS);
  // Timed before the receiver stops: a blocked read's wake-up is not part of the delivery.
  const seconds = (performance.now() - schedule.startMs) / 1000;
  await stopReceiving();
  const missing = latency.recordMissingAsNow();
  return {
    records: latency.received,
    bytes: latency.received * shape.messageBytes,
    seconds,
    errors: missing + refused,
    latency: latency.histogram.snapshot(),
    notes: [`largest send lag behind the schedule ${stats.sendLagMsMax.toFixed(1)} ms`],
  };
}
