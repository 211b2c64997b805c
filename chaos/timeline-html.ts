// timeline.html: one self-contained page (inline SVG and CSS, nothing loaded) showing the run
// against time: the faults as bands (one lane per kind, hover for the detail), acknowledged
// produces and failed attempts per second, each partition's leader, and the violations.
import { escapeHtml as esc } from '../bench/run/svg-charts';
import { type Violation } from './checker';
import { type FaultRecord } from './history';
import { type LeaderChange, type SecondBucket, type UnavailabilitySummary } from './summary';

const WIDTH = 1200;
const LEFT = 150;
const PLOT = WIDTH - LEFT - 20;
const LANE = 18;
const NODE_COLORS = ['#888', '#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b'];
const KIND_COLORS = [
  '#d62728',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#9467bd',
  '#8c564b',
  '#aec7e8',
];

export interface TimelineInput {
  title: string;
  summaryRows: [string, string][];
  runMs: number;
  faults: readonly FaultRecord[];
  kinds: readonly string[];
  seconds: readonly SecondBucket[];
  leaders: readonly LeaderChange[];
  partitions: number;
  unavailability: UnavailabilitySummary;
  violations: readonly Violation[];
}

function axis(runMs: number, y: number, height: number): string[] {
  const x = (ms: number) => LEFT + (ms / Math.max(1, runMs)) * PLOT;
  const stepS = [1, 2, 5, 10, 15, 30, 60, 120, 300].find((s) => runMs / 1000 / s <= 12) ?? 600;
  const lines: string[] = [];
  for (let s = 0; s * 1000 <= runMs; s += stepS) {
    lines.push(
      `<line x1="${x(s * 1000)}" y1="${y}" x2="${x(s * 1000)}" y2="${y + height}" class="grid"/>`,
      `<text x="${x(s * 1000)}" y="${y + height + 12}" text-anchor="middle" class="tick">${s}s</text>`,
    );
  }
  return lines;
}

function faultBands(input: TimelineInput): string {
  const { runMs, faults, kinds } = input;
  const x = (ms: number) => LEFT + (Math.min(ms, runMs) / Math.max(1, runMs)) * PLOT;
  const height = kinds.length * LANE;
  const body = axis(runMs, 0, height);
  kinds.forEach((kind, lane) => {
    body.push(
      `<text x="${LEFT - 6}" y="${lane * LANE + 13}" text-anchor="end" class="label">${esc(kind)}</text>`,
    );
  });
  for (const f of faults) {
    const lane = kinds.indexOf(f.kind);
    const start = x(f.startMs);
    const width = Math.max(2, x(f.endMs ?? runMs) - start);
    const color = f.error === undefined ? KIND_COLORS[lane % KIND_COLORS.length]! : '#000';
    const tip = `${f.kind} ${(f.startMs / 1000).toFixed(1)}-${((f.endMs ?? runMs) / 1000).toFixed(1)}s: ${f.detail}${f.error === undefined ? '' : ` ERROR ${f.error}`}`;
    body.push(
      `<rect x="${start}" y="${lane * LANE + 2}" width="${width}" height="${LANE - 4}" fill="${color}"><title>${esc(tip)}</title></rect>`,
    );
  }
  return svg('Faults', height + 16, body);
}

function rates(input: TimelineInput): string {
  const { runMs, seconds } = input;
  const height = 160;
  const top = Math.max(1, ...seconds.map((b) => Math.max(b.acked, b.errors)));
  const x = (s: number) => LEFT + ((s * 1000) / Math.max(1, runMs)) * PLOT;
  const y = (v: number) => height - (v / top) * height;
  const line = (pick: (b: SecondBucket) => number) =>
    seconds.map((b) => `${x(b.second + 0.5).toFixed(1)},${y(pick(b)).toFixed(1)}`).join(' ');
  const body = [
    ...axis(runMs, 0, height),
    `<text x="${LEFT - 6}" y="12" text-anchor="end" class="label">${top}/s</text>`,
    `<text x="${LEFT - 6}" y="${height}" text-anchor="end" class="label">0</text>`,
    `<polyline points="${line((b) => b.acked)}" fill="none" stroke="#2ca02c" stroke-width="1.5"/>`,
    `<polyline points="${line((b) => b.errors)}" fill="none" stroke="#d62728" stroke-width="1.5"/>`,
    `<text x="${LEFT + 8}" y="12" class="legend" fill="#2ca02c">acks=all produces acknowledged per second</text>`,
    `<text x="${LEFT + 8}" y="26" class="legend" fill="#d62728">produce attempts failed per second</text>`,
  ];
  return svg('Throughput and errors', height + 16, body);
}

