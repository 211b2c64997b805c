// What each idempotent producer last wrote to one partition (Kafka's ProducerStateManager, cut
// down to one batch per producer): a batch carrying a producer id, epoch and base sequence that
// matches the last one of its producer is a retry, answered with the first write's offsets
// instead of being written again. The state is derived from the log alone (every field comes
// from batch headers), so it is rebuilt after a crash by scanning what the last snapshot does
// not cover, and a replica that copies the log copies it too.
//
// Producer ids from 2^52 up are keyed producers: the id is a hash of a client's request key
// (HTTP Idempotency-Key), the epoch and sequence a hash of its request, so one id holds one
// batch, and the same id with another epoch or sequence is the key reused for another request.
// Ids below 2^52 are left for producers that send a sequence of batches.
//
// Bounded: entries older than `windowMs` are forgotten, and past `entriesMax` the oldest go.
// The map's iteration order is insertion order, and an entry is re-inserted when its producer
// writes again, so the oldest entry is always first.
import { assert } from '@tributary/common';
import { KEYED_PRODUCER_ID_MIN } from '@tributary/protocol';

/** A batch written by an idempotent producer, as its header and its offsets describe it. */
export interface ProducerBatch {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
  baseOffset: number;
  lastOffset: number;
  /** Wall-clock time it was appended (or found by a recovery scan): the window counts from it. */
  appendedMs: number;
}

export type ProducerCheck =
  | { kind: 'new' }
  | { kind: 'duplicate'; batch: ProducerBatch }
  /** A keyed producer's id with another epoch or sequence: its key reused for another request. */
  | { kind: 'conflict'; batch: ProducerBatch };

export interface ProducerStateLimits {
  entriesMax: number;
  windowMs: number;
}

export class ProducerState {
  private readonly entries = new Map<number, ProducerBatch>();

  constructor(private readonly limits: ProducerStateLimits) {
    assert(limits.entriesMax > 0 && limits.windowMs > 0, 'producer state needs room and time');
  }

  get size(): number {
    return this.entries.size;
  }

  /** What a batch with this header is, against the producer's last batch. */
  check(
    header: Pick<ProducerBatch, 'producerId' | 'producerEpoch' | 'baseSequence' | 'recordCount'>,
    nowMs: number,
  ): ProducerCheck {
    const last = this.entries.get(header.producerId);
    if (last === undefined || this.expired(last, nowMs)) return { kind: 'new' };
    const same =
      last.producerEpoch === header.producerEpoch &&
      last.baseSequence === header.baseSequence &&
      last.recordCount === header.recordCount;
    if (same) return { kind: 'duplicate', batch: last };
    return header.producerId >= KEYED_PRODUCER_ID_MIN
      ? { kind: 'conflict', batch: last }
      : { kind: 'new' };
  }

  /** Records a batch written (or found in the log) as its producer's last one. */
  record(batch: ProducerBatch): void {
    assert(batch.lastOffset >= batch.baseOffset, 'producer batch offsets out of order');
    this.entries.delete(batch.producerId);
    this.entries.set(batch.producerId, batch);
    this.evict(batch.appendedMs);
  }

  /** Forgets a batch that was never written (its append failed). */
  forget(batch: ProducerBatch): void {
    if (this.entries.get(batch.producerId) === batch) this.entries.delete(batch.producerId);
  }

  /** The log lost everything from `offset` on: so does the state. */
  truncateFrom(offset: number): void {
    for (const [id, batch] of this.entries) {
      if (batch.lastOffset >= offset) this.entries.delete(id);
    }
  }

  /** Entries of batches wholly below `offset`, oldest first (what a snapshot at it holds). */
  below(offset: number): ProducerBatch[] {
    return [...this.entries.values()].filter((b) => b.lastOffset < offset);
  }

  /** Drops entries past the window, then the oldest while over the count. */
  evict(nowMs: number): void {
    for (const [id, batch] of this.entries) {
      if (this.entries.size <= this.limits.entriesMax && !this.expired(batch, nowMs)) break;
      this.entries.delete(id);
    }
  }

  private expired(batch: ProducerBatch, nowMs: number): boolean {
    return nowMs - batch.appendedMs > this.limits.windowMs;
  }
}
