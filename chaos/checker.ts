// The checker: pure functions over a recorded history, each looking for one kind of violation
// and naming the operations that show it.
//
// - lost-ack: an acknowledged (acks=all) value is not in the final log at its partition and
//   offset (or the final log does not reach that offset).
// - offset-rewritten: one offset showed two different values, across every acknowledgement,
//   read, consumer delivery and final read, from every node.
// - duplicate: a value produced under an Idempotency-Key appears at two offsets.
// - vanished: a reader or consumer was shown a record that the final log does not hold (absent,
//   or another value at its offset).
// - committed-backwards: a group's committed offset for a partition went down between two
//   samples that did not overlap in time (the run makes no explicit reset).
// - consumer-backwards: within one generation of one member (see ConsumeOp: a REST member's
//   epoch; a WebSocket subscription between two assignment changes) a partition's deliveries did
//   not strictly increase in offset. A new generation may start anywhere (a rebalance restarts
//   from the committed offset, so records are delivered again: at-least-once).
// - final-read-missing: a partition could not be read to its high watermark at the end, so the
//   checks that need the final log could not be made for it.
import {
  type CommittedOp,
  type ConsumeOp,
  type FinalOp,
  type Op,
  type Positioned,
  type ProduceOp,
} from './history';

export const VIOLATION_KINDS = [
  'lost-ack',
  'offset-rewritten',
  'duplicate',
  'vanished',
  'committed-backwards',
  'consumer-backwards',
  'final-read-missing',
] as const;

export type ViolationKind = (typeof VIOLATION_KINDS)[number];

export interface Violation {
  kind: ViolationKind;
  message: string;
  /** Ids of the operations that show it. */
  ops: number[];
}

const tpKey = (topic: string, partition: number) => `${topic}/${partition}`;
const at = (p: { topic: string; partition: number; offset: number }) =>
  `${p.topic}/${p.partition}@${p.offset}`;

/** The final log per partition: the first complete final read of each (others are compared). */
export function finalLogs(ops: readonly Op[]): Map<string, FinalOp> {
  const logs = new Map<string, FinalOp>();
  for (const op of ops) {
    if (op.kind !== 'final' || !op.complete) continue;
    const key = tpKey(op.topic, op.partition);
    if (!logs.has(key)) logs.set(key, op);
  }
  return logs;
}

function valueAt(final: FinalOp, offset: number): string | undefined {
  // Final reads are dense from offset 0, but look the offset up rather than trust that.
  const guess = final.records[offset];
  if (guess?.offset === offset) return guess.value;
  return final.records.find((r) => r.offset === offset)?.value;
}

const acked = (ops: readonly Op[]) =>
  ops.filter((op): op is ProduceOp => op.kind === 'produce' && op.outcome === 'ok');

/** Every observation of an offset's value, with the operation that made it. */
export function observations(ops: readonly Op[]): { seen: Positioned; op: Op }[] {
  const seen: { seen: Positioned; op: Op }[] = [];
  for (const op of ops) {
    if (op.kind === 'produce') {
      if (op.outcome === 'ok' && op.offset !== undefined) {
        seen.push({ seen: { ...op, offset: op.offset }, op });
      }
    } else if (op.kind === 'read' || op.kind === 'consume' || op.kind === 'final') {
      for (const record of op.records) seen.push({ seen: record, op });
    }
  }
  return seen;
}

export function checkFinalReads(ops: readonly Op[]): Violation[] {
  const logs = finalLogs(ops);
  const partitions = new Map<string, number[]>();
  for (const op of ops) {
    if (op.kind !== 'final' && op.kind !== 'produce') continue;
    const key = tpKey(op.topic, op.partition);
    if (op.kind === 'final') partitions.set(key, [...(partitions.get(key) ?? []), op.id]);
    else if (!partitions.has(key)) partitions.set(key, []);
  }
  return [...partitions]
    .filter(([key]) => !logs.has(key))
    .map(([key, ids]) => ({
      kind: 'final-read-missing' as const,
      message: `${key}: no final read reached the high watermark; acks and reads of it are unchecked`,
      ops: ids,
    }));
}

export function checkLostAcks(ops: readonly Op[]): Violation[] {
  const logs = finalLogs(ops);
  const violations: Violation[] = [];
  for (const op of acked(ops)) {
    const final = logs.get(tpKey(op.topic, op.partition));
    if (final === undefined || op.offset === undefined) continue;
    const found = valueAt(final, op.offset);
    if (found === op.value) continue;
    violations.push({
      kind: 'lost-ack',
      message:
        found === undefined
          ? `${op.value} acknowledged at ${at({ ...op, offset: op.offset })} is not in the final log (high watermark ${final.highWatermark})`
          : `${op.value} acknowledged at ${at({ ...op, offset: op.offset })}; the final log has ${found} there`,
      ops: [op.id, final.id],
    });
  }
  return violations;
}