function leaderLanes(input: TimelineInput): string {
  const { runMs, leaders, partitions } = input;
  const x = (ms: number) => LEFT + (Math.min(ms, runMs) / Math.max(1, runMs)) * PLOT;
  const height = partitions * LANE;
  const body = axis(runMs, 0, height);
  for (let p = 0; p < partitions; p++) {
    body.push(
      `<text x="${LEFT - 6}" y="${p * LANE + 13}" text-anchor="end" class="label">partition ${p}</text>`,
    );
    const changes = leaders.filter((c) => c.partition === p);
    changes.forEach((c, i) => {
      const end = changes[i + 1]?.atMs ?? runMs;
      const color = c.leader > 0 ? NODE_COLORS[c.leader % NODE_COLORS.length]! : '#fff';
      body.push(
        `<rect x="${x(c.atMs)}" y="${p * LANE + 2}" width="${Math.max(1, x(end) - x(c.atMs))}" height="${LANE - 4}" fill="${color}" stroke="#333" stroke-width="0.3"><title>${esc(`partition ${p}: leader ${c.leader > 0 ? `node ${c.leader}` : 'none'}, epoch ${c.leaderEpoch}, from ${(c.atMs / 1000).toFixed(1)}s`)}</title></rect>`,
      );
    });
  }
  return svg('Partition leaders', height + 16, body);
}

function svg(title: string, height: number, body: string[]): string {
  return [
    `<h2>${esc(title)}</h2>`,
    `<svg role="img" aria-label="${esc(title)}" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}">`,
    ...body,
    '</svg>',
  ].join('\n');
}

function table(rows: readonly string[][], headers?: readonly string[]): string {
  const head =
    headers === undefined ? '' : `<tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`;
  return `<table>${head}${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</table>`;
}

export function timelineHtml(input: TimelineInput): string {
  const nodeKey = NODE_COLORS.slice(1)
    .map((color, i) => `<span style="background:${color}" class="key">node ${i + 1}</span>`)
    .join(' ');
  const shown = input.violations.slice(0, 200);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(input.title)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
.grid{stroke:#eee}.tick,.label,.legend{font-size:11px}.tick{fill:#666}
.key{color:#fff;padding:1px 6px;border-radius:3px;font-size:12px}
.bad{color:#b00}
</style></head><body>
<h1>${esc(input.title)}</h1>
${table(input.summaryRows.map(([k, v]) => [k, v]))}
${faultBands(input)}
${rates(input)}
${leaderLanes(input)}
<p>${nodeKey} <span style="background:#fff;color:#000;border:1px solid #333" class="key">no leader</span></p>
<h2>Unavailability after each kill of a leader (target ${input.unavailability.targetMs} ms)</h2>
${table(
  input.unavailability.perFault.map((u) => [
    `${(u.atMs / 1000).toFixed(1)}s`,
    u.kind,
    `node ${u.node}`,
    u.partitions.join(', '),
    u.ms === null ? 'not healed in the run' : `${u.ms} ms`,
    u.overlapping.length === 0 ? '-' : u.overlapping.map((id) => `#${id}`).join(' '),
  ]),
  ['at', 'fault', 'node', 'partitions it led', 'until the first ack on each', 'overlapping faults'],
)}
<h2 class="${input.violations.length > 0 ? 'bad' : ''}">Violations: ${input.violations.length}</h2>
${
  shown.length === 0
    ? '<p>None.</p>'
    : table(
        shown.map((v) => [v.kind, v.message, v.ops.join(', ')]),
        ['kind', 'what', 'operations (see result.json)'],
      )
}
</body></html>
`;
}
