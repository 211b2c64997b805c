// Figures of a run drawn from its history: records acknowledged, throughput and errors per
// second, leader changes, and the unavailability after each kill of a leader (from the kill to
// the first acks=all produce acknowledged on each partition the killed node led; the fault's
// figure is its slowest partition).
import { percentileOfSorted } from '../bench/common/stats';
import { type FaultRecord, type Op, type ProduceOp } from './history';

export interface SecondBucket {
  second: number;
  acked: number;
  errors: number;
}

export interface LeaderChange {
  atMs: number;
  partition: number;
  leader: number;
  leaderEpoch: number;
}

export interface Unavailability {
  fault: number;
  kind: string;
  node: number;
  atMs: number;
  partitions: number[];
  /** Null: no produce was acknowledged on one of the partitions before the run ended. */
  ms: number | null;
  /** Other faults active between the kill and the end of its unavailability. */
  overlapping: number[];
}

export interface UnavailabilitySummary {
  targetMs: number;
  perFault: Unavailability[];
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** The same over the kills that no other fault overlapped: the failover alone. */
  isolated: { count: number; p50Ms: number | null; p99Ms: number | null; maxMs: number | null };
  /** Every isolated kill healed, with p99 within the target. */
  withinTarget: boolean;
}

const produces = (ops: readonly Op[]) => ops.filter((op): op is ProduceOp => op.kind === 'produce');

export function recordCounts(ops: readonly Op[]) {
  const all = produces(ops);
  const attempts = all.flatMap((op) => op.attempts);
  return {
    acknowledged: all.filter((op) => op.outcome === 'ok').length,
    indeterminate: all.filter((op) => op.outcome === 'indeterminate').length,
    failed: all.filter((op) => op.outcome === 'failed').length,
    attempts: attempts.length,
    attemptErrors: attempts.filter((a) => a.status !== 200).length,
    reads: ops.filter((op) => op.kind === 'read').length,
    consumed: ops
      .filter((op) => op.kind === 'consume')
      .reduce((sum, op) => sum + (op.kind === 'consume' ? op.records.length : 0), 0),
  };
}

/** Produce attempts per second of the run: acknowledged and failed. */
export function perSecond(ops: readonly Op[], runMs: number): SecondBucket[] {
  const seconds = Math.max(1, Math.ceil(runMs / 1000));
  const buckets = Array.from({ length: seconds }, (_, second) => ({ second, acked: 0, errors: 0 }));
  for (const op of produces(ops)) {
    for (const attempt of op.attempts) {
      const bucket = buckets[Math.min(seconds - 1, Math.floor(attempt.endMs / 1000))]!;
      if (attempt.status === 200) bucket.acked++;
      else bucket.errors++;
    }
  }
  return buckets;
}

/** Each time a sample showed a partition with another leader or epoch than the sample before. */
export function leaderChanges(ops: readonly Op[]): LeaderChange[] {
  const last = new Map<number, string>();
  const changes: LeaderChange[] = [];
  for (const op of ops) {
    if (op.kind !== 'leaders') continue;
    for (const p of op.partitions) {
      const state = `${p.leader}/${p.leaderEpoch}`;
      if (last.get(p.partition) === state) continue;
      last.set(p.partition, state);
      changes.push({ atMs: op.endMs, ...p });
    }
  }
  return changes;
}

export function unavailability(
  ops: readonly Op[],
  faults: readonly FaultRecord[],
  targetMs: number,
): UnavailabilitySummary {
  const acks = new Map<number, number[]>(); // partition -> end times of acknowledged attempts
  for (const op of produces(ops)) {
    for (const attempt of op.attempts) {
      if (attempt.status !== 200) continue;
      const list = acks.get(op.partition) ?? [];
      list.push(attempt.startMs, attempt.endMs);
      acks.set(op.partition, list);
    }
  }
  const firstAckAfter = (partition: number, atMs: number): number | undefined => {
    const list = acks.get(partition) ?? [];
    let best: number | undefined;
    for (let i = 0; i < list.length; i += 2) {
      // Only a produce that started after the kill shows the partition available again.
      if (list[i]! >= atMs && (best === undefined || list[i + 1]! < best)) best = list[i + 1]!;
    }
    return best;
  };
  const perFault: Unavailability[] = faults
    .filter((f) => f.kind.startsWith('kill-') && (f.ledPartitions?.length ?? 0) > 0)
    .map((f) => {
      const partitions = f.ledPartitions!;
      const ends = partitions.map((p) => firstAckAfter(p, f.startMs));
      const ms = ends.some((e) => e === undefined)
        ? null
        : Math.round(Math.max(...ends.map((e) => e! - f.startMs)));
      const untilMs = ms === null ? Infinity : f.startMs + ms;
      const overlapping = faults
        .filter((o) => o.id !== f.id && o.startMs < untilMs && (o.endMs ?? Infinity) > f.startMs)
        .map((o) => o.id);
      return {
        fault: f.id,
        kind: f.kind,
        node: f.node ?? 0,
        atMs: f.startMs,
        partitions,
        ms,
        overlapping,
      };
    });
  const all = figures(perFault);
  const isolatedFaults = perFault.filter((u) => u.overlapping.length === 0);
  const isolated = figures(isolatedFaults);
  return {
    targetMs,
    perFault,
    ...all,
    isolated: { count: isolatedFaults.length, ...isolated },
    withinTarget:
      isolatedFaults.every((u) => u.ms !== null) &&
      (isolated.p99Ms === null || isolated.p99Ms <= targetMs),
  };
}

function figures(faults: readonly Unavailability[]) {
  const measured = faults
    .map((u) => u.ms)
    .filter((ms): ms is number => ms !== null)
    .sort((a, b) => a - b);
  const pct = (p: number) => (measured.length === 0 ? null : percentileOfSorted(measured, p));
  return {
    p50Ms: pct(50),
    p99Ms: pct(99),
    maxMs: measured.length === 0 ? null : measured[measured.length - 1]!,
  };
}
