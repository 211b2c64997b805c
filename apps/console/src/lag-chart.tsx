// The total lag over time as an inline SVG line, with its scale written out, and the same
// figures in words for screen readers.
import type { LagSample } from './lag-history';
import { formatCount } from './format';

const WIDTH = 640;
const HEIGHT = 180;
const PAD = { left: 56, right: 12, top: 12, bottom: 28 };

export function LagChart({ samples }: { samples: readonly LagSample[] }) {
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (first === undefined || last === undefined) return <p class="muted">No samples yet.</p>;
  const max = niceCeiling(Math.max(...samples.map((s) => s.total)));
  const spanMs = Math.max(last.atMs - first.atMs, 1);
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (atMs: number) => PAD.left + ((atMs - first.atMs) / spanMs) * plotW;
  const y = (lag: number) => PAD.top + plotH - (lag / max) * plotH;
  const points = samples.map((s) => `${x(s.atMs).toFixed(1)},${y(s.total).toFixed(1)}`);
  const summary =
    `Total lag now ${formatCount(last.total)} records; highest ` +
    `${formatCount(Math.max(...samples.map((s) => s.total)))} over the last ` +
    `${Math.round(spanMs / 1000)} s (${samples.length} samples).`;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby="lag-chart-title">
        <title id="lag-chart-title">{summary}</title>
        <line class="axis" x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={PAD.top + plotH} />
        <line
          class="axis"
          x1={PAD.left}
          y1={PAD.top + plotH}
          x2={PAD.left + plotW}
          y2={PAD.top + plotH}
        />
        <line
          class="grid-line"
          x1={PAD.left}
          y1={y(max / 2)}
          x2={PAD.left + plotW}
          y2={y(max / 2)}
        />
        <text class="tick" x={PAD.left - 6} y={y(max) + 4} text-anchor="end">
          {formatCount(max)}
        </text>
        <text class="tick" x={PAD.left - 6} y={y(max / 2) + 4} text-anchor="end">
          {formatCount(max / 2)}
        </text>
        <text class="tick" x={PAD.left - 6} y={y(0) + 4} text-anchor="end">
          0
        </text>
        <text class="tick" x={PAD.left} y={HEIGHT - 8}>
          {`${Math.round(spanMs / 1000)} s ago`}
        </text>
        <text class="tick" x={PAD.left + plotW} y={HEIGHT - 8} text-anchor="end">
          now
        </text>
        {samples.length === 1 ? (
          <circle class="lag-point" cx={x(last.atMs)} cy={y(last.total)} r={3} />
        ) : (
          <polyline class="lag-line" points={points.join(' ')} />
        )}
      </svg>
      <figcaption>{summary}</figcaption>
    </figure>
  );
}

/** The smallest of 1, 2, 5 × 10^n at or above `n`, and at least 2: the top of the scale. */
function niceCeiling(n: number): number {
  if (n <= 2) return 2;
  const magnitude = 10 ** Math.floor(Math.log10(n));
  for (const step of [1, 2, 5, 10]) {
    if (step * magnitude >= n) return step * magnitude;
  }
  return 10 * magnitude;
}