export function checkOffsetsHoldOneValue(ops: readonly Op[]): Violation[] {
  const first = new Map<string, { value: string; op: number }>();
  const reported = new Set<string>();
  const violations: Violation[] = [];
  for (const { seen, op } of observations(ops)) {
    const key = at(seen);
    const earlier = first.get(key);
    if (earlier === undefined) {
      first.set(key, { value: seen.value, op: op.id });
    } else if (earlier.value !== seen.value && !reported.has(key)) {
      reported.add(key);
      violations.push({
        kind: 'offset-rewritten',
        message: `${key} held ${earlier.value} (op ${earlier.op}) and ${seen.value} (op ${op.id}, ${op.kind} via node ${op.node})`,
        ops: [earlier.op, op.id],
      });
    }
  }
  return violations;
}

export function checkNoDuplicates(ops: readonly Op[]): Violation[] {
  const keyed = new Set(
    ops.filter((op): op is ProduceOp => op.kind === 'produce').map((op) => op.value),
  );
  const places = new Map<string, Map<string, number>>();
  for (const { seen, op } of observations(ops)) {
    if (!keyed.has(seen.value)) continue;
    const where = places.get(seen.value) ?? new Map<string, number>();
    if (!where.has(at(seen))) where.set(at(seen), op.id);
    places.set(seen.value, where);
  }
  return [...places]
    .filter(([, where]) => where.size > 1)
    .map(([value, where]) => ({
      kind: 'duplicate' as const,
      message: `${value}, produced under one Idempotency-Key, is at ${[...where.keys()].join(' and ')}`,
      ops: [...where.values()],
    }));
}

export function checkNothingVanished(ops: readonly Op[]): Violation[] {
  const logs = finalLogs(ops);
  const violations: Violation[] = [];
  const reported = new Set<string>();
  for (const op of ops) {
    if (op.kind !== 'read' && op.kind !== 'consume') continue;
    for (const record of op.records) {
      const final = logs.get(tpKey(record.topic, record.partition));
      if (final === undefined || reported.has(at(record))) continue;
      const found = valueAt(final, record.offset);
      if (found === record.value) continue;
      reported.add(at(record));
      violations.push({
        kind: 'vanished',
        message: `${op.client} saw ${record.value} at ${at(record)} via node ${op.node}; the final log has ${found ?? 'nothing'} there`,
        ops: [op.id, final.id],
      });
    }
  }
  return violations;
}

/** Committed offsets by (group, topic, partition), in real-time order of non-overlapping samples. */
export function checkCommittedMonotonic(ops: readonly Op[]): Violation[] {
  const series = new Map<string, { op: CommittedOp; offset: number }[]>();
  for (const op of ops) {
    if (op.kind !== 'committed') continue;
    for (const o of op.offsets) {
      const key = `${op.group} ${tpKey(o.topic, o.partition)}`;
      const list = series.get(key) ?? [];
      list.push({ op, offset: o.committedOffset ?? -1 });
      series.set(key, list);
    }
  }
  const violations: Violation[] = [];
  for (const [key, samples] of series) {
    // For each sample b, the highest offset among samples that ended before b started.
    const byEnd = [...samples].sort((a, b) => a.op.endMs - b.op.endMs);
    const byStart = [...samples].sort((a, b) => a.op.startMs - b.op.startMs);
    let next = 0;
    let highest: { op: CommittedOp; offset: number } | undefined;
    for (const b of byStart) {
      while (next < byEnd.length && byEnd[next]!.op.endMs < b.op.startMs) {
        const a = byEnd[next++]!;
        if (highest === undefined || a.offset > highest.offset) highest = a;
      }
      if (highest !== undefined && b.offset < highest.offset) {
        violations.push({
          kind: 'committed-backwards',
          message: `${key}: committed ${highest.offset} (op ${highest.op.id}), later ${b.offset === -1 ? 'none' : b.offset} (op ${b.op.id})`,
          ops: [highest.op.id, b.op.id],
        });
        highest = undefined; // report each drop once, then follow the new value
      }
    }
  }
  return violations;
}

export function checkConsumersMoveForward(ops: readonly Op[]): Violation[] {
  const last = new Map<string, { offset: number; op: ConsumeOp }>();
  const violations: Violation[] = [];
  const consumes = ops
    .filter((op): op is ConsumeOp => op.kind === 'consume')
    .sort((a, b) => a.endMs - b.endMs || a.id - b.id);
  for (const op of consumes) {
    for (const record of op.records) {
      const key = `${op.client} ${op.group} ${op.memberId} ${op.generation} ${tpKey(record.topic, record.partition)}`;
      const before = last.get(key);
      if (before !== undefined && record.offset <= before.offset) {
        violations.push({
          kind: 'consumer-backwards',
          message: `${op.client} (member ${op.memberId}, generation ${op.generation}) got ${at(record)} after offset ${before.offset}`,
          ops: [before.op.id, op.id],
        });
      }
      last.set(key, { offset: record.offset, op });
    }
  }
  return violations;
}

/** Every check, in the order of VIOLATION_KINDS. */
export function checkHistory(ops: readonly Op[]): Violation[] {
  return [
    ...checkLostAcks(ops),
    ...checkOffsetsHoldOneValue(ops),
    ...checkNoDuplicates(ops),
    ...checkNothingVanished(ops),
    ...checkCommittedMonotonic(ops),
    ...checkConsumersMoveForward(ops),
    ...checkFinalReads(ops),
  ];
}
