// The storage bench's markdown section: method, one table per question, and the two targets
// with PASS/FAIL.
import { assert } from '@tributary/common';
import { type AppendRun, type CellSpec } from './append-bench';
import {
  allCells,
  BATCH_RECORDS,
  cellKey,
  COMMAND,
  COMPARED_BATCH_RECORDS,
  DURABILITIES,
  HEADING,
  type Measurements,
  RAW_MODES,
  rawKey,
  rawReference,
  RUNS,
  shapeKey,
  TARGET_FSYNC_RATIO,
  TARGET_RAW_RATIO,
  VALUE_BYTES,
  APPENDERS,
} from './plan';
import { type RawMode } from './raw-disk';
import { num, sig, table, withSpread } from '../common/format';
import { spread, type Spread } from '../common/stats';

const MiB = 1024 * 1024;
const mb = (v: number): string => num(v, 1);
const pct = (ratio: number): string => `${(ratio * 100).toFixed(ratio < 0.1 ? 1 : 0)}%`;
const valueLabel = (valueBytes: number): string =>
  valueBytes === 1024 ? '1 KiB' : `${valueBytes} B`;
const verdict = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');

const RAW_LABELS: Record<RawMode, string> = {
  write: '`writeSync` per batch, no sync',
  'write+fdatasync': '`writeSync` + `fdatasyncSync` per batch',
  'writev-group+fdatasync': '`writevSync` of a group + one `fdatasyncSync`',
  'fsp-write': '`fs.promises` write per batch, no sync',
  'fsp-write+datasync': '`fs.promises` write + datasync per batch',
};

function runsOf(m: Measurements, spec: CellSpec): AppendRun[] {
  const runs = m.cells.get(cellKey(spec));
  assert(runs !== undefined && runs.length > 0, () => `no runs for ${cellKey(spec)}`);
  return runs;
}

const cellMbps = (m: Measurements, spec: CellSpec): Spread =>
  spread(runsOf(m, spec).map((r) => r.bytes / 1e6 / r.seconds));
const cellRecords = (m: Measurements, spec: CellSpec): Spread =>
  spread(runsOf(m, spec).map((r) => r.records / r.seconds));

function rawMbps(m: Measurements, valueBytes: number, mode: RawMode): Spread {
  const runs = m.raw.get(rawKey(valueBytes, mode));
  assert(runs !== undefined && runs.length > 0, `no raw runs for ${valueBytes} ${mode}`);
  return spread(runs.map((r) => r.bytes / 1e6 / r.seconds));
}

function appendTable(m: Measurements): string {
  const rows = allCells().map((spec) => {
    const runs = runsOf(m, spec);
    const mbps = cellMbps(m, spec);
    const med = (f: (r: AppendRun) => number): number => spread(runs.map(f)).median;
    return [
      valueLabel(spec.valueBytes),
      num(spec.batchRecords),
      spec.durability,
      num(spec.appenders),
      withSpread(cellRecords(m, spec), (v) => num(v)),
      withSpread(mbps, mb) + (m.contended.has(cellKey(spec)) ? ' *' : ''),
      sig(med((r) => r.latencyMsP50)),
      sig(med((r) => r.latencyMsP99)),
      num(
        med((r) => r.appends / Math.max(1, r.io.writes)),
        1,
      ),
      num(med((r) => r.io.syncs / r.seconds)),
      `${pct(rawRatio(m, spec).median)} of \`${rawReference(spec)}\``,
    ];
  });
  return table(
    [
      'Value',
      'Batch (records)',
      'Durability',
      'Appenders',
      'records/s',
      'MB/s',
      'p50 ms',
      'p99 ms',
      'batches/write',
      'fdatasync/s',
      'vs raw',
    ],
    rows,
  );
}

interface RatioRow {
  cells: string[];
  ok: boolean;
}

/** Engine / raw for a cell: paired runs for 1000-record cells, else vs the raw rounds. */
function rawRatio(m: Measurements, spec: CellSpec): Spread {
  const paired = m.pairedRatios.get(cellKey(spec));
  if (paired !== undefined) return spread(paired);
  const reference = rawMbps(m, spec.valueBytes, rawReference(spec)).median;
  const ratio = cellMbps(m, spec).median / reference;
  return { median: ratio, min: ratio, max: ratio };
}

