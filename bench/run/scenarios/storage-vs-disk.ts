// (e) The storage engine alone against the disk: a PartitionLog appending 1000-record batches
// (one appender, no HTTP, no JSON) beside a raw sequential write of the same encoded batches
// into one file on the same file system — `write+fdatasync` for fsync durability, `write` for
// replicated. Both come from bench/storage; here they run in a child on the server core.
import { num } from '../../common/format';
import { type RawMode } from '../../storage/raw-disk';
import { type Profile, SHAPE } from '../plan';
import { type Row, type RowIdentity } from '../results';
import { TRIBUTARY_DURABILITY_NOTES } from './produce-rows';
import { type BenchContext, measureRow, type Scenario, SERVER_CORE, sizeLabel } from './scenario';
import { runWorker } from '../measure';

const DURABILITIES = ['fsync', 'replicated'] as const;
const RAW_MODE: Record<(typeof DURABILITIES)[number], RawMode> = {
  fsync: 'write+fdatasync',
  replicated: 'write',
};
const IN_PROCESS = { reason: 'in-process: the engine runs inside the measuring process' };

function plan(ctx: BenchContext, job: Parameters<typeof runWorker>[0]['job']) {
  const p = ctx.profile;
  return { job, warmupMs: p.storageDurationMs, durationMs: p.storageDurationMs, runs: p.runs };
}

async function pair(
  ctx: BenchContext,
  valueBytes: number,
  durability: (typeof DURABILITIES)[number],
): Promise<Row[]> {
  const group = `${sizeLabel(valueBytes)}, ${durability}`;
  const batch = `${num(SHAPE.storageBatchRecords)} x ${sizeLabel(valueBytes)} batches`;
  const common = { rootDir: ctx.scratchDir, valueBytes, batchRecords: SHAPE.storageBatchRecords };
  const engine: RowIdentity = {
    system: 'storage-engine',
    variant: durability,
    group,
    durability,
    durabilityNote: TRIBUTARY_DURABILITY_NOTES[durability],
    workload: `PartitionLog.append of ${batch}, 1 appender`,
    messageBytes: valueBytes,
  };
  const raw: RowIdentity = {
    system: 'raw-disk',
    variant: RAW_MODE[durability],
    group,
    durability: durability === 'fsync' ? 'fsync' : 'page-cache',
    durabilityNote:
      durability === 'fsync'
        ? 'writeSync + fdatasyncSync per batch'
        : 'writeSync per batch, no sync',
    workload: `the same ${batch}, written back to back into one file`,
    messageBytes: valueBytes,
  };
  const bytesMax = ctx.profile.storageBytesMax;
  return [
    await measureRow(ctx, engine, () =>
      runWorker(
        plan(ctx, { driver: 'storage-append', ...common, durability, bytesMax }),
        SERVER_CORE,
        IN_PROCESS,
        ctx.cleanup,
      ),
    ),
    await measureRow(ctx, raw, () =>
      runWorker(
        plan(ctx, { driver: 'raw-disk', ...common, mode: RAW_MODE[durability], bytesMax }),
        SERVER_CORE,
        IN_PROCESS,
        ctx.cleanup,
      ),
    ),
  ];
}

export const storageVsDisk: Scenario = {
  id: 'e',
  title: '(e) Storage engine vs raw sequential writes',
  metric: 'throughput',
  describe: (p: Profile) =>
    `Encoded batches of ${num(SHAPE.storageBatchRecords)} records (${SHAPE.valueBytes.map(sizeLabel).join(' and ')} random values) ` +
    `appended by the storage engine alone, and the same bytes written raw, on the data dir's file system. ` +
    `A run stops at ${num(p.storageBytesMax / 2 ** 20)} MiB or ${num(p.storageDurationMs)} ms; ` +
    `${p.runs} runs after one warm-up run. MB/s counts encoded batch bytes (headers and framing included).`,
  async rows(ctx: BenchContext): Promise<Row[]> {
    const rows: Row[] = [];
    for (const valueBytes of SHAPE.valueBytes)
      for (const durability of DURABILITIES)
        rows.push(...(await pair(ctx, valueBytes, durability)));
    return rows;
  },
};
