// All partition logs of one data dir (Kafka's LogManager): the data-dir lock, one shared pool
// of file handles bounding open descriptors, opening (with recovery) and deleting logs, and
// the background retention and checkpoint passes.
import * as path from 'node:path';
import { assert, BrokerError, type Clock, LIMITS, systemClock } from '@tributary/common';
import { lockDataDir } from './data-dir-lock';
import { DiskFileSystem } from './disk-file-system';
import { type FileSystem } from './file-system';
import { HandlePool } from './handle-pool';
import { type LoadStats, PARTITION_CHECKPOINT } from './log-loader';
import { DEFAULT_LOG_CONFIG, type LogConfig } from './log-config';
import { PartitionLog } from './partition-log';

/** A log's directory, relative to the data dir: one or two safe path components. */
const LOG_NAME = /^(?!\.{1,2}(\/|$))[A-Za-z0-9._-]+(\/(?!\.{1,2}$)[A-Za-z0-9._-]+)?$/;

export interface LogManagerOptions {
  dataDir: string;
  fs?: FileSystem;
  clock?: Clock;
  maxOpenFiles?: number;
  pendingAppendBytesMax?: number;
  /** How often retention runs; 0 disables the timer (tests call applyRetention). */
  retentionCheckIntervalMs?: number;
  /** How often recovery points are checkpointed; 0 disables the timer. */
  checkpointIntervalMs?: number;
  /** Told what loading each log found (a cut means damage or a torn tail was removed). */
  onLoaded?: (name: string, stats: LoadStats) => void;
}

export class LogManager {
  private readonly logs = new Map<string, PartitionLog>();
  private readonly opening = new Map<string, Promise<PartitionLog>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;

  private constructor(
    private readonly options: Required<Omit<LogManagerOptions, 'clock' | 'onLoaded'>> &
      Pick<LogManagerOptions, 'onLoaded'> & { clock: Clock },
    readonly pool: HandlePool,
    private readonly unlock: () => Promise<void>,
  ) {
    this.every(options.retentionCheckIntervalMs, () => this.applyRetention());
    this.every(options.checkpointIntervalMs, () => this.checkpointAll());
  }

  static async open(options: LogManagerOptions): Promise<LogManager> {
    const fs = options.fs ?? new DiskFileSystem();
    const resolved = {
      dataDir: path.resolve(options.dataDir),
      fs,
      clock: options.clock ?? systemClock,
      maxOpenFiles: options.maxOpenFiles ?? LIMITS.openSegmentsMax,
      pendingAppendBytesMax: options.pendingAppendBytesMax ?? LIMITS.pendingAppendBytesMax,
      retentionCheckIntervalMs: options.retentionCheckIntervalMs ?? 5 * 60_000,
      checkpointIntervalMs: options.checkpointIntervalMs ?? 60_000,
      onLoaded: options.onLoaded,
    };
    const unlock = await lockDataDir(fs, resolved.dataDir);
    return new LogManager(resolved, new HandlePool(fs, resolved.maxOpenFiles), unlock);
  }

  get dataDir(): string {
    return this.options.dataDir;
  }

  get(name: string): PartitionLog | undefined {
    return this.logs.get(name);
  }

  names(): string[] {
    return [...this.logs.keys()];
  }

  /**
   * Opens (recovering if needed) or creates the log `name` with `config`. With
   * `highWatermarkFollowsEnd` false, its owner moves the high watermark (a replicated
   * partition), and hears of every write as well as of every acknowledgement.
   */
  async openLog(
    name: string,
    config: LogConfig = DEFAULT_LOG_CONFIG,
    highWatermarkFollowsEnd = true,
  ): Promise<PartitionLog> {
    this.checkName(name);
    const open = this.logs.get(name);
    if (open !== undefined) return open;
    let pending = this.opening.get(name);
    if (pending === undefined) {
      pending = PartitionLog.open({
        dir: path.join(this.options.dataDir, name),
        fs: this.options.fs,
        pool: this.pool,
        clock: this.options.clock,
        config,
        pendingAppendBytesMax: this.options.pendingAppendBytesMax,
        highWatermarkFollowsEnd,
      });
      this.opening.set(name, pending);
    }
    try {
      const log = await pending;
      if (!this.logs.has(name)) this.options.onLoaded?.(name, log.loadStats);
      this.logs.set(name, log);
      return log;
    } finally {
      this.opening.delete(name);
    }
  }

  /** Names of the log directories present on disk (opened or not). */
  async listOnDisk(): Promise<string[]> {
    const found: string[] = [];
    const visit = async (relative: string, depth: number): Promise<void> => {
      const dir = path.join(this.options.dataDir, relative);
      const entries = await this.options.fs.readdir(dir).catch(() => null);
      if (entries === null) return; // a file, not a directory
      if (entries.includes(PARTITION_CHECKPOINT)) {
        found.push(relative);
        return;
      }
      if (depth === 2) return;
      for (const entry of entries) {
        const child = relative === '' ? entry : `${relative}/${entry}`;
        if (!entry.startsWith('.') && LOG_NAME.test(child)) await visit(child, depth + 1);
      }
    };
    await visit('', 0);
    return found.sort();
  }

  /** Closes and removes a log and its data. */
  async deleteLog(name: string): Promise<void> {
    this.checkName(name);
    const log = this.logs.get(name) ?? (await this.openLog(name));
    this.logs.delete(name);
    await log.delete();
  }

  async applyRetention(): Promise<number> {
    let deleted = 0;
    for (const log of this.logs.values()) deleted += await log.applyRetention();
    return deleted;
  }

  async checkpointAll(): Promise<void> {
    for (const log of this.logs.values()) await log.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    await Promise.all([...this.logs.values()].map((log) => log.close()));
    this.logs.clear();
    await this.pool.closeAll();
    await this.unlock();
  }

  private checkName(name: string): void {
    if (!LOG_NAME.test(name)) {
      throw new BrokerError('INVALID_REQUEST', `invalid log name ${JSON.stringify(name)}`);
    }
    assert(!this.closed, 'log manager is closed');
  }

  private every(intervalMs: number, task: () => Promise<unknown>): void {
    if (intervalMs <= 0) return;
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      task()
        .catch(() => undefined)
        .finally(() => {
          running = false;
        });
    }, intervalMs);
    timer.unref();
    this.timers.push(timer);
  }
}
