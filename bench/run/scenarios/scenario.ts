// What every scenario module gets (the node, the peers, the profile) and the few steps they all
// take: run a plan in a load-generator child and turn its runs into a row, or say why a row
// could not be measured; create a topic, stream or key set for one row and remove it after.
import { Histogram } from '../../common/histogram';
import { spread } from '../../common/stats';
import { Aborted, type Cleanup } from '../cleanup';
import { type DriverRun, type WorkerPlan } from '../drivers/driver';
import { runWorker, runWorkers, type WatchedServer } from '../measure';
import { type NatsPeer } from '../peers/nats';
import { errorText, type PeerUnavailable } from '../peers/peer';
import { type RawHttpServer } from '../peers/raw-http';
import { type RedisPeer } from '../peers/redis';
import { type Profile } from '../plan';
import {
  type LatencyFigures,
  type MeasuredRow,
  type Row,
  type RowIdentity,
  type RunFigures,
  type ScenarioResult,
} from '../results';
import { type TributaryNode } from '../tributary-node';

/** Servers on one core, load generators on the other (when taskset can pin them). */
export const SERVER_CORE = 0;
export const LOAD_CORE = 1;
/** Distinct notes kept per row; runs often repeat the same one. */
const NOTES_MAX = 4;

export interface BenchContext {
  profile: Profile;
  /** Prefix of every NATS stream and Redis key this run creates: `trb-bench-<pid>-`. */
  prefix: string;
  node: TributaryNode;
  nats: NatsPeer | PeerUnavailable;
  redis: RedisPeer | PeerUnavailable;
  rawHttp: RawHttpServer | { reason: string };
  /** A directory on the node's data-dir file system, for the storage scenario. */
  scratchDir: string;
  cleanup: Cleanup;
  progress(message: string): void;
}

export interface Scenario {
  id: string;
  title: string;
  metric: ScenarioResult['metric'];
  /** What the latency columns measure, when it is not produce -> delivery or per request. */
  latencyMeaning?: string;
  describe(profile: Profile): string;
  rows(ctx: BenchContext): Promise<Row[]>;
}

export function nodeServer(ctx: BenchContext): WatchedServer {
  return { pid: ctx.node.pid, ownChild: true };
}

export function sizeLabel(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} B`;
}

export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(2))} s`;
}

/** The usual plan: warm-up, then the profile's runs of its duration. */
export function timedPlan(ctx: BenchContext, job: WorkerPlan['job']): WorkerPlan {
  const { warmupMs, durationMs, runs } = ctx.profile;
  return { job, warmupMs, durationMs, runs };
}

export function skipped(identity: RowIdentity, reason: string): Row {
  return { ...identity, status: 'skipped', reason };
}

/**
 * A measured row, or a failed one carrying the error. Rows whose runs acknowledged nothing are
 * failures too: a system that did not work is never reported as zero.
 */
export async function measureRow(
  ctx: BenchContext,
  identity: RowIdentity,
  measure: () => Promise<{ runs: DriverRun[]; server: MeasuredRow['server'] }>,
): Promise<Row> {
  ctx.progress(`  ${identity.system} ${identity.variant} (${identity.group})`);
  try {
    const measured = await measure();
    if (measured.runs.every((r) => r.records === 0)) {
      const errors = measured.runs.reduce((sum, r) => sum + r.errors, 0);
      return {
        ...identity,
        status: 'failed',
        reason: `no records acknowledged (${errors} errors)`,
      };
    }
    return summarize(identity, measured.runs, measured.server);
  } catch (error) {
    if (error instanceof Aborted) throw error;
    ctx.progress(`    failed: ${errorText(error)}`);
    return { ...identity, status: 'failed', reason: errorText(error) };
  }
}

/** Runs `plan` on the load core while watching `server`. */
export function onLoadCore(
  ctx: BenchContext,
  plan: WorkerPlan,
  server: WatchedServer | { reason: string },
) {
  return runWorker(plan, LOAD_CORE, server, ctx.cleanup);
}

/**
 * Runs several plans at once on every core, one process each, their runs started together and
 * added up (measure.ts): how the peer's-best rows drive a peer.
 */
export function onAllCores(
  ctx: BenchContext,
  plans: readonly WorkerPlan[],
  server: WatchedServer | { reason: string },
  expectedRecords?: number,
) {
  return runWorkers(plans, 'all', server, ctx.cleanup, expectedRecords);
}

/** Creates a resource for one row, and removes it after the row (or on Ctrl-C meanwhile). */
export async function scoped<T, R>(
  ctx: BenchContext,
  name: string,
  create: () => Promise<T>,
  remove: (resource: T) => Promise<void>,
  use: (resource: T) => Promise<R>,
): Promise<R> {
  const resource = await create();
  const undo = ctx.cleanup.add(name, () => remove(resource));
  try {
    return await use(resource);
  } finally {
    await undo();
  }
}

function latencyOf(run: DriverRun): LatencyFigures | undefined {
  if (run.latency === undefined || run.latency.count === 0) return undefined;
  const h = Histogram.fromSnapshot(run.latency);
  return {
    p50: h.percentileMs(50),
    p99: h.percentileMs(99),
    p999: h.percentileMs(99.9),
    max: h.maxMs,
    samples: h.count,
  };
}

function summarize(
  identity: RowIdentity,
  driverRuns: DriverRun[],
  server: MeasuredRow['server'],
): MeasuredRow {
  const runs: RunFigures[] = driverRuns.map((r) => {
    const latencyMs = latencyOf(r);
    return {
      records: r.records,
      bytes: r.bytes,
      seconds: r.seconds,
      errors: r.errors,
      ...(latencyMs === undefined ? {} : { latencyMs }),
    };
  });
  const latencies = runs.map((r) => r.latencyMs).filter((l) => l !== undefined);
  const notes = [...new Set(driverRuns.flatMap((r) => r.notes ?? []))].slice(0, NOTES_MAX);
  return {
    ...identity,
    status: 'ok',
    runs,
    recordsPerSecond: spread(runs.map((r) => r.records / r.seconds)),
    mbPerSecond: spread(runs.map((r) => r.bytes / 1e6 / r.seconds)),
    ...(latencies.length === runs.length
      ? {
          latencyMs: {
            p50: spread(latencies.map((l) => l.p50)),
            p99: spread(latencies.map((l) => l.p99)),
            p999: spread(latencies.map((l) => l.p999)),
          },
        }
      : {}),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    server,
    notes,
  };
}
