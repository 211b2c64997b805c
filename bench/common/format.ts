// How bench figures are printed: thousands separators, significant digits, median with its
// min–max, and markdown tables padded the way Prettier pads them.
import { assert } from '@tributary/common';
import { type Spread } from './stats';

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
