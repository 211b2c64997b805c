// Charts for the HTML report as inline SVG strings: nothing to load, nothing to run. Horizontal
// bars with a min–max whisker for throughput; grouped bars on a log axis for latency
// percentiles. Rows not measured keep their line, with the reason instead of a bar.
import { num, sig } from '../common/format';

const WIDTH = 1140;
const LABEL_WIDTH = 380;
const VALUE_WIDTH = 260;
const PLOT_WIDTH = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
const ROW_HEIGHT = 24;
const AXIS_HEIGHT = 40;

/** Text for HTML and SVG; `/` too, so that no text can read as a URL to load. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"'/]/g,
    (c) =>
      ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '/': '&#47;' })[c]!,
  );
}

export interface BarItem {
  label: string;
  color: string;
  /** Absent: the row was not measured; `missing` says why. */
  value?: { median: number; min: number; max: number; text: string };
  missing?: string;
}

function svg(height: number, body: string[], title: string): string {
  return [
    `<svg role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}">`,
    ...body,
    '</svg>',
  ].join('\n');
}

function label(y: number, text: string): string {
  return `<text x="${LABEL_WIDTH - 8}" y="${y + 16}" text-anchor="end" class="label">${escapeHtml(text)}</text>`;
}

/** A round tick step (1, 2 or 5 times a power of ten) giving about four ticks up to `top`. */
function tickStep(top: number): number {
  const rough = top / 4;
  const decade = 10 ** Math.floor(Math.log10(rough));
  return [1, 2, 5, 10].map((m) => m * decade).find((step) => step >= rough) ?? 10 * decade;
}

/** Throughput bars, linear axis from 0. */
export function barChart(title: string, unit: string, items: readonly BarItem[]): string {
  const highest = Math.max(1, ...items.map((i) => i.value?.max ?? 0));
  const step = tickStep(highest);
  const top = Math.ceil((highest * 1.02) / step) * step;
  const x = (v: number) => LABEL_WIDTH + (v / top) * PLOT_WIDTH;
  const body: string[] = [];
  items.forEach((item, i) => {
    const y = i * ROW_HEIGHT;
    body.push(label(y, item.label));
    if (item.value === undefined) {
      body.push(
        `<text x="${LABEL_WIDTH + 4}" y="${y + 16}" class="missing">${escapeHtml(item.missing ?? 'not measured')}</text>`,
      );
      return;
    }
    const { median, min, max, text } = item.value;
    const mid = y + ROW_HEIGHT / 2;
    body.push(
      `<rect x="${LABEL_WIDTH}" y="${y + 4}" width="${Math.max(1, x(median) - LABEL_WIDTH).toFixed(1)}" height="${ROW_HEIGHT - 8}" fill="${item.color}"><title>${escapeHtml(text)}</title></rect>`,
      `<line x1="${x(min).toFixed(1)}" x2="${x(max).toFixed(1)}" y1="${mid}" y2="${mid}" class="whisker"/>`,
      `<text x="${WIDTH - VALUE_WIDTH + 8}" y="${y + 16}" class="value">${escapeHtml(text)}</text>`,
    );
  });
  const axisY = items.length * ROW_HEIGHT;
  const ticks: number[] = [];
  for (let t = 0; t <= top; t += step) ticks.push(t);
  body.push(...axis(axisY, ticks, x, (t) => num(t), unit));
  return svg(axisY + AXIS_HEIGHT, body, title);
}

function axis(
  y: number,
  ticks: readonly number[],
  x: (v: number) => number,
  format: (v: number) => string,
  unit: string,
): string[] {
  return [
    `<line x1="${LABEL_WIDTH}" x2="${LABEL_WIDTH + PLOT_WIDTH}" y1="${y}" y2="${y}" class="axis"/>`,
    ...ticks.map(
      (t) =>
        `<text x="${x(t).toFixed(1)}" y="${y + 15}" text-anchor="middle" class="tick">${escapeHtml(format(t))}</text>`,
    ),
    `<text x="${LABEL_WIDTH + PLOT_WIDTH}" y="${y + 32}" text-anchor="end" class="tick">${escapeHtml(unit)}</text>`,
  ];
}

export interface LatencyItem {
  label: string;
  color: string;
  /** Medians over the runs, ms. Absent: not measured (`missing` says why). */
  percentiles?: { p50: number; p99: number; p999: number };
  missing?: string;
}

const SHADES = [
  { key: 'p50', opacity: 1 },
  { key: 'p99', opacity: 0.65 },
  { key: 'p999', opacity: 0.35 },
] as const;

/** p50 / p99 / p99.9 as three bars per row on a log axis (ms). */
export function latencyChart(title: string, items: readonly LatencyItem[]): string {
  const values = items.flatMap((i) => (i.percentiles ? Object.values(i.percentiles) : []));
  const lo = 10 ** Math.floor(Math.log10(Math.max(0.001, Math.min(...values, 1))));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values, lo * 10)));
  const x = (v: number) =>
    LABEL_WIDTH + (Math.log10(Math.max(v, lo) / lo) / Math.log10(hi / lo)) * PLOT_WIDTH;
  const rowHeight = ROW_HEIGHT + 12;
  const body: string[] = [];
  items.forEach((item, i) => {
    const y = i * rowHeight;
    body.push(label(y + 4, item.label));
    if (item.percentiles === undefined) {
      body.push(
        `<text x="${LABEL_WIDTH + 4}" y="${y + 20}" class="missing">${escapeHtml(item.missing ?? 'not measured')}</text>`,
      );
      return;
    }
    const p = item.percentiles;
    SHADES.forEach(({ key, opacity }, k) => {
      const w = Math.max(1, x(p[key]) - LABEL_WIDTH);
      body.push(
        `<rect x="${LABEL_WIDTH}" y="${y + 3 + k * 10}" width="${w.toFixed(1)}" height="9" fill="${item.color}" fill-opacity="${opacity}"><title>${key} ${escapeHtml(sig(p[key]))} ms</title></rect>`,
      );
    });
    const text = `p50 ${sig(p.p50)} · p99 ${sig(p.p99)} · p99.9 ${sig(p.p999)} ms`;
    body.push(
      `<text x="${WIDTH - VALUE_WIDTH + 8}" y="${y + 20}" class="value">${escapeHtml(text)}</text>`,
    );
  });
  const axisY = items.length * rowHeight;
  const decades: number[] = [];
  for (let d = lo; d <= hi * 1.0001; d *= 10) decades.push(d);
  body.push(...axis(axisY, decades, x, sig, 'ms, log scale'));
  return svg(axisY + AXIS_HEIGHT, body, title);
}
