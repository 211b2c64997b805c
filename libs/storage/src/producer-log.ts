// A partition log's idempotent producers (see producer-state.ts): what its appends ask of the
// producer state, the appends of theirs not yet acknowledged (a retry waits for the first write;
// a write that fails never happened), and the snapshots that bound the scan after a crash.
import { BrokerError, type Clock } from '@tributary/common';
import { type ProducerFields, readProducerFields } from '@tributary/protocol';
import { type FileSystem } from './file-system';
import { type LogSegments } from './log-segments';
import { loadProducerState, writeProducerSnapshot } from './producer-snapshot';
import { type ProducerBatch, type ProducerState, type ProducerStateLimits } from './producer-state';

export class ProducerLog {
  private readonly pending = new Map<number, Promise<unknown>>();

  private constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    private readonly clock: Clock,
    private readonly state: ProducerState,
    /** The log end the last snapshot was taken at (-1: one is due). */
    private snapshotAt: number,
  ) {}

  /** The state of a log just opened: its snapshot, and a scan of what came after it. */
  static async open(
    fs: FileSystem,
    dir: string,
    segments: LogSegments,
    limits: ProducerStateLimits,
    clock: Clock,
  ): Promise<ProducerLog> {
    const loaded = await loadProducerState(fs, dir, segments, limits, clock.nowMs());
    return new ProducerLog(fs, dir, clock, loaded.state, loaded.snapshotAt);
  }

  /**
   * A leader's append of `batch`: undefined when it is to be written (its fields are returned
   * for `appended`), or the first write's offsets when it repeats its producer's last batch
   * (resolved once that write is acknowledged). The same producer id with another request is
   * refused.
   */
  check(
    batch: Buffer,
  ):
    | { fields: ProducerFields; duplicate?: undefined }
    | { duplicate: Promise<{ baseOffset: number; lastOffset: number }> }
    | undefined {
    const fields = readProducerFields(batch);
    if (fields.producerId < 0) return undefined;
    const check = this.state.check(fields, this.clock.nowMs());
    if (check.kind === 'conflict') {
      throw new BrokerError(
        'IDEMPOTENCY_KEY_REUSED',
        `producer ${fields.producerId} already wrote another batch at offset ${check.batch.baseOffset}`,
      );
    }
    if (check.kind === 'new') return { fields };
    const { baseOffset, lastOffset } = check.batch;
    const first = this.pending.get(fields.producerId) ?? Promise.resolve();
    return { duplicate: first.then(() => ({ baseOffset, lastOffset })) };
  }

  /** A producer's batch given offsets; until `written` settles, retries wait for it. */
  appended(
    fields: ProducerFields,
    baseOffset: number,
    lastOffset: number,
    written: Promise<void>,
  ): void {
    const entry: ProducerBatch = {
      ...fields,
      baseOffset,
      lastOffset,
      appendedMs: this.clock.nowMs(),
    };
    this.state.record(entry);
    const done = () => {
      if (this.pending.get(entry.producerId) === tracked) this.pending.delete(entry.producerId);
    };
    const tracked = written.then(done, (error: unknown) => {
      done();
      this.state.forget(entry); // never written
      throw error;
    });
    tracked.catch(() => undefined); // the appender's caller sees the error; retries see it too
    this.pending.set(entry.producerId, tracked);
  }

  /** A follower's copied batch, recorded as the leader wrote it. */
  copied(batch: Buffer, baseOffset: number, lastOffset: number): void {
    const fields = readProducerFields(batch);
    if (fields.producerId < 0) return;
    this.state.record({ ...fields, baseOffset, lastOffset, appendedMs: this.clock.nowMs() });
  }

  /** The log lost everything from `offset` on. */
  truncateFrom(offset: number): void {
    this.state.truncateFrom(offset);
  }

  /**
   * Writes the state of the batches below `offset` (all written) as the snapshot at it, unless
   * the last one was taken there already (`force`: a snapshot past a cut must be replaced).
   */
  async snapshot(offset: number, force = false): Promise<void> {
    if (offset === this.snapshotAt && !force) return;
    this.state.evict(this.clock.nowMs());
    await writeProducerSnapshot(this.fs, this.dir, { offset, batches: this.state.below(offset) });
    this.snapshotAt = offset;
  }
}
