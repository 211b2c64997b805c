// Parent side of a measurement: starts a load-generator child (worker.ts) on its core, hands it
// the plan, and while the child reports measured runs, watches the server process: CPU time
// from /proc between the child's "measuring" and "done", and the peak resident set (VmHWM reset
// when the server is ours, otherwise VmRSS sampled every SAMPLE_MS).
import { type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { exited, procUsage, resetPeakRss, spawnPinned, stopChild } from '../common/processes';
import { type Cleanup } from './cleanup';
import { type DriverRun, type WorkerLine, type WorkerPlan } from './drivers/driver';
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
export async function runWorker(
  plan: WorkerPlan,
  core: number,
  server: WatchedServer | { reason: string },
  cleanup: Cleanup,
): Promise<Measured> {
  const child = spawnPinned(core, [path.join(__dirname, 'worker.js')], process.env, [
    'pipe',
    'pipe',
    'pipe',
  ]);
  const stop = cleanup.add(`load generator ${child.pid}`, () => stopChild(child, 2_000));
  try {
    return await collect(child, plan, server);
  } finally {
    await stop();
  }
}

async function collect(
  child: ChildProcess,
  plan: WorkerPlan,
  server: WatchedServer | { reason: string },
): Promise<Measured> {
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL_BYTES);
  });
  child.stdin!.end(JSON.stringify(plan));
  const window = 'pid' in server ? new UsageWindow(server) : undefined;
  const runs: DriverRun[] = [];
  let usage: ServerUsage = {
    cpuPercent: null,
    peakRssMb: null,
    note: 'reason' in server ? server.reason : undefined,
  };
  let done = false;
  const timer = setTimeout(() => child.kill('SIGKILL'), planBudgetMs(plan));
  try {
    for await (const text of readline.createInterface({ input: child.stdout! })) {
      const line = JSON.parse(text) as WorkerLine;
      if (line.type === 'measuring') window?.start();
      else if (line.type === 'run') runs.push(line.run);
      else {
        if (window !== undefined) usage = window.stop();
        done = true;
      }
    }
    await exited(child);
  } finally {
    clearTimeout(timer);
    if (!done) window?.abandon();
  }
  if (!done || child.exitCode !== 0) {
    const how = child.signalCode ?? `exit code ${child.exitCode}`;
    throw new Error(`load generator failed (${how}): ${lastLine(stderr)}`);
  }
  return { runs, server: usage };
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  // The first line of a stack trace names the error; deeper lines are frames.
  const errorLine = lines.find((l) => /Error\b/.test(l));
  return (errorLine ?? lines.at(-1) ?? 'no output').trim();
}
