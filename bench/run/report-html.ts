// bench/report.html: one self-contained page (inline CSS and SVG; no script, no font, no CDN,
// nothing fetched) with, per scenario, its workload, a throughput chart and — where rows have
// them — a latency-percentile chart, Tributary beside each peer, then the same table as the
// terminal; with a baseline, this run beside it, row by row. Opened from disk, offline.
import { num, withSpread } from '../common/format';
import {
  BEFORE_AFTER_HEADERS,
  BEFORE_AFTER_TITLE,
  baselineLine,
  beforeAfterRows,
} from './before-after';
import {
  FOOTPRINT_HEADERS,
  FOOTPRINT_TITLE,
  footprintCells,
  HEADERS,
  rowDetails,
  scenarioCells,
  SYSTEM_LABELS,
  usageNotes,
} from './report-cells';
import {
  type BenchResult,
  type FootprintResult,
  type Row,
  type ScenarioResult,
  type SystemName,
} from './results';
import { barChart, escapeHtml as esc, type LatencyItem, latencyChart } from './svg-charts';

const COLORS: Record<SystemName, string> = {
  tributary: '#1f6fb4',
  'storage-engine': '#1f6fb4',
  nats: '#2e9d4a',
  redis: '#c8372d',
  'raw-http': '#7a7a7a',
  'raw-disk': '#7a7a7a',
};

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1160px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 36px; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 12px; margin: 8px 0; }
th, td { border: 1px solid #ddd; padding: 3px 6px; text-align: left; white-space: nowrap; }
th { background: #f4f4f4; }
.label, .value, .tick, .missing { font: 12px system-ui, sans-serif; fill: #222; }
.missing { fill: #a33; font-style: italic; }
.whisker { stroke: #111; stroke-width: 1.5; }
.axis { stroke: #999; }
.note { color: #555; font-size: 12px; }
pre { background: #f7f7f7; padding: 6px; font-size: 12px; }`;

function rowLabel(row: Row): string {
  return `${SYSTEM_LABELS[row.system]} ${row.variant} · ${row.group}`;
}

function throughputChart(scenario: ScenarioResult): string {
  return barChart(
    `${scenario.title}: records per second`,
    'records/s',
    scenario.rows.map((row) => ({
      label: rowLabel(row),
      color: COLORS[row.system],
      ...(row.status === 'ok'
        ? {
            value: {
              ...row.recordsPerSecond,
              text: withSpread(row.recordsPerSecond, (v) => num(v)),
            },
          }
        : { missing: `${row.status}: ${row.reason}` }),
    })),
  );
}

function percentileChart(scenario: ScenarioResult): string {
  const items: LatencyItem[] = scenario.rows
    .filter((row) => row.status !== 'ok' || row.latencyMs !== undefined)
    .map((row) => ({
      label: rowLabel(row),
      color: COLORS[row.system],
      ...(row.status === 'ok' && row.latencyMs !== undefined
        ? {
            percentiles: {
              p50: row.latencyMs.p50.median,
              p99: row.latencyMs.p99.median,
              p999: row.latencyMs.p999.median,
            },
          }
        : { missing: row.status === 'ok' ? 'no latency' : `${row.status}: ${row.reason}` }),
    }));
  if (items.every((i) => i.percentiles === undefined)) return '';
  const what =
    scenario.latencyMeaning ??
    (scenario.metric === 'latency'
      ? 'produce → delivery latency (from the scheduled send time)'
      : 'latency per request / batch at the client');
  const legend = 'bars per row: p50 (darkest), p99, p99.9 (lightest); medians over the runs';
  return `<h3>${esc(what)}</h3>\n<p class="note">${esc(legend)}</p>\n${latencyChart(`${scenario.title}: ${what}`, items)}`;
}

function htmlTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const head = `<tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`);
  return `<table>\n${head}\n${body.join('\n')}\n</table>`;
}

function list(items: readonly string[], cls = ''): string {
  return `<ul${cls === '' ? '' : ` class="${cls}"`}>${items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>`;
}

function scenarioSection(scenario: ScenarioResult): string {
  const { rows, footnotes } = scenarioCells(scenario);
  return [
    `<h2>${esc(scenario.title)}</h2>`,
    `<p>${esc(scenario.description)}</p>`,
    `<h3>${esc(scenario.metric === 'latency' ? 'delivered records per second' : 'records per second (median, whisker min–max)')}</h3>`,
    throughputChart(scenario),
    percentileChart(scenario),
    htmlTable(HEADERS, rows),
    footnotes.length === 0
      ? ''
      : list(
          footnotes.map((f) => `${f.mark} ${f.text}`),
          'note',
        ),
    list(
      [...rowDetails(scenario), ...usageNotes(scenario).map((n) => `server CPU/RSS of ${n}`)],
      'note',
    ),
  ].join('\n');
}

function footprintSection(footprint: FootprintResult): string {
  const { rows, notes } = footprintCells(footprint);
  return [
    `<h2>${esc(FOOTPRINT_TITLE)}</h2>`,
    htmlTable(FOOTPRINT_HEADERS, rows),
    list(notes, 'note'),
  ].join('\n');
}

function beforeAfterSection(result: BenchResult, baseline: BenchResult | undefined): string {
  if (baseline === undefined || result.baseline === undefined) return '';
  return [
    `<h2>${esc(BEFORE_AFTER_TITLE)}</h2>`,
    `<p>${esc(baselineLine(baseline, result.baseline.file))}</p>`,
    htmlTable(BEFORE_AFTER_HEADERS, beforeAfterRows(result, baseline)),
  ].join('\n');
}

export function htmlReport(result: BenchResult, baseline?: BenchResult): string {
  const m = result.machine;
  const peers = result.peers.map((p) =>
    p.status === 'ok'
      ? `${p.name} (${p.address}): ${p.version ?? ''}; durability ${p.durability}: ${p.durabilityNote}; CPU/RSS: ${p.serverWatch}`
      : `${p.name} (${p.address}): skipped: ${p.reason}`,
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Tributary vs NATS JetStream vs Redis Streams — ${esc(result.startedAt)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Tributary beside NATS JetStream and Redis Streams</h1>
<p>${esc(`${result.mode} run (${result.command}), started ${result.startedAt}, ${Math.round(result.seconds)} s.`)}</p>
${list([
  `Machine: ${m.cpuModel}, ${m.cores} cores, ${m.ramGiB} GiB RAM; ${m.os}; Node ${m.node}; load average ${m.loadAverage1m.toFixed(2)} at start`,
  `Data dir ${m.dataDir} (${m.dataDirSameDeviceAsRepo ? 'same' : 'not the same'} device as the repository):`,
])}
<pre>${esc(m.dataDirFilesystem)}</pre>
${list(result.method)}
<h3>Peers</h3>
${list(peers)}
${result.scenarios.map(scenarioSection).join('\n')}
${result.footprint === undefined ? '' : footprintSection(result.footprint)}
${beforeAfterSection(result, baseline)}
</body>
</html>
`;
}
