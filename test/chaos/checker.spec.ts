// The chaos checker on small synthetic histories: each kind of violation is found (naming the
// operations that show it), and a history that keeps every promise passes clean.
import {
  checkCommittedMonotonic,
  checkConsumersMoveForward,
  checkFinalReads,
  checkHistory,
  checkLostAcks,
  checkNoDuplicates,
  checkNothingVanished,
  checkOffsetsHoldOneValue,
} from '../../chaos/checker';
import { type NewOp, type Op } from '../../chaos/history';
import { unavailability } from '../../chaos/summary';

const T = 'events';

/** Numbers the operations as a History would. */
function history(...ops: NewOp[]): Op[] {
  return ops.map((op, id) => ({ ...op, id }));
}

function produce(value: string, partition: number, offset: number | undefined, at = 0): NewOp {
  return {
    kind: 'produce',
    client: 'producer-1',
    node: 1,
    startMs: at,
    endMs: at + 10,
    topic: T,
    partition,
    value,
    idempotencyKey: value,
    outcome: offset === undefined ? 'indeterminate' : 'ok',
    ...(offset === undefined ? {} : { offset }),
    attempts: [{ node: 1, startMs: at, endMs: at + 10, status: offset === undefined ? 0 : 200 }],
  };
}

const rec = (partition: number, offset: number, value: string) => ({
  topic: T,
  partition,
  offset,
  value,
});

function final(partition: number, values: string[], node = 1): NewOp {
  return {
    kind: 'final',
    client: 'final-reader',
    node,
    startMs: 1_000,
    endMs: 1_001,
    topic: T,
    partition,
    highWatermark: values.length,
    complete: true,
    records: values.map((v, offset) => rec(partition, offset, v)),
  };
}

function read(partition: number, records: ReturnType<typeof rec>[], at = 100): NewOp {
  return {
    kind: 'read',
    client: 'reader-1',
    node: 2,
    startMs: at,
    endMs: at + 5,
    topic: T,
    partition,
    fromOffset: records[0]?.offset ?? 0,
    status: 200,
    records,
  };
}

function consume(generation: string, records: ReturnType<typeof rec>[], at: number): NewOp {
  return {
    kind: 'consume',
    client: 'rest-consumer-1',
    node: 1,
    startMs: at,
    endMs: at + 5,
    group: 'g',
    memberId: 'm1',
    generation,
    records,
  };
}

function committed(offset: number | null, startMs: number, endMs: number): NewOp {
  return {
    kind: 'committed',
    client: 'watcher',
    node: 1,
    startMs,
    endMs,
    group: 'g',
    offsets: [{ topic: T, partition: 0, committedOffset: offset }],
  };
}

