// The shape of one `npm run bench` run, as written to bench/results/<timestamp>.json and read
// by the terminal table, the HTML report and the test. A row is either measured (medians with
// min/max over the runs) or carries the reason it was not: a system that could not be reached
// or measured is never reported as zero.
import { type MachineInfo } from '../common/machine';
import { type Spread } from '../common/stats';

export const RESULT_SCHEMA = 'tributary-bench/1';

export type SystemName =
  'tributary' | 'nats' | 'redis' | 'raw-http' | 'storage-engine' | 'raw-disk';

/** Systems whose figures are the subject; the others are what they are compared with. */
export const SUBJECT_SYSTEMS: readonly SystemName[] = ['tributary', 'storage-engine'];

/**
 * What an acknowledgement means for the stored record, so that an in-memory peer is never read
 * as if it were durable: `fsync` on disk before the ack; `replicated` and `page-cache` written
 * to the OS page cache (lost by a machine crash unless replicated elsewhere); `memory` kept in
 * the process only; `none` not stored at all.
 */
export type Durability = 'fsync' | 'replicated' | 'page-cache' | 'memory' | 'none' | 'unknown';

export interface LatencyFigures {
  p50: number;
  p99: number;
  p999: number;
  max: number;
  samples: number;
}

/** One measured run as the report keeps it. */
export interface RunFigures {
  records: number;
  bytes: number;
  seconds: number;
  errors: number;
  latencyMs?: LatencyFigures;
}

export interface ServerUsage {
  /** CPU used by the server process over the measured runs, % of one core. */
  cpuPercent: number | null;
  peakRssMb: number | null;
  /** Why a figure is missing, or how it was taken. */
  note?: string;
}

export interface RowIdentity {
  system: SystemName;
  /** Short name of this row among its scenario's rows of the same system (durability, transport). */
  variant: string;
  /** Rows of the same group are compared with each other (same payload and shape). */
  group: string;
  durability: Durability;
  durabilityNote: string;
  /** What one run does: sizes, batch, concurrency, counts. */
  workload: string;
  messageBytes: number;
  /**
   * Peer rows only: `same` drives the peer as Tributary is driven (one load-generator process,
   * the same connections and batches); `best` at what this machine gets out of it (several
   * load-generator processes, Redis pipelined as redis-benchmark does). Absent: `same`.
   */
  clientShape?: 'same' | 'best';
}

export interface MeasuredRow extends RowIdentity {
  status: 'ok';
  runs: RunFigures[];
  recordsPerSecond: Spread;
  /** Payload bytes per second, 10^6 bytes (encoded batch bytes for the storage scenario). */
  mbPerSecond: Spread;
  /** Per request or batch for closed loops; produce-to-delivery for the latency scenario. */
  latencyMs?: { p50: Spread; p99: Spread; p999: Spread };
  errors: number;
  server: ServerUsage;
  notes: string[];
}

export interface UnmeasuredRow extends RowIdentity {
  /** `skipped`: not measurable here (peer unreachable, endpoint missing); `failed`: it broke. */
  status: 'skipped' | 'failed';
  reason: string;
}

export type Row = MeasuredRow | UnmeasuredRow;

export interface ScenarioResult {
  id: string;
  title: string;
  /** Message sizes, counts, concurrency and run lengths, in words. */
  description: string;
  /** `throughput`: higher is better; `latency`: compare the percentiles, lower is better. */
  metric: 'throughput' | 'latency';
  /** What the latency columns measure, when it is not produce -> delivery or per request. */
  latencyMeaning?: string;
  rows: Row[];
  seconds: number;
}

export interface PeerSummary {
  name: 'nats' | 'redis' | 'raw-http';
  status: 'ok' | 'skipped';
  reason?: string;
  address: string;
  version?: string;
  durability: Durability;
  durabilityNote: string;
  /** How its CPU and RSS were found (pid by process name), or why they are n/a. */
  serverWatch: string;
}

/** Start-up time to ready and the idle RSS after it, over the profile's runs. */
export interface StartupFigures {
  label: string;
  /** Partitions in the data dir when the node starts. */
  partitions: number;
  readyMs: Spread;
  idleRssMb: Spread;
  runs: { readyMs: number; idleRssMb: number }[];
}

/** Scenario (i): how fast a node is ready and how much memory it holds, beside the peers'. */
export interface FootprintResult {
  /** How long each node stayed idle before its RSS was read. */
  idleMs: number;
  starts: StartupFigures[];
  /** The highest peak RSS (VmHWM) of the Tributary node over the other scenarios' rows. */
  peakRssUnderLoadMb: number | null;
  peers: { name: string; rssMb: number | null; note: string }[];
}

export interface BenchResult {
  schema: typeof RESULT_SCHEMA;
  mode: 'full' | 'quick' | 'tiny';
  command: string;
  startedAt: string;
  finishedAt: string;
  seconds: number;
  machine: MachineInfo;
  method: string[];
  peers: PeerSummary[];
  scenarios: ScenarioResult[];
  /** Present when scenario (i) ran. */
  footprint?: FootprintResult;
  /** The earlier run this one was shown beside (`--baseline`), when there was one. */
  baseline?: { file: string; startedAt: string; command: string };
}
