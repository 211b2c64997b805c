// Statistics over repeated runs and the markdown they are reported in: medians with their
// spread, latency percentiles, tables, and the one section of bench/RESULTS.md this bench owns.
import * as fs from 'node:fs';
import { assert } from '@tributary/common';

export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** Median, min and max of the per-run values (an odd count keeps the median a real run). */
export function spread(values: readonly number[]): Spread {
  assert(values.length > 0, 'no values to summarize');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

/** Nearest-rank percentile of `samples` (sorted in place); p in [0, 100]. */
export function percentile(samples: Float64Array, p: number): number {
  assert(samples.length > 0, 'no samples');
  assert(p >= 0 && p <= 100, 'percentile out of range');
  samples.sort();
  const rank = Math.max(1, Math.ceil((p / 100) * samples.length));
  return samples[rank - 1]!;
}

/** A number with thousands separators and `digits` decimals. */
export function num(value: number, digits = 0): string {
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** Three significant digits, for latencies spanning microseconds to seconds. */
export function sig(value: number): string {
  if (value === 0) return '0';
  return Number(value.toPrecision(3)).toString();
}

export function withSpread(s: Spread, format: (value: number) => string): string {
  return `${format(s.median)} (${format(s.min)}–${format(s.max)})`;
}

/** A markdown table with padded columns, as Prettier formats it (RESULTS.md stays formatted). */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  assert(
    rows.every((row) => row.length === headers.length),
    'ragged table',
  );
  const widths = headers.map((h, i) => Math.max(3, h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/**
 * Writes `section` (which starts with `heading`) into the markdown file, replacing the old
 * section of that heading up to the next `## ` heading, and leaving every other section as
 * it was. Creates the file when missing.
 */
export function replaceSection(file: string, heading: string, section: string): void {
  assert(section.startsWith(heading), 'the section must start with its heading');
  const body = section.endsWith('\n') ? section : `${section}\n`;
  if (!fs.existsSync(file)) {
    fs.writeFileSync(file, `# Benchmark results\n\n${body}`);
    return;
  }
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const start = lines.findIndex((l) => l.trimEnd() === heading);
  if (start === -1) {
    const text = lines.join('\n').replace(/\n*$/, '\n\n');
    fs.writeFileSync(file, text + body);
    return;
  }
  let end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  if (end === -1) end = lines.length;
  const before = lines.slice(0, start).join('\n');
  const after = lines.slice(end).join('\n');
  const text = (before === '' ? '' : `${before}\n`) + body + (after === '' ? '' : `\n${after}`);
  fs.writeFileSync(file, text);
}
