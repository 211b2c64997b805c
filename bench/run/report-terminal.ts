// The run as text for the terminal: machine and method, the peers, then per scenario its
// workload in words, a table with the Tributary/peer ratios, and footnotes for rows that were
// skipped or failed; with a baseline, this run beside it.
import { table } from '../common/format';
import {
  FOOTPRINT_HEADERS,
  FOOTPRINT_TITLE,
  footprintCells,
  HEADERS,
  rowDetails,
  scenarioCells,
  usageNotes,
} from './report-cells';
import {
  BEFORE_AFTER_HEADERS,
  BEFORE_AFTER_TITLE,
  baselineLine,
  beforeAfterRows,
} from './before-after';
import { type BenchResult } from './results';

export function terminalReport(result: BenchResult, baseline?: BenchResult): string {
  const m = result.machine;
  const out: string[] = [
    `Tributary vs peers — ${result.mode} run, ${result.startedAt}, ${Math.round(result.seconds)} s`,
    '',
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${m.ramGiB} GiB RAM; ${m.os}; Node ${m.node}; load average ${m.loadAverage1m.toFixed(2)} at start`,
    `Data dir: ${m.dataDir}`,
    ...m.dataDirFilesystem.split('\n').map((l) => `  ${l}`),
    ...result.method.map((l) => `- ${l}`),
    '',
    'Peers:',
    ...result.peers.map(
      (p) =>
        `- ${p.name} (${p.address}): ${p.status === 'ok' ? `${p.version ?? ''}; durability ${p.durability}: ${p.durabilityNote}; CPU/RSS: ${p.serverWatch}` : `skipped: ${p.reason}`}`,
    ),
  ];
  for (const scenario of result.scenarios) {
    const { rows, footnotes } = scenarioCells(scenario);
    out.push(
      '',
      `${scenario.title} — ${Math.round(scenario.seconds)} s`,
      scenario.description,
      '',
      table([...HEADERS], rows),
      ...footnotes.map((f) => `${f.mark} ${f.text}`),
      ...rowDetails(scenario).map((l) => `- ${l}`),
      ...usageNotes(scenario).map((l) => `- server CPU/RSS of ${l}`),
    );
  }
  if (result.footprint !== undefined) {
    const { rows, notes } = footprintCells(result.footprint);
    out.push(
      '',
      FOOTPRINT_TITLE,
      '',
      table([...FOOTPRINT_HEADERS], rows),
      ...notes.map((n) => `- ${n}`),
    );
  }
  if (baseline !== undefined && result.baseline !== undefined) {
    out.push(
      '',
      BEFORE_AFTER_TITLE,
      baselineLine(baseline, result.baseline.file),
      '',
      table([...BEFORE_AFTER_HEADERS], beforeAfterRows(result, baseline)),
    );
  }
  return out.join('\n');
}
