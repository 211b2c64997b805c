// One row of a scenario as the cells of its table line, shared by the terminal table and the
// HTML report so that both say the same thing. Rows that were not measured show their status
// and a footnote number; the footnote carries the reason.
import { num, sig, withSpread } from '../common/format';
import { compare, ratioText } from './compare';
import { type FootprintResult, type ScenarioResult, type SystemName } from './results';

export const SYSTEM_LABELS: Record<SystemName, string> = {
  tributary: 'Tributary',
  nats: 'NATS JetStream',
  redis: 'Redis Streams',
  'raw-http': 'raw node:http',
  'storage-engine': 'storage engine',
  'raw-disk': 'raw disk',
};

export const HEADERS = [
  'case',
  'system',
  'variant',
  'durability',
  'records/s (min–max)',
  'MB/s',
  'p50 ms',
  'p99 ms (min–max)',
  'p99.9 ms',
  'server CPU %',
  'peak RSS MB',
  'errors',
  'Tributary/peer',
] as const;

export interface Footnote {
  mark: string;
  text: string;
}

/** Cells of every row, and the footnotes (reasons of rows not measured) they refer to. */
export function scenarioCells(scenario: ScenarioResult): {
  rows: string[][];
  footnotes: Footnote[];
} {
  const footnotes: Footnote[] = [];
  const rows = scenario.rows.map((row) => {
    const head = [row.group, SYSTEM_LABELS[row.system], row.variant, row.durability];
    if (row.status !== 'ok') {
      // Rows skipped for the same reason share one footnote.
      const text = `${SYSTEM_LABELS[row.system]} ${row.variant}: ${row.reason}`;
      let note = footnotes.find((f) => f.text === text);
      if (note === undefined) {
        note = { mark: `[${footnotes.length + 1}]`, text };
        footnotes.push(note);
      }
      return [...head, `${row.status} ${note.mark}`, '', '', '', '', '', '', '', ''];
    }
    const l = row.latencyMs;
    return [
      ...head,
      withSpread(row.recordsPerSecond, (v) => num(v)),
      num(row.mbPerSecond.median, 1),
      l === undefined ? '' : sig(l.p50.median),
      l === undefined ? '' : withSpread(l.p99, sig),
      l === undefined ? '' : sig(l.p999.median),
      row.server.cpuPercent === null ? 'n/a' : num(row.server.cpuPercent),
      row.server.peakRssMb === null ? 'n/a' : num(row.server.peakRssMb),
      num(row.errors),
      ratioText(compare(scenario, row)),
    ];
  });
  return { rows, footnotes };
}

/** Each distinct workload and durability meaning once, by system and variant; then row notes. */
export function rowDetails(scenario: ScenarioResult): string[] {
  const lines = new Set<string>();
  for (const row of scenario.rows) {
    const durability = row.durabilityNote === '' ? '' : ` Durability: ${row.durabilityNote}.`;
    lines.add(`${SYSTEM_LABELS[row.system]} ${row.variant}: ${row.workload}.${durability}`);
  }
  for (const row of scenario.rows) {
    if (row.status === 'ok' && row.notes.length > 0)
      lines.add(
        `${SYSTEM_LABELS[row.system]} ${row.variant} (${row.group}): ${row.notes.join('; ')}`,
      );
  }
  return [...lines];
}

/** How each system's server CPU and RSS were taken, or why they are n/a. */
export function usageNotes(scenario: ScenarioResult): string[] {
  const notes = new Set<string>();
  for (const row of scenario.rows) {
    if (row.status === 'ok' && row.server.note !== undefined)
      notes.add(`${SYSTEM_LABELS[row.system]}: ${row.server.note}`);
  }
  return [...notes];
}

export const FOOTPRINT_TITLE = '(i) Footprint: start-up time to ready, idle and peak RSS';
export const FOOTPRINT_HEADERS = [
  'start',
  'partitions',
  'ready ms (min–max)',
  'idle RSS MB (min–max)',
] as const;

/** The footprint's table lines and the notes under it. */
export function footprintCells(footprint: FootprintResult): { rows: string[][]; notes: string[] } {
  const rows = footprint.starts.map((s) => [
    s.label,
    num(s.partitions),
    withSpread(s.readyMs, (v) => num(Math.round(v))),
    withSpread(s.idleRssMb, (v) => num(Math.round(v))),
  ]);
  const notes = [
    `Ready: from the spawn of the node (dist/apps/broker/src/main.js, nothing to build) to /readyz 200, polled every 20 ms; idle RSS: VmRSS after ${footprint.idleMs} ms of idleness once ready.`,
    `Peak RSS of the Tributary node under the other scenarios' load: ${footprint.peakRssUnderLoadMb === null ? 'n/a (no Tributary row measured)' : `${num(footprint.peakRssUnderLoadMb)} MB`}.`,
    ...footprint.peers.map(
      (p) => `${p.name}: ${p.rssMb === null ? p.note : `${num(p.rssMb)} MB RSS (${p.note})`}`,
    ),
  ];
  return { rows, notes };
}