function rawTargetRows(m: Measurements): RatioRow[] {
  const rows: RatioRow[] = [];
  for (const valueBytes of VALUE_BYTES) {
    for (const durability of DURABILITIES) {
      for (const appenders of APPENDERS) {
        const spec = { valueBytes, batchRecords: COMPARED_BATCH_RECORDS, durability, appenders };
        const mode = rawReference(spec);
        const pairedRaw = m.pairedRaw.get(cellKey(spec));
        assert(pairedRaw !== undefined, 'no paired raw runs');
        const ratio = rawRatio(m, spec);
        const group =
          mode === 'writev-group+fdatasync' ? ` (${m.rawGroupChunks.get(valueBytes)} batches)` : '';
        rows.push({
          ok: ratio.median >= TARGET_RAW_RATIO,
          cells: [
            valueLabel(valueBytes),
            durability,
            num(appenders),
            withSpread(cellMbps(m, spec), mb),
            `\`${mode}\`${group}`,
            withSpread(spread(pairedRaw.map((r) => r.bytes / 1e6 / r.seconds)), mb),
            withSpread(ratio, pct),
            verdict(ratio.median >= TARGET_RAW_RATIO),
          ],
        });
      }
    }
  }
  return rows;
}

function fsyncTargetRows(m: Measurements): RatioRow[] {
  const rows: RatioRow[] = [];
  for (const valueBytes of VALUE_BYTES) {
    for (const batchRecords of BATCH_RECORDS) {
      const shape = { valueBytes, batchRecords, appenders: 100 };
      const fsync = cellRecords(m, { ...shape, durability: 'fsync' }).median;
      const replicated = cellRecords(m, { ...shape, durability: 'replicated' }).median;
      const ratio = fsync / replicated;
      rows.push({
        ok: ratio >= TARGET_FSYNC_RATIO,
        cells: [
          valueLabel(valueBytes),
          num(batchRecords),
          num(fsync),
          num(replicated),
          pct(ratio),
          verdict(ratio >= TARGET_FSYNC_RATIO),
        ],
      });
    }
  }
  return rows;
}

function rawTable(m: Measurements): string {
  const rows: string[][] = [];
  for (const valueBytes of VALUE_BYTES) {
    const chunkBytes = m.batchBytes.get(shapeKey(valueBytes, COMPARED_BATCH_RECORDS))!;
    for (const mode of RAW_MODES) {
      const runs = m.raw.get(rawKey(valueBytes, mode))!;
      const group = mode === 'writev-group+fdatasync' ? m.rawGroupChunks.get(valueBytes)! : 1;
      rows.push([
        `${num(chunkBytes)} B (1000 x ${valueLabel(valueBytes)})`,
        `\`${mode}\`: ${RAW_LABELS[mode]}${group > 1 ? ` (${group} batches, ${mb((group * chunkBytes) / 1e6)} MB)` : ''}`,
        withSpread(rawMbps(m, valueBytes, mode), mb) +
          (m.contended.has(rawKey(valueBytes, mode)) ? ' *' : ''),
        num(spread(runs.map((r) => r.syncs / r.seconds)).median),
      ]);
    }
  }
  return table(['Chunk', 'Loop', 'MB/s', 'fdatasync/s'], rows);
}

function readTable(m: Measurements): string {
  const rows: string[][] = [];
  for (const valueBytes of VALUE_BYTES) {
    for (const batchRecords of BATCH_RECORDS) {
      const runs = m.reads.get(shapeKey(valueBytes, batchRecords));
      if (runs === undefined) continue;
      const first = runs[0]!;
      rows.push([
        valueLabel(valueBytes),
        num(batchRecords),
        mb(first.bytes / 1e6),
        num(first.fetches),
        withSpread(spread(runs.map((r) => r.bytes / 1e6 / r.readSeconds)), mb),
        withSpread(spread(runs.map((r) => r.records / r.decodeSeconds)), (v) => num(v)),
        mb(spread(runs.map((r) => r.bytes / 1e6 / r.decodeSeconds)).median),
      ]);
    }
  }
  return table(
    [
      'Value',
      'Batch (records)',
      'Log MB',
      'Fetches',
      'read MB/s',
      'decode records/s',
      'decode MB/s',
    ],
    rows,
  );
}

function crcTable(m: Measurements): string {
  const slowest = Math.min(...m.crc.map((c) => c.mbPerSecond.median));
  const rows = m.crc.map((c) => [
    c.name,
    withSpread(c.mbPerSecond, mb),
    `${num(c.mbPerSecond.median / slowest, 1)}x`,
  ]);
  return table(['CRC32C implementation', 'MB/s', 'vs JS'], rows);
}

