// Child processes of a bench and what /proc says about them: servers and load generators are
// pinned to separate cores with taskset (when there is one and two cores to pin to), and a
// server's CPU time and peak RSS are read from /proc/<pid> around each measurement.
import { type ChildProcess, execFileSync, spawn, type StdioOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';

/** USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s on every Linux we run on. */
const TICKS_PER_SECOND = 100;

export const hasTaskset: boolean = (() => {
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    return os.cpus().length >= 2;
  } catch {
    return false;
  }
})();

/**
 * Pins this process (its threads included) to `core`, as the load generators are: a bench
 * that measures from its own process (the long-poll wake-up) must not share the server's core.
 */
export function pinSelf(core: number): void {
  if (hasTaskset) {
    execFileSync('taskset', ['-a', '-p', '-c', String(core), String(process.pid)], {
      stdio: 'ignore',
    });
  }
}

function coreList(core: number | 'all'): string {
  return core === 'all' ? `0-${os.availableParallelism() - 1}` : String(core);
}

/**
 * `node <args>` on one core, or on every core with `all` (when taskset is usable: a child of a
 * pinned process would otherwise keep its parent's core), stdout piped, stderr as given.
 */
export function spawnPinned(
  core: number | 'all',
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  stdio: StdioOptions = ['ignore', 'pipe', 'inherit'],
): ChildProcess {
  const [command, ...rest] = hasTaskset
    ? ['taskset', '-c', coreList(core), process.execPath, ...args]
    : [process.execPath, ...args];
  const child = spawn(command, rest, { env, stdio });
  // A child that cannot start, or dies before reading its stdin, shows as its exit (exited());
  // unhandled, these 'error' events would crash the bench instead.
  child.on('error', () => undefined);
  child.stdin?.on('error', () => undefined);
  return child;
}

export interface ProcUsage {
  /** User + system CPU time since the process started. */
  cpuSeconds: number;
  /** VmHWM: the peak resident set (since start, or since the last resetPeakRss). */
  peakRssMb: number;
  /** VmRSS: the resident set now. */
  rssMb: number;
}

/** CPU seconds used and resident memory of a process, from /proc (throws if it is gone). */
export function procUsage(pid: number): ProcUsage {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number =>
    Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return {
    cpuSeconds: ticks / TICKS_PER_SECOND,
    peakRssMb: kb('VmHWM') / 1024,
    rssMb: kb('VmRSS') / 1024,
  };
}

/** Resets VmHWM so that the next peak covers one scenario; false when not permitted. */
export function resetPeakRss(pid: number): boolean {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * The pid of the one process whose command name is `comm` (as in /proc/<pid>/comm), or a
 * sentence saying why there is none to watch: none running, or several (then which is the
 * server the bench talks to is not known from the name alone).
 */
export function findProcessByName(comm: string): { pid: number } | { reason: string } {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) pids.push(Number(entry));
    } catch {
      // the process ended while we listed /proc
    }
  }
  if (pids.length === 1) return { pid: pids[0]! };
  return {
    reason:
      pids.length === 0 ? `no ${comm} process on this machine` : `${pids.length} ${comm} processes`,
  };
}

/** What a bench process prints when it fails: the stack when there is one. */
export function failureText(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** Resolves when the child has exited, or could not be started (at once if either happened). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
}

/** SIGTERM, then SIGKILL if the child is still there after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited(child);
  clearTimeout(timer);
}
