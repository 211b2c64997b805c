// What a load-generator child process runs: a job (which driver, with what) and a plan (warm-up,
// then N measured runs). The parent sends the plan as the first JSON line on the child's stdin,
// then one `go` line per measured run; the child answers with JSON lines on stdout. Drivers live
// in this folder, one file per system.
import { type CallOutcome, closedLoops, type LoopResult } from '../../common/closed-loop';
import { type HistogramSnapshot } from '../../common/histogram';
import { type RawMode } from '../../storage/raw-disk';

export interface DriverRun {
  records: number;
  /** Payload bytes (encoded batch bytes for the storage drivers). */
  bytes: number;
  seconds: number;
  errors: number;
  latency?: HistogramSnapshot;
  notes?: string[];
}

export interface Driver {
  /** One run; time-bounded drivers stop after `durationMs`, others when their work is done. */
  run(durationMs: number): Promise<DriverRun>;
  close(): Promise<void>;
}

/** Produce through closed loops: `concurrency` loops, each sending `batch` records and waiting. */
export interface ProduceShape {
  messageBytes: number;
  batch: number;
  concurrency: number;
  /** Stop once this many records were sent (preloading); undefined: run for the duration. */
  recordsMax?: number;
}

export type Job =
  | ({
      driver: 'http-produce';
      origin: string;
      path: string;
      /** Bearer token; the raw node:http ceiling takes none. */
      key?: string;
    } & ProduceShape)
  | {
      driver: 'tributary-fetch';
      origin: string;
      key: string;
      topic: string;
      partitions: number;
      fetchRecords: number;
      messageBytes: number;
      expectedRecords: number;
    }
  | {
      driver: 'tributary-ws-catch-up';
      origin: string;
      key: string;
      topic: string;
      /** `binary`: records frames of stored batches (docs/API.md), decoded as the page shows. */
      format: 'json' | 'binary';
      /** Credit granted with the subscription; topped up as records arrive (drivers/tributary-ws.ts). */
      creditWindow: number;
      messageBytes: number;
      expectedRecords: number;
    }
  | ({
      driver: 'tributary-ws-latency';
      origin: string;
      key: string;
      topic: string;
      partitions: number;
      /** Subscribe as a member of a fresh group `${groupPrefix}${run}`; unset: to the partitions. */
      groupPrefix?: string;
      /** Concurrent produce requests at most (HTTP connections of the sender). */
      produceConnections: number;
    } & LatencyShape)
  | {
      driver: 'tributary-group-poll';
      origin: string;
      key: string;
      topic: string;
      partitions: number;
      /** Each run is a fresh group `${groupPrefix}${run}`, read from the earliest offset. */
      groupPrefix: string;
      members: number;
      maxRecords: number;
      maxBytes: number;
      messageBytes: number;
      expectedRecords: number;
    }
  | {
      driver: 'tributary-rebalance';
      origin: string;
      key: string;
      topic: string;
      partitions: number;
      groupPrefix: string;
      /** Members consuming before the one that joins. */
      members: number;
      produceRatePerSec: number;
      messageBytes: number;
      /** How long the first members consume steadily before the next one joins. */
      settleMs: number;
      pollWaitMs: number;
      maxRecords: number;
    }
  | ({ driver: 'nats-produce'; url: string; subjects: string[] } & ProduceShape)
  | {
      driver: 'nats-catch-up';
      url: string;
      stream: string;
      subjects: string[];
      fetchRecords: number;
      messageBytes: number;
      /** Null in a share of a read split over several workers: the parent checks the sum. */
      expectedRecords: number | null;
    }
  | ({ driver: 'nats-latency'; url: string; stream: string; subjectPrefix: string } & LatencyShape)
  | ({ driver: 'redis-produce'; url: string; keys: string[]; maxLen: number } & ProduceShape)
  | {
      driver: 'redis-catch-up';
      url: string;
      keys: string[];
      fetchRecords: number;
      messageBytes: number;
      /** Null in a share of a read split over several workers: the parent checks the sum. */
      expectedRecords: number | null;
    }
  | ({ driver: 'redis-latency'; url: string; keyPrefix: string } & LatencyShape)
  | {
      driver: 'storage-append';
      rootDir: string;
      valueBytes: number;
      batchRecords: number;
      durability: 'fsync' | 'replicated';
      bytesMax: number;
    }
  | {
      driver: 'raw-disk';
      rootDir: string;
      valueBytes: number;
      batchRecords: number;
      mode: RawMode;
      bytesMax: number;
    };

/** The job of one driver, by its name. */
export type JobOf<K extends Job['driver']> = Extract<Job, { driver: K }>;

export interface LatencyShape {
  ratePerSec: number;
  messageBytes: number;
  inFlightMax: number;
}

export interface WorkerPlan {
  job: Job;
  /**
   * A discarded run first; 0 skips it (a preload). Catch-up drivers ignore the durations: each
   * of their runs (the warm-up too) reads everything stored once.
   */
  warmupMs: number;
  durationMs: number;
  runs: number;
}

/**
 * Lines the child prints, one JSON object each: `ready` before each measured run (it then waits
 * for `go` on stdin, so that several children start each run together), `run` after it, `done`
 * at the end.
 */
export type WorkerLine = { type: 'ready' } | { type: 'run'; run: DriverRun } | { type: 'done' };

/** What the parent writes on a child's stdin to start its next measured run. */
export const GO_LINE = 'go';

/**
 * One produce run of a peer driver: `shape.concurrency` closed loops, each sending a batch of
 * `shape.batch` records to target `t` (0..targets-1, round-robin over the batches, as
 * Tributary's sticky partitioner sends a request's records to one partition) and waiting.
 */
export async function produceRun(
  shape: ProduceShape,
  targets: number,
  durationMs: number,
  sendBatch: (loop: number, target: number) => Promise<CallOutcome>,
): Promise<DriverRun> {
  let batchNo = 0;
  const result = await closedLoops(
    shape.concurrency,
    { durationMs, recordsPerCall: shape.batch, recordsMax: shape.recordsMax },
    (loop) => sendBatch(loop, batchNo++ % targets),
  );
  return produced(result, shape.messageBytes);
}

/** A produce run from its closed loops: acknowledged records of `messageBytes` each. */
function produced(result: LoopResult, messageBytes: number): DriverRun {
  return {
    records: result.records,
    bytes: result.records * messageBytes,
    seconds: result.seconds,
    errors: result.errors,
    latency: result.latency,
  };
}

/**
 * A catch-up run: records read, each one missing or extra counted as an error (by the parent,
 * over the sum, when the read is split over several workers).
 */
export function caughtUp(
  records: number,
  seconds: number,
  job: { messageBytes: number; expectedRecords: number | null },
): DriverRun {
  return {
    records,
    bytes: records * job.messageBytes,
    seconds,
    errors: job.expectedRecords === null ? 0 : Math.abs(job.expectedRecords - records),
  };
}
