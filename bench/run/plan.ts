// How long and how much each mode measures. `full` is what bench/RESULTS.md quotes; `quick`
// fits in two minutes on a 2-core machine; `tiny` (for the runner's own test) takes seconds and
// only proves that every piece runs — its figures mean nothing.
import { assert } from '@tributary/common';

export type Mode = 'full' | 'quick' | 'tiny';

export interface Profile {
  mode: Mode;
  /** Measured runs per row (medians need at least three). */
  runs: number;
  /** The warm-up run before the measured ones (connections, JIT, page cache), discarded. */
  warmupMs: number;
  durationMs: number;
  /** Records stored, then read back, by the catch-up scenario. */
  catchUpRecords: number;
  /** Fixed rates of the latency scenario, and how long one run sends at that rate. */
  latencyRatesPerSec: readonly number[];
  latencyDurationMs: number;
  latencyWarmupMs: number;
  /** Per storage-engine or raw-disk run: stop at this many bytes or this long, whichever first. */
  storageBytesMax: number;
  storageDurationMs: number;
  /** Records stored, then consumed by a consumer group over REST polls (scenario f). */
  groupPollRecords: number;
  /** How long the first members of the rebalance scenario (g) consume before one more joins. */
  rebalanceSettleMs: number;
  /** Footprint (i): partitions in the data dir of the restart, and idleness before the RSS. */
  footprintPartitions: number;
  footprintIdleMs: number;
}

const MiB = 1024 * 1024;

export const PROFILES: Readonly<Record<Mode, Profile>> = {
  full: {
    mode: 'full',
    runs: 3,
    warmupMs: 2_000,
    durationMs: 5_000,
    catchUpRecords: 1_000_000,
    latencyRatesPerSec: [1_000, 10_000, 50_000],
    // 10 s at 1k/s is 10,000 samples: p99.9 still rests on ten of them.
    latencyDurationMs: 10_000,
    latencyWarmupMs: 1_000,
    storageBytesMax: 256 * MiB,
    storageDurationMs: 1_500,
    groupPollRecords: 1_000_000,
    rebalanceSettleMs: 2_000,
    footprintPartitions: 1_000,
    footprintIdleMs: 5_000,
  },
  quick: {
    mode: 'quick',
    runs: 3,
    warmupMs: 250,
    durationMs: 600,
    catchUpRecords: 50_000,
    latencyRatesPerSec: [1_000, 10_000, 50_000],
    latencyDurationMs: 500,
    latencyWarmupMs: 200,
    storageBytesMax: 32 * MiB,
    storageDurationMs: 200,
    groupPollRecords: 50_000,
    rebalanceSettleMs: 500,
    footprintPartitions: 1_000,
    footprintIdleMs: 2_000,
  },
  tiny: {
    mode: 'tiny',
    runs: 3,
    warmupMs: 50,
    durationMs: 150,
    catchUpRecords: 3_000,
    latencyRatesPerSec: [1_000, 10_000, 50_000],
    latencyDurationMs: 100,
    latencyWarmupMs: 50,
    storageBytesMax: 2 * MiB,
    storageDurationMs: 60,
    groupPollRecords: 3_000,
    rebalanceSettleMs: 200,
    footprintPartitions: 20,
    footprintIdleMs: 200,
  },
};

/** The shapes every mode shares: what the scenarios measure, not how long. */
export const SHAPE = {
  /** Record sizes of the produce scenarios: 100 B and 1 KiB. */
  valueBytes: [100, 1024] as const,
  /** Record size of the catch-up and latency scenarios. */
  smallValueBytes: 100,
  partitions: 6,
  batchRecords: 500,
  batchConcurrency: 8,
  singleConnections: 64,
  /** Records per request (or pipeline, or publish window) when preloading the catch-up data. */
  preloadBatchRecords: 1_000,
  preloadConcurrency: 4,
  /** Records per fetch (Tributary's maximum) and per pull/XREADGROUP of the peers. */
  fetchRecords: 10_000,
  storageBatchRecords: 1_000,
  /** Unanswered publishes the latency senders allow before they wait (then latency shows it). */
  latencyInFlightMax: 10_000,
  /** Partitions of Tributary's (d) topic: one, as the peers' one subject / one stream key. */
  latencyPartitions: 1,
  /** Produce requests the Tributary latency sender has in flight at most (HTTP connections). */
  latencyProduceConnections: 8,
  /** Credit of the WebSocket catch-up subscription, topped up by half as records arrive. */
  wsCreditWindow: 10_000,
  /** Members of the REST group poll rows (f): one, and three polling in parallel. */
  groupPollMembers: [1, 3] as const,
  /** Rebalance (g): members consuming before one more joins, under this steady produce rate. */
  rebalanceMembers: 3,
  rebalanceProduceRatePerSec: 6_000,
  /** Long-poll of the rebalance members (they rarely wait: records keep arriving). */
  rebalancePollWaitMs: 1_000,
  /**
   * The peer's-best rows (a, b, c): this many load-generator processes on both cores (the peers'
   * servers are not pinned either), each driving the peer in the fastest shape found for it on
   * this machine. The NATS and Redis clients are single-threaded; one process of them, on one
   * core, saturates before the server does. Found with 1-3 processes, pinned and not, and the
   * shapes below against 64 connections of one record (b) and 8 of 500 (a): NATS multiplexes
   * many publishes over one connection; Redis pipelines over a few, as redis-benchmark -P 16.
   */
  peerBest: {
    processes: 2,
    /** Per process: connections (closed loops), and records per batch when the row sends one. */
    nats: { batched: { concurrency: 2 }, single: { concurrency: 1, batch: 64 } },
    redis: { batched: { concurrency: 2 }, single: { concurrency: 4, batch: 16 } },
  },
  /** Fixed rate of the group-subscription latency scenario (h). */
  groupLatencyRatePerSec: 10_000,
} as const;

export function profileFor(mode: Mode): Profile {
  const profile = PROFILES[mode];
  assert(profile.runs >= 3, 'medians need at least three runs');
  return profile;
}
