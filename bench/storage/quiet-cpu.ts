// Guarding measurements on a shared machine: how much CPU other processes used while a run
// was timed, from /proc/stat (all CPUs) minus process.cpuUsage() (this process, every thread).
// A run that shared the 2 cores with, say, a test suite is repeated, after waiting (within a
// budget) for the machine to calm down; a run kept anyway is reported as contended.
import * as fs from 'node:fs';
import { assert } from '@tributary/common';

/** USER_HZ: /proc/stat counts in 1/100 s on every Linux we run on. */
const MS_PER_TICK = 10;

interface CpuSample {
  /** Busy core-milliseconds of the whole machine since boot. */
  busyMs: number;
  /** Core-milliseconds this process has used. */
  ownMs: number;
  atMs: number;
}

function sample(): CpuSample {
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/);
  assert(fields[0] === 'cpu', 'unexpected /proc/stat');
  // user nice system idle iowait irq softirq steal: everything but idle and iowait is busy.
  const ticks = fields.slice(1, 9).map(Number);
  const busyTicks = ticks.reduce((sum, t, i) => (i === 3 || i === 4 ? sum : sum + t), 0);
  const own = process.cpuUsage();
  return {
    busyMs: busyTicks * MS_PER_TICK,
    ownMs: (own.user + own.system) / 1000,
    atMs: performance.now(),
  };
}

/** Cores other processes kept busy between two samples (on average). */
function foreignCores(from: CpuSample, to: CpuSample): number {
  const wallMs = Math.max(1, to.atMs - from.atMs);
  return Math.max(0, to.busyMs - from.busyMs - (to.ownMs - from.ownMs)) / wallMs;
}

export interface QuietOptions {
  /** A run during which other processes used more than this is repeated. */
  foreignCoresMax: number;
  /** Repeats of one run before it is kept anyway (and counted as contended). */
  retriesMax: number;
  /** Total time the whole bench may spend waiting for a quiet machine. */
  waitBudgetMs: number;
  probeMs: number;
}

export interface Guarded<T> {
  value: T;
  foreignCores: number;
  contended: boolean;
}

export class QuietCpuGuard {
  private waitedMs = 0;
  retries = 0;
  contendedRuns = 0;

  constructor(private readonly options: QuietOptions) {
    assert(options.probeMs > 0 && options.retriesMax >= 0, 'bad quiet-CPU options');
  }

  get waitedSeconds(): number {
    return this.waitedMs / 1000;
  }

  /**
   * Runs `fn`; if other processes were busy meanwhile, waits for a quiet moment and runs it
   * again (a quiet machine pays nothing but two reads of /proc/stat).
   */
  async run<T>(fn: () => Promise<T>): Promise<Guarded<T>> {
    for (let attempt = 0; ; attempt++) {
      const before = sample();
      const value = await fn();
      const foreign = foreignCores(before, sample());
      const ok = foreign <= this.options.foreignCoresMax;
      if (ok || attempt >= this.options.retriesMax) {
        if (!ok) this.contendedRuns += 1;
        return { value, foreignCores: foreign, contended: !ok };
      }
      this.retries += 1;
      await this.waitForQuiet();
    }
  }

  private async waitForQuiet(): Promise<void> {
    while (this.waitedMs < this.options.waitBudgetMs) {
      const before = sample();
      await new Promise((resolve) => setTimeout(resolve, this.options.probeMs));
      const after = sample();
      if (foreignCores(before, after) <= this.options.foreignCoresMax / 2) return;
      this.waitedMs += after.atMs - before.atMs;
    }
  }
}
