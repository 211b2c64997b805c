// Storage engine benchmark: append throughput and latency of a PartitionLog on the real disk
// (record size x batch size x durability x concurrency), read and decode throughput, the raw
// sequential write bandwidth of the same disk for comparison, and native vs JS CRC32C.
// Prints a markdown report and stores it as one section of bench/RESULTS.md.
//
//   npm run bench:storage            full run (2.5 min quiet, up to ~4 with others busy), writes bench/RESULTS.md
//   npm run build && node dist/bench/storage/storage.bench.js --quick
//                                    smoke run with tiny limits, prints only
//   TMPDIR=/dev/shm node dist/bench/storage/storage.bench.js --print
//                                    full run on another file system (here tmpfs, where a sync
//                                    costs only its threadpool hop), prints only
//
// Every measurement runs RUNS times in interleaved rounds (round 1 of everything, then round 2,
// ...), so that a burst of load from elsewhere on the machine spreads over the cells instead of
// hitting one; each figure is the median with min-max.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { assert } from '@tributary/common';
import { machineInfo } from '../common/machine';
import { encodeTemplate, runAppendCell } from './append-bench';
import { compareCrc32c } from './crc32c-js';
import {
  allCells,
  BATCH_RECORDS,
  cellKey,
  COMPARED_BATCH_RECORDS,
  DURABILITIES,
  HEADING,
  type Measurements,
  type Profile,
  RAW_MODES,
  rawKey,
  rawReference,
  RUNS,
  shapeKey,
  VALUE_BYTES,
} from './plan';
import { QuietCpuGuard, type QuietOptions } from './quiet-cpu';
import { type RawRun, rawWriteRun } from './raw-disk';
import { replaceSection } from '../common/results-md';
import { renderReport } from './storage-report';

const MiB = 1024 * 1024;
/**
 * Bytes the raw group loop writes before each fdatasync: what one sync of group commit
 * covers when 100 appenders each have a large batch waiting.
 */
const RAW_GROUP_BYTES_MAX = 8 * MiB;

const FULL: Profile = {
  append: { bytesMax: 256 * MiB, durationMs: 1_500, pendingAppendBytesMax: 256 * MiB },
  raw: { bytesMax: 256 * MiB, durationMs: 1_500 },
  crcMs: 500,
};

/** A run during which other processes kept 0.3 cores busy is run again (at most twice). */
const QUIET: QuietOptions = {
  foreignCoresMax: 0.3,
  retriesMax: 2,
  waitBudgetMs: 30_000,
  probeMs: 250,
};

const QUICK: Profile = {
  append: { bytesMax: 8 * MiB, durationMs: 150, pendingAppendBytesMax: 256 * MiB },
  raw: { bytesMax: 8 * MiB, durationMs: 150 },
  crcMs: 50,
};

function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/**
 * Discarded runs before the measured rounds: a page-cache write (here the first few hundred MB
 * a process writes are several times slower, whatever loop writes them), then short cells of
 * every batch shape so that no measured cell pays for the JIT.
 */
async function warmUp(
  tmpDir: string,
  templates: Map<string, Buffer>,
  profile: Profile,
): Promise<void> {
  const chunk = templates.get(shapeKey(1024, COMPARED_BATCH_RECORDS))!;
  await rawWriteRun(tmpDir, chunk, 'write', 1, profile.raw);
  const limits = {
    ...profile.append,
    bytesMax: 32 * MiB,
    durationMs: Math.min(300, profile.append.durationMs),
  };
  for (const batchRecords of BATCH_RECORDS) {
    for (const durability of DURABILITIES) {
      const spec = { valueBytes: 1024, batchRecords, durability, appenders: 100 };
      await runAppendCell(tmpDir, spec, templates.get(shapeKey(1024, batchRecords))!, limits, 0);
    }
  }
}

async function rawRound(
  m: Measurements,
  guard: QuietCpuGuard,
  templates: Map<string, Buffer>,
  round: number,
): Promise<void> {
  for (const v of VALUE_BYTES) {
    const chunk = templates.get(shapeKey(v, COMPARED_BATCH_RECORDS))!;
    for (const mode of RAW_MODES) {
      const key = rawKey(v, mode);
      const {
        value: run,
        foreignCores,
        contended,
      } = await guard.run(() =>
        rawWriteRun(m.tmpDir, chunk, mode, m.rawGroupChunks.get(v)!, m.profile.raw),
      );
      push(m.raw, key, run);
      if (contended) m.contended.add(key);
      progress(
        `[${round}/${RUNS}] raw ${v} B ${mode}: ${(run.bytes / 1e6 / run.seconds).toFixed(1)} MB/s` +
          ` (others used ${foreignCores.toFixed(2)} cores)`,
      );
    }
  }
}

/**
 * One run of every cell. A 1000-record cell runs right after its raw reference loop, in the
 * same guarded window, so that target (a) compares two runs made under the same conditions.
 */