function method(m: Measurements): string[] {
  const a = m.profile.append;
  return [
    `- Every figure is the median of ${RUNS} runs, (min–max) beside it; the runs are interleaved ` +
      'rounds over all cells and raw loops. MB = 10^6 bytes of encoded batches as stored ' +
      '(61-byte batch header and per-record framing included); values are random, keys null, ' +
      'no compression.',
    `- A cell run: fresh \`LogManager\` + \`PartitionLog\` (default config but the durability; ` +
      `\`flushIntervalMs: null\`), N appenders each awaiting its own \`append\` of a pre-encoded ` +
      `batch (its own copy; \`crcVerified: true\`, as for batches the gateway encodes) until ${num(a.bytesMax / MiB)} MiB or ${num(a.durationMs / 1000, 1)} s ` +
      `(whichever first; in-flight appends finish). \`pendingAppendBytesMax\` raised to ` +
      `${num(a.pendingAppendBytesMax / MiB)} MiB: at the default 64 MiB, 100 appenders of ~1 MB ` +
      'batches get BACKPRESSURE. Latency: `process.hrtime` around each append (queueing included).',
    '- batches/write and fdatasync/s count `writev` and `datasync` on the `.log` file (a ' +
      'pass-through around `DiskFileSystem`): how group commit grouped the appends.',
    '- Raw loops write the 1000-record batch bytes back to back into one fresh file on the same ' +
      'disk; the group loop writes with one `writevSync` as many batches as one sync of group ' +
      'commit may cover (100 appenders\' batches, up to 8 MiB) and then syncs once. "vs raw" compares each cell with the ' +
      'raw loop of its durability: `write` for replicated, `write+fdatasync` for fsync with 1 ' +
      'appender, `writev-group+fdatasync` for fsync with 100 appenders. A 1000-record cell runs ' +
      'right after its own run of that raw loop; its ratio is the median of the per-run ratios ' +
      'of these pairs. That paired loop writes from as many copies of the batch as the cell has ' +
      'appenders, in turn, as the cell does (100 copies of a 1 MB batch fall out of the CPU ' +
      "cache; one copy written again and again does not); the raw table's loops write one copy. " +
      'Other cells are compared with the median of the raw table.',
    "- Reads: the last round's replicated single-appender log of each shape, after `flush()`, " +
      'read from start to high watermark with `read(offset, 1 MiB)` (page cache warm: the log ' +
      'was just written); decode = `decodeRecordBatches` on each fetch, timed apart (it checks ' +
      'the CRC again and parses every record).',
    '- Shared machine: a run during which other processes kept more than 0.3 cores busy ' +
      '(/proc/stat minus this process) is repeated after a quiet moment, at most twice. This ' +
      `run: ${m.contention.retries} repeats, ${num(m.contention.waitedSeconds, 1)} s waited, ` +
      `${m.contention.contendedRuns} runs kept although contended (their figures marked *).`,
    '- Noise: on this VM a page-cache write (the copy into fresh guest pages, ' +
      '`copy_folio_from_iter_atomic` in `perf`) runs anywhere between ~0.35 and ~4.8 GB/s from ' +
      'one run to the next, whatever loop does it; no-sync figures and their ratios swing with ' +
      'it. Read the min–max beside each median.',
    `- Whole run: ${num(m.totalSeconds)} s.`,
  ];
}

export function renderReport(m: Measurements, machineLines: string[], quick: boolean): string {
  const rawRows = rawTargetRows(m);
  const fsyncRows = fsyncTargetRows(m);
  const rawOk = rawRows.every((r) => r.ok);
  const fsyncOk = fsyncRows.every((r) => r.ok);
  return [
    HEADING,
    '',
    ...(quick ? ['**--quick smoke run: limits too small for meaningful figures.**', ''] : []),
    `Command: \`${COMMAND}\` (SWC build, then \`node dist/bench/storage/storage.bench.js\`)`,
    '',
    `Date: ${m.startedAt.toISOString()}`,
    '',
    ...machineLines,
    '',
    ...method(m),
    '',
    '### Targets',
    '',
    `- (a) every 1000-record-batch cell >= ${pct(TARGET_RAW_RATIO)} of its raw loop (replicated ` +
      'vs `write`; fsync x1 vs `write+fdatasync`; fsync x100 vs `writev-group+fdatasync`): ' +
      `**${verdict(rawOk)}** (${rawRows.filter((r) => r.ok).length}/${rawRows.length} cells)`,
    `- (b) fsync with 100 appenders >= ${pct(TARGET_FSYNC_RATIO)} of replicated with 100 ` +
      `appenders, records/s, same value and batch size: **${verdict(fsyncOk)}** ` +
      `(${fsyncRows.filter((r) => r.ok).length}/${fsyncRows.length} shapes)`,
    '',
    '### Target (a): 1000-record batches vs raw sequential writes',
    '',
    table(
      [
        'Value',
        'Durability',
        'Appenders',
        'Engine MB/s',
        'Raw loop',
        'Raw MB/s (paired runs)',
        'Ratio',
        '>= 80%',
      ],
      rawRows.map((r) => r.cells),
    ),
    '',
    '### Target (b): fsync vs replicated, 100 appenders',
    '',
    table(
      ['Value', 'Batch (records)', 'fsync records/s', 'replicated records/s', 'Ratio', '>= 50%'],
      fsyncRows.map((r) => r.cells),
    ),
    '',
    '### Appends',
    '',
    appendTable(m),
    '',
    '### Raw sequential writes, same disk',
    '',
    rawTable(m),
    '',
    '### Reads (1 MiB fetches)',
    '',
    readTable(m),
    '',
    '### CRC32C on a 1 MiB buffer',
    '',
    crcTable(m),
    '',
  ].join('\n');
}
