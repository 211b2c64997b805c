// Parent side of a measurement: starts load-generator children (worker.ts) on their core, hands
// each its plan, starts their measured runs together, and while they report them, watches the
// server process: CPU time from /proc between the first run's start and "done", and the peak
// resident set (VmHWM reset
// when the server is ours, otherwise VmRSS sampled every SAMPLE_MS).
import { type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { exited, procUsage, resetPeakRss, spawnPinned, stopChild } from '../common/processes';
import { type Cleanup } from './cleanup';
import { assert } from '@tributary/common';
import { Histogram } from '../common/histogram';
import { type DriverRun, GO_LINE, type WorkerLine, type WorkerPlan } from './drivers/driver';
import { type ServerUsage } from './results';

const SAMPLE_MS = 50;
/** Bytes of a child's stderr kept for the error message: the end is what explains a failure. */
const STDERR_TAIL_BYTES = 4096;
/** A worker that outlives its plan by this much is stuck; it is killed and the row fails. */
const WORKER_SLACK_MS = 120_000;

/** The server process whose CPU and memory a row reports, when there is one to watch. */
export interface WatchedServer {
  pid: number;
  /** Ours (a child): its VmHWM may be reset per scenario. Someone else's: VmRSS is sampled. */
  ownChild: boolean;
}

export interface Measured {
  runs: DriverRun[];
  server: ServerUsage;
}

class UsageWindow {
  private startCpuSeconds = 0;
  private startMs = 0;
  private peakRssMb = 0;
  private hwmReset = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly server: WatchedServer) {}

  start(): void {
    this.hwmReset = this.server.ownChild && resetPeakRss(this.server.pid);
    const usage = procUsage(this.server.pid);
    this.startCpuSeconds = usage.cpuSeconds;
    this.startMs = performance.now();
    this.peakRssMb = usage.rssMb;
    this.timer = setInterval(() => {
      try {
        this.peakRssMb = Math.max(this.peakRssMb, procUsage(this.server.pid).rssMb);
      } catch {
        // the server is gone; the row will fail on its own
      }
    }, SAMPLE_MS);
  }

  /** Stops sampling without a figure: the measurement broke off. */
  abandon(): void {
    clearInterval(this.timer);
  }

  stop(): ServerUsage {
    clearInterval(this.timer);
    const usage = procUsage(this.server.pid);
    const seconds = (performance.now() - this.startMs) / 1000;
    return {
      cpuPercent: ((usage.cpuSeconds - this.startCpuSeconds) / seconds) * 100,
      peakRssMb: Math.max(this.peakRssMb, usage.rssMb, this.hwmReset ? usage.peakRssMb : 0),
      note: this.hwmReset ? 'VmHWM over the measured runs' : `VmRSS sampled every ${SAMPLE_MS} ms`,
    };
  }
}

function planBudgetMs(plan: WorkerPlan): number {
  return plan.warmupMs + plan.runs * plan.durationMs + WORKER_SLACK_MS;
}

/**
 * Runs `plan` in a worker pinned to `core`; resolves with the measured runs and the server's
 * usage over them (n/a with the reason when there is no server to watch).
 */
export function runWorker(
  plan: WorkerPlan,
  core: number | 'all',
  server: WatchedServer | { reason: string },
  cleanup: Cleanup,
): Promise<Measured> {
  return runWorkers([plan], core, server, cleanup);
}

/**
 * Runs several plans at once, one worker process each, all on `core` (or all cores): each measured run
 * starts in every worker together (each says `ready`, then all get `go`), and the runs of the
 * same index are added up into one (records, bytes and errors summed, the longest time, the
 * latency histograms merged). `expectedRecords`, when set, replaces the workers' own counts of
 * missing records by the difference between it and the sum: catch-up shares do not know what
 * their part of the stream holds.
 */