async function cellRound(
  m: Measurements,
  guard: QuietCpuGuard,
  templates: Map<string, Buffer>,
  round: number,
): Promise<void> {
  for (const spec of allCells()) {
    const key = cellKey(spec);
    // Reads use the log of the last round's replicated single-appender run of each shape.
    const readRuns =
      round === RUNS && spec.durability === 'replicated' && spec.appenders === 1 ? RUNS : 0;
    const template = templates.get(shapeKey(spec.valueBytes, spec.batchRecords))!;
    const paired = spec.batchRecords === COMPARED_BATCH_RECORDS;
    const { value, foreignCores, contended } = await guard.run(async () => {
      let raw: RawRun | undefined;
      if (paired) {
        const groupChunks = m.rawGroupChunks.get(spec.valueBytes)!;
        raw = await rawWriteRun(
          m.tmpDir,
          template,
          rawReference(spec),
          groupChunks,
          m.profile.raw,
          spec.appenders,
        );
      }
      return {
        raw,
        ...(await runAppendCell(m.tmpDir, spec, template, m.profile.append, readRuns)),
      };
    });
    const mbps = value.append.bytes / 1e6 / value.append.seconds;
    push(m.cells, key, value.append);
    for (const read of value.reads)
      push(m.reads, shapeKey(spec.valueBytes, spec.batchRecords), read);
    if (value.raw !== undefined) {
      push(m.pairedRatios, key, mbps / (value.raw.bytes / 1e6 / value.raw.seconds));
      push(m.pairedRaw, key, value.raw);
    }
    if (contended) m.contended.add(key);
    progress(
      `[${round}/${RUNS}] ${spec.valueBytes} B x${spec.batchRecords} ${spec.durability} ` +
        `${spec.appenders} appender(s): ${mbps.toFixed(1)} MB/s, p99 ${value.append.latencyMsP99.toFixed(3)} ms` +
        (value.raw === undefined
          ? ''
          : `, raw ${(value.raw.bytes / 1e6 / value.raw.seconds).toFixed(1)} MB/s`) +
        ` (others used ${foreignCores.toFixed(2)} cores)`,
    );
  }
}

async function measure(profile: Profile, tmpDir: string): Promise<Measurements> {
  const startedAt = new Date();
  const templates = new Map<string, Buffer>();
  for (const v of VALUE_BYTES)
    for (const b of BATCH_RECORDS) templates.set(shapeKey(v, b), encodeTemplate(v, b));
  const rawGroupChunks = new Map<number, number>();
  for (const v of VALUE_BYTES) {
    const chunk = templates.get(shapeKey(v, COMPARED_BATCH_RECORDS))!;
    // What one sync of a group commit may cover: 100 appenders' batches, up to 8 MiB.
    rawGroupChunks.set(v, Math.min(100, Math.floor(RAW_GROUP_BYTES_MAX / chunk.length)));
  }
  const m: Measurements = {
    profile,
    tmpDir,
    startedAt,
    totalSeconds: 0,
    batchBytes: new Map([...templates].map(([k, t]) => [k, t.length])),
    rawGroupChunks,
    cells: new Map(),
    raw: new Map(),
    reads: new Map(),
    crc: [],
    pairedRaw: new Map(),
    pairedRatios: new Map(),
    contended: new Set(),
    contention: { retries: 0, contendedRuns: 0, waitedSeconds: 0 },
  };
  progress('CRC32C: native vs JS');
  m.crc = compareCrc32c(MiB, RUNS, profile.crcMs);
  progress('warm-up');
  await warmUp(tmpDir, templates, profile);
  const guard = new QuietCpuGuard(QUIET);
  for (let round = 1; round <= RUNS; round++) {
    await rawRound(m, guard, templates, round);
    await cellRound(m, guard, templates, round);
  }
  m.contention = {
    retries: guard.retries,
    contendedRuns: guard.contendedRuns,
    waitedSeconds: guard.waitedSeconds,
  };
  m.totalSeconds = (Date.now() - startedAt.getTime()) / 1000;
  return m;
}

function machine(tmpDir: string, repoRoot: string): string[] {
  const m = machineInfo(tmpDir, repoRoot);
  return [
    `- CPU: ${m.cpuModel}, ${m.cores} cores; RAM ${m.ramGiB.toFixed(1)} GiB`,
    `- OS: ${m.os}; Node ${m.node}`,
    `- Temp dir \`${tmpDir}\` (${m.dataDirSameDeviceAsRepo ? 'same' : 'NOT the same'} device as the repository), \`df -hT\`:`,
    '',
    '```',
    m.dataDirFilesystem,
    '```',
  ];
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  // --print: the report goes to stdout only (for a control run, e.g. TMPDIR=/dev/shm).
  const printOnly = quick || process.argv.includes('--print');
  const profile = quick ? QUICK : FULL;
  const repoRoot = path.resolve(__dirname, '..', '..', '..');
  assert(fs.existsSync(path.join(repoRoot, 'package.json')), `no repository at ${repoRoot}`);
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-storage-bench-'));
  try {
    const machineLines = machine(tmpDir, repoRoot);
    const m = await measure(profile, tmpDir);
    const section = renderReport(m, machineLines, quick);
    process.stdout.write(`${section}\n`);
    if (printOnly) {
      progress(`${quick ? '--quick' : '--print'}: bench/RESULTS.md left unchanged`);
    } else {
      replaceSection(path.join(repoRoot, 'bench', 'RESULTS.md'), HEADING, section);
      progress('written to bench/RESULTS.md');
    }
  } finally {
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
