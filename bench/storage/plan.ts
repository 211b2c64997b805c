// What the storage bench measures (the cell matrix and the raw loops) and the shape of what it
// collects, shared by the runner (storage.bench.ts) and the report (storage-report.ts).
import { type Durability } from '@tributary/storage';
import { type AppendLimits, type AppendRun, type CellSpec, type ReadRun } from './append-bench';
import { type CrcResult } from './crc32c-js';
import { type RawLimits, type RawMode, type RawRun } from './raw-disk';

export const HEADING = '## Storage engine (bench/storage)';
export const COMMAND = 'npm run bench:storage';
export const VALUE_BYTES = [100, 1024] as const;
export const BATCH_RECORDS = [1, 100, 1000] as const;
export const DURABILITIES: readonly Durability[] = ['fsync', 'replicated'];
export const APPENDERS = [1, 100] as const;
export const RAW_MODES: readonly RawMode[] = [
  'write',
  'write+fdatasync',
  'writev-group+fdatasync',
  'fsp-write',
  'fsp-write+datasync',
];
/** Runs of every measurement; the report shows the median and the min-max. */
export const RUNS = 3;
/** Batch size of the cells compared with raw writes, whose chunks are such batches. */
export const COMPARED_BATCH_RECORDS = 1000;
export const TARGET_RAW_RATIO = 0.8;
export const TARGET_FSYNC_RATIO = 0.5;

export interface Profile {
  append: AppendLimits;
  raw: RawLimits;
  crcMs: number;
}

export interface Measurements {
  profile: Profile;
  tmpDir: string;
  startedAt: Date;
  totalSeconds: number;
  /** Encoded batch size per shapeKey. */
  batchBytes: Map<string, number>;
  /** Chunks per group in the raw group mode, per value size. */
  rawGroupChunks: Map<number, number>;
  cells: Map<string, AppendRun[]>;
  raw: Map<string, RawRun[]>;
  reads: Map<string, ReadRun[]>;
  /** Per 1000-record cellKey: its raw reference loop, run just before each of its runs. */
  pairedRaw: Map<string, RawRun[]>;
  /** Per 1000-record cellKey: engine MB/s / paired raw MB/s, one per run. */
  pairedRatios: Map<string, number[]>;
  crc: CrcResult[];
  /** cellKey / rawKey of measurements with a run kept although other processes were busy. */
  contended: Set<string>;
  contention: { retries: number; contendedRuns: number; waitedSeconds: number };
}

export const cellKey = (c: CellSpec): string =>
  `${c.valueBytes}|${c.batchRecords}|${c.durability}|${c.appenders}`;
export const shapeKey = (valueBytes: number, batchRecords: number): string =>
  `${valueBytes}|${batchRecords}`;
export const rawKey = (valueBytes: number, mode: RawMode): string => `${valueBytes}|${mode}`;

export function allCells(): CellSpec[] {
  const cells: CellSpec[] = [];
  for (const valueBytes of VALUE_BYTES) {
    for (const batchRecords of BATCH_RECORDS) {
      for (const durability of DURABILITIES) {
        for (const appenders of APPENDERS)
          cells.push({ valueBytes, batchRecords, durability, appenders });
      }
    }
  }
  return cells;
}

/**
 * The raw loop each cell is compared with: page-cache writes for `replicated`; for `fsync`,
 * one fdatasync per batch for a single appender (it cannot do better), one per group of
 * batches for 100 appenders (group commit's best case).
 */
export function rawReference(spec: Pick<CellSpec, 'durability' | 'appenders'>): RawMode {
  if (spec.durability === 'replicated') return 'write';
  return spec.appenders === 1 ? 'write+fdatasync' : 'writev-group+fdatasync';
}
