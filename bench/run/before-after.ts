// Before and after: this run beside an earlier one (`--baseline <json>`), row by row. Rows are
// matched by scenario, system, variant and case; a throughput scenario compares records/s, a
// latency scenario the p99 (and its p50), the footprint its start-up times and RSS. A row
// without a match in the other run says so instead of showing a figure.
import * as fs from 'node:fs';
import { num, sig, withSpread } from '../common/format';
import { formatRatio } from './compare';
import { SYSTEM_LABELS } from './report-cells';
import { type BenchResult, type MeasuredRow, RESULT_SCHEMA, type Row } from './results';

export const BEFORE_AFTER_TITLE = 'Before and after';
export const BEFORE_AFTER_HEADERS = [
  'scenario',
  'case',
  'system',
  'variant',
  'measure',
  'before (min–max)',
  'after (min–max)',
  'after / before',
] as const;

/** An earlier run's JSON, or why it cannot be compared with. */
export function readBaseline(file: string): BenchResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`baseline ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const result = parsed as Partial<BenchResult>;
  if (result.schema !== RESULT_SCHEMA || !Array.isArray(result.scenarios))
    throw new Error(`baseline ${file} is not a ${RESULT_SCHEMA} result`);
  return result as BenchResult;
}

function sameRow(a: Row, b: Row): boolean {
  return (
    a.system === b.system &&
    a.variant === b.variant &&
    a.group === b.group &&
    (a.clientShape ?? 'same') === (b.clientShape ?? 'same')
  );
}

interface Measure {
  name: string;
  /** Median, min and max of the measure in a measured row; undefined when it has none. */
  of: (row: MeasuredRow) => { median: number; min: number; max: number } | undefined;
  format: (value: number) => string;
}

const THROUGHPUT: Measure[] = [
  { name: 'records/s', of: (r) => r.recordsPerSecond, format: (v) => num(v) },
];
const LATENCY: Measure[] = [
  { name: 'p50 ms', of: (r) => r.latencyMs?.p50, format: sig },
  { name: 'p99 ms', of: (r) => r.latencyMs?.p99, format: sig },
];

function cell(row: Row | undefined, measure: Measure, what: string): string {
  if (row === undefined) return `no such row ${what}`;
  if (row.status !== 'ok') return row.status;
  const s = measure.of(row);
  return s === undefined ? 'n/a' : withSpread(s, measure.format);
}

function change(before: Row | undefined, after: Row, measure: Measure): string {
  if (before?.status !== 'ok' || after.status !== 'ok') return '';
  const b = measure.of(before)?.median;
  const a = measure.of(after)?.median;
  return b === undefined || a === undefined || b === 0 ? '' : formatRatio(a / b);
}

/** The table's rows: every row of this run, beside its match in the baseline. */
export function beforeAfterRows(after: BenchResult, before: BenchResult): string[][] {
  const rows: string[][] = [];
  for (const scenario of after.scenarios) {
    const earlier = before.scenarios.find((s) => s.id === scenario.id);
    const measures = scenario.metric === 'latency' ? LATENCY : THROUGHPUT;
    for (const row of scenario.rows) {
      const match = earlier?.rows.find((r) => sameRow(r, row));
      for (const measure of measures) {
        rows.push([
          scenario.id,
          row.group,
          SYSTEM_LABELS[row.system],
          row.variant,
          measure.name,
          cell(match, measure, earlier === undefined ? '(scenario not run)' : 'then'),
          cell(row, measure, ''),
          change(match, row, measure),
        ]);
      }
    }
  }
  const starts = after.footprint?.starts ?? [];
  for (const start of starts) {
    const then = before.footprint?.starts.find((s) => s.partitions === start.partitions);
    for (const [measure, pick, format] of [
      ['ready ms', (s: typeof start) => s.readyMs, (v: number) => num(v)],
      ['idle RSS MB', (s: typeof start) => s.idleRssMb, (v: number) => num(v)],
    ] as const) {
      rows.push([
        'i',
        start.label,
        'Tributary',
        'start',
        measure,
        then === undefined ? 'no such row then' : withSpread(pick(then), format),
        withSpread(pick(start), format),
        then === undefined ? '' : formatRatio(pick(start).median / pick(then).median),
      ]);
    }
  }
  const peak = after.footprint?.peakRssUnderLoadMb;
  if (peak !== undefined && peak !== null) {
    const then = before.footprint?.peakRssUnderLoadMb ?? peakOfRows(before);
    rows.push([
      'i',
      'under load',
      'Tributary',
      'peak RSS',
      'MB',
      then === undefined ? 'n/a' : num(then),
      num(peak),
      then === undefined ? '' : formatRatio(peak / then),
    ]);
  }
  return rows;
}

/** A run from before scenario (i) existed: the highest peak RSS of its Tributary rows. */
function peakOfRows(result: BenchResult): number | undefined {
  const peaks = result.scenarios
    .flatMap((s) => s.rows)
    .filter((r): r is MeasuredRow => r.status === 'ok' && r.system === 'tributary')
    .map((r) => r.server.peakRssMb)
    .filter((v): v is number => v !== null);
  return peaks.length === 0 ? undefined : Math.max(...peaks);
}

/** One line saying which run the "before" column is. */
export function baselineLine(before: BenchResult, file: string): string {
  return `Before: ${file}, a ${before.mode} run started ${before.startedAt} (${before.command}). After: this run. Medians with (min–max) over the runs; for (d) and (h) the p50 and p99 of produce -> delivery; after / before above 1 means more records/s, or more latency.`;
}