export async function runWorkers(
  plans: readonly WorkerPlan[],
  core: number | 'all',
  server: WatchedServer | { reason: string },
  cleanup: Cleanup,
  expectedRecords?: number,
): Promise<Measured> {
  assert(plans.length > 0, 'no worker plans');
  const runs = plans[0]!.runs;
  assert(
    plans.every((p) => p.runs === runs),
    'workers run together: every plan has the same number of runs',
  );
  const children = plans.map((plan) => {
    const child = new WorkerChild(
      spawnPinned(core, [path.join(__dirname, 'worker.js')], process.env, ['pipe', 'pipe', 'pipe']),
    );
    const stop = cleanup.add(`load generator ${child.pid}`, () => stopChild(child.process, 2_000));
    child.start(plan);
    return { child, stop };
  });
  const budgetMs = Math.max(...plans.map(planBudgetMs));
  const timer = setTimeout(() => children.forEach(({ child }) => child.kill()), budgetMs);
  const window = 'pid' in server ? new UsageWindow(server) : undefined;
  let usage: ServerUsage = {
    cpuPercent: null,
    peakRssMb: null,
    note: 'reason' in server ? server.reason : undefined,
  };
  let done = false;
  try {
    const merged: DriverRun[] = [];
    for (let run = 0; run < runs; run++) {
      await Promise.all(children.map(({ child }) => child.expect('ready')));
      if (run === 0) window?.start();
      for (const { child } of children) child.go();
      const each = await Promise.all(children.map(({ child }) => child.expect('run')));
      merged.push(mergeRuns(each.map((line) => line.run)));
    }
    await Promise.all(children.map(({ child }) => child.expect('done')));
    if (window !== undefined) usage = window.stop();
    done = true;
    await Promise.all(children.map(({ child }) => child.finished()));
    return {
      runs:
        expectedRecords === undefined
          ? merged
          : merged.map((r) => ({ ...r, errors: Math.abs(expectedRecords - r.records) })),
      server: usage,
    };
  } finally {
    clearTimeout(timer);
    if (!done) window?.abandon();
    await Promise.all(children.map(({ stop }) => stop()));
  }
}

/** Runs of the same index in several workers, as one run. */
function mergeRuns(runs: DriverRun[]): DriverRun {
  if (runs.length === 1) return runs[0]!;
  const latencies = runs.map((r) => r.latency).filter((l) => l !== undefined);
  let latency: Histogram | undefined;
  for (const snapshot of latencies) {
    const h = Histogram.fromSnapshot(snapshot);
    if (latency === undefined) latency = h;
    else latency.merge(h);
  }
  const notes = [...new Set(runs.flatMap((r) => r.notes ?? []))];
  return {
    records: runs.reduce((sum, r) => sum + r.records, 0),
    bytes: runs.reduce((sum, r) => sum + r.bytes, 0),
    seconds: Math.max(...runs.map((r) => r.seconds)),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    ...(latency === undefined || latencies.length !== runs.length
      ? {}
      : { latency: latency.snapshot() }),
    ...(notes.length === 0 ? {} : { notes }),
  };
}

/** One load-generator child: its plan in, its lines out, and its stderr's end for errors. */
class WorkerChild {
  private stderr = '';
  private readonly lines: AsyncIterator<string>;

  constructor(readonly process: ChildProcess) {
    this.process.stderr!.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-STDERR_TAIL_BYTES);
    });
    this.lines = readline.createInterface({ input: this.process.stdout! })[Symbol.asyncIterator]();
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  start(plan: WorkerPlan): void {
    this.process.stdin!.write(`${JSON.stringify(plan)}\n`);
  }

  go(): void {
    this.process.stdin!.write(`${GO_LINE}\n`);
  }

  kill(): void {
    this.process.kill('SIGKILL');
  }

  /** The child's next line, which must be of this type; its failure when it has none. */
  async expect<T extends WorkerLine['type']>(type: T): Promise<Extract<WorkerLine, { type: T }>> {
    const next = await this.lines.next();
    if (next.done === true) {
      await exited(this.process);
      throw this.failure();
    }
    const line = JSON.parse(next.value) as WorkerLine;
    assert(line.type === type, `load generator said ${line.type}, expected ${type}`);
    return line as Extract<WorkerLine, { type: T }>;
  }

  async finished(): Promise<void> {
    this.process.stdin!.end();
    await exited(this.process);
    if (this.process.exitCode !== 0) throw this.failure();
  }

  private failure(): Error {
    const how = this.process.signalCode ?? `exit code ${this.process.exitCode}`;
    return new Error(`load generator failed (${how}): ${lastLine(this.stderr)}`);
  }
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  // The first line of a stack trace names the error; deeper lines are frames.
  const errorLine = lines.find((l) => /Error\b/.test(l));
  return (errorLine ?? lines.at(-1) ?? 'no output').trim();
}
