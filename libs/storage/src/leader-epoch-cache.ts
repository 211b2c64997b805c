// Which leader epoch wrote which offsets: an ordered list of (epoch, start offset), as in
// Kafka's LeaderEpochFileCache. The cluster needs it to find where a follower's log diverges
// from the new leader's after a failover (KIP-101); here it is kept exact through appends,
// truncations and log-start moves, and checkpointed to `leader-epoch-checkpoint`.
import * as path from 'node:path';
import { assert } from '@tributary/common';
import { parseOffset, readCheckpoint, writeCheckpoint } from './checkpoint-file';
import { type FileSystem } from './file-system';

export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

export class LeaderEpochCache {
  private entries: EpochEntry[] = [];
  private readonly file: string;

  constructor(
    private readonly fs: FileSystem,
    dir: string,
  ) {
    this.file = path.join(dir, LEADER_EPOCH_CHECKPOINT);
  }

  all(): readonly EpochEntry[] {
    return this.entries;
  }

  latest(): EpochEntry | undefined {
    return this.entries[this.entries.length - 1];
  }

  /** Records that `epoch` starts at `startOffset`; returns whether the cache changed. */
  assign(epoch: number, startOffset: number): boolean {
    if (epoch < 0) return false;
    const latest = this.latest();
    if (latest !== undefined && latest.epoch >= epoch) {
      assert(latest.epoch === epoch, () => `epoch ${epoch} appended after epoch ${latest.epoch}`);
      return false;
    }
    assert(
      latest === undefined || startOffset >= latest.startOffset,
      'epoch start offsets must not decrease',
    );
    this.entries.push({ epoch, startOffset });
    return true;
  }

  /** The epoch `offset` was written in (the latest starting at or before it); -1 before any. */
  epochAt(offset: number): number {
    let epoch = -1;
    for (const entry of this.entries) {
      if (entry.startOffset > offset) break;
      epoch = entry.epoch;
    }
    return epoch;
  }

  /**
   * The end offset of `epoch` in this log: the start of the next greater epoch, or the log
   * end when `epoch` is the latest. Kafka's OffsetsForLeaderEpoch answer.
   */
  endOffsetFor(epoch: number, logEndOffset: number): { epoch: number; endOffset: number } {
    let found: EpochEntry | undefined;
    for (const entry of this.entries) {
      if (entry.epoch > epoch)
        return { epoch: found?.epoch ?? -1, endOffset: found ? entry.startOffset : -1 };
      found = entry;
    }
    return found === undefined
      ? { epoch: -1, endOffset: -1 }
      : { epoch: found.epoch, endOffset: logEndOffset };
  }

  /** Forgets epochs starting at or after `offset` (the log was truncated to `offset`). */
  truncateFromEnd(offset: number): boolean {
    const before = this.entries.length;
    this.entries = this.entries.filter((entry) => entry.startOffset < offset);
    return this.entries.length !== before;
  }

  /** The log now starts at `offset`: epochs wholly before it go, the one spanning it moves. */
  truncateFromStart(offset: number): boolean {
    let changed = false;
    while (this.entries.length > 1 && this.entries[1]!.startOffset <= offset) {
      this.entries.shift();
      changed = true;
    }
    const first = this.entries[0];
    if (first !== undefined && first.startOffset < offset) {
      first.startOffset = offset;
      changed = true;
    }
    return changed;
  }

  async load(): Promise<boolean> {
    const rows = await readCheckpoint(this.fs, this.file, 2);
    if (rows === undefined) return false;
    const entries: EpochEntry[] = [];
    for (const [epochToken, offsetToken] of rows) {
      const epoch = parseOffset(epochToken);
      const startOffset = parseOffset(offsetToken);
      const previous = entries[entries.length - 1];
      if (epoch === undefined || startOffset === undefined || epoch < 0 || startOffset < 0)
        return false;
      if (previous !== undefined && (epoch <= previous.epoch || startOffset < previous.startOffset))
        return false;
      entries.push({ epoch, startOffset });
    }
    this.entries = entries;
    return true;
  }

  async checkpoint(): Promise<void> {
    await writeCheckpoint(
      this.fs,
      this.file,
      this.entries.map((e) => [e.epoch, e.startOffset]),
    );
  }
}