describe('the chaos checker', () => {
  it('passes a history where every promise was kept', () => {
    const ops = history(
      produce('a', 0, 0),
      produce('b', 0, 1),
      produce('c', 1, 0),
      produce('lost-maybe', 1, undefined), // indeterminate: may be absent
      read(0, [rec(0, 0, 'a'), rec(0, 1, 'b')]),
      consume('3', [rec(0, 0, 'a'), rec(0, 1, 'b')], 200),
      consume('4', [rec(0, 0, 'a')], 300), // a rebalance: a new generation starts over
      committed(1, 100, 110),
      committed(2, 200, 210),
      committed(1, 205, 300), // overlaps the sample that saw 2: no real-time order
      final(0, ['a', 'b']),
      final(0, ['a', 'b'], 2),
      final(1, ['c']),
    );
    expect(checkHistory(ops)).toEqual([]);
  });

  it('finds an acknowledged record missing from the final log, or replaced there', () => {
    const ops = history(
      produce('a', 0, 0),
      produce('b', 0, 1),
      produce('c', 1, 0),
      final(0, ['a']),
      final(1, ['x']),
    );
    const found = checkLostAcks(ops);
    expect(found.map((v) => [v.kind, v.ops])).toEqual([
      ['lost-ack', [1, 3]],
      ['lost-ack', [2, 4]],
    ]);
    expect(found[0]!.message).toContain('events/0@1');
  });

  it('finds an offset that showed two values, across acks, reads and nodes', () => {
    const ops = history(
      produce('a', 0, 0),
      read(0, [rec(0, 0, 'z')]),
      final(0, ['a']),
      final(0, ['y'], 2),
    );
    const found = checkOffsetsHoldOneValue(ops);
    expect(found).toHaveLength(1); // reported once per offset
    expect(found[0]).toMatchObject({ kind: 'offset-rewritten', ops: [0, 1] });
  });

  it('finds a value written twice under one Idempotency-Key', () => {
    const ops = history(produce('a', 0, 0), final(0, ['a', 'a']));
    expect(checkNoDuplicates(ops)).toEqual([
      expect.objectContaining({ kind: 'duplicate', ops: [0, 1] }),
    ]);
    // Two different values at two offsets are no duplicate.
    expect(checkNoDuplicates(history(produce('a', 0, 0), final(0, ['a', 'b'])))).toEqual([]);
  });

  it('finds a record a reader or consumer saw that the final log lost', () => {
    const ops = history(
      read(0, [rec(0, 0, 'a'), rec(0, 1, 'b')]),
      consume('1', [rec(0, 2, 'c')], 150),
      final(0, ['a']),
    );
    expect(checkNothingVanished(ops).map((v) => [v.kind, v.ops])).toEqual([
      ['vanished', [0, 2]],
      ['vanished', [1, 2]],
    ]);
  });

  it('finds committed offsets that went back between samples ordered in real time', () => {
    const ops = history(committed(5, 0, 10), committed(7, 20, 30), committed(6, 40, 50));
    expect(checkCommittedMonotonic(ops)).toEqual([
      expect.objectContaining({ kind: 'committed-backwards', ops: [1, 2] }),
    ]);
    // A commit that disappeared reads as none at all: backwards too.
    expect(checkCommittedMonotonic(history(committed(5, 0, 10), committed(null, 20, 30)))).toEqual([
      expect.objectContaining({ kind: 'committed-backwards', ops: [0, 1] }),
    ]);
  });

  it('finds a consumer that went back within one generation, not across generations', () => {
    const backwards = history(
      consume('2', [rec(0, 0, 'a'), rec(0, 1, 'b')], 100),
      consume('2', [rec(0, 1, 'b')], 200),
    );
    expect(checkConsumersMoveForward(backwards)).toEqual([
      expect.objectContaining({ kind: 'consumer-backwards', ops: [0, 1] }),
    ]);
    const rebalanced = history(
      consume('2', [rec(0, 0, 'a'), rec(0, 1, 'b')], 100),
      consume('3', [rec(0, 1, 'b')], 200),
      consume('3', [rec(1, 0, 'c')], 300), // another partition has its own order
    );
    expect(checkConsumersMoveForward(rebalanced)).toEqual([]);
  });

  it('says so when a partition could not be read to its high watermark at the end', () => {
    const incomplete = { ...final(0, ['a']), complete: false } as NewOp;
    expect(checkFinalReads(history(produce('a', 0, 0), incomplete))).toEqual([
      expect.objectContaining({ kind: 'final-read-missing', ops: [1] }),
    ]);
  });
});

describe('unavailability after a leader kill', () => {
  it('runs from the kill to the first produce started after it and acknowledged, per partition', () => {
    const ops = history(
      produce('before', 0, 0, 900), // started before the kill: not evidence
      produce('p0', 0, 1, 2_000),
      produce('p1', 1, 0, 3_500),
    );
    const figures = unavailability(
      ops,
      [
        {
          id: 0,
          kind: 'kill-leader',
          node: 1,
          startMs: 1_000,
          endMs: 1_500,
          detail: '',
          ledPartitions: [0, 1],
        },
        {
          id: 1,
          kind: 'kill-random',
          node: 2,
          startMs: 5_000,
          endMs: 5_500,
          detail: '',
          ledPartitions: [2],
        },
      ],
      5_000,
    );
    expect(figures.perFault.map((u) => u.ms)).toEqual([2_510, null]);
    expect(figures.withinTarget).toBe(false); // the second never recovered
  });
});
