// The ratio column: each peer row against the Tributary rows (or the storage-engine rows) of
// the same scenario and group. Throughput: Tributary / peer (above 1: Tributary moves more).
// Latency: Tributary p99 / peer p99 (below 1: Tributary is faster). A ratio is only formed
// between two measured rows; otherwise the column says why there is none.
import { type MeasuredRow, type Row, type ScenarioResult, SUBJECT_SYSTEMS } from './results';

export interface Ratio {
  /** The subject row's variant (fsync, replicated, REST fetch, ...). */
  against: string;
  ratio: number;
}

export type Comparison =
  | { kind: 'subject' }
  | { kind: 'ratios'; metric: 'records/s' | 'p99'; ratios: Ratio[] }
  | { kind: 'none'; reason: string };

export function isSubject(row: Row): boolean {
  return SUBJECT_SYSTEMS.includes(row.system);
}

function value(row: MeasuredRow, metric: ScenarioResult['metric']): number | undefined {
  return metric === 'latency' ? row.latencyMs?.p99.median : row.recordsPerSecond.median;
}

export function compare(scenario: ScenarioResult, row: Row): Comparison {
  if (isSubject(row)) return { kind: 'subject' };
  if (row.status !== 'ok') return { kind: 'none', reason: `peer ${row.status}` };
  const subjects = scenario.rows.filter((r) => isSubject(r) && r.group === row.group);
  const measured = subjects.filter((r): r is MeasuredRow => r.status === 'ok');
  const peerValue = value(row, scenario.metric);
  if (measured.length === 0 || peerValue === undefined || peerValue === 0) {
    const what = subjects.map((r) => `${r.variant} ${r.status}`).join(', ') || 'no subject row';
    return { kind: 'none', reason: `n/a (${what})` };
  }
  const ratios = measured.flatMap((s) => {
    const v = value(s, scenario.metric);
    return v === undefined ? [] : [{ against: s.variant, ratio: v / peerValue }];
  });
  return { kind: 'ratios', metric: scenario.metric === 'latency' ? 'p99' : 'records/s', ratios };
}

export function ratioText(c: Comparison): string {
  switch (c.kind) {
    case 'subject':
      return '';
    case 'none':
      return c.reason;
    case 'ratios':
      return c.ratios.map((r) => `${r.against} ${formatRatio(r.ratio)}`).join(', ');
  }
}

export function formatRatio(ratio: number): string {
  return `${ratio >= 10 ? ratio.toFixed(0) : ratio >= 1 ? ratio.toFixed(1) : ratio.toPrecision(2)}x`;
}
