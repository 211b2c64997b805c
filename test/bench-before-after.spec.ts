// The bench's "Before and after" table: rows of this run beside their match in an earlier run
// (same scenario, system, variant, case and client shape), throughput by records/s, latency by
// p50 and p99, the footprint by start-up time and RSS; what has no match says so.
import { beforeAfterRows, readBaseline } from '../bench/run/before-after';
import { parseArgs, UsageError } from '../bench/run/cli';
import { type BenchResult, type MeasuredRow, RESULT_SCHEMA } from '../bench/run/results';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const spread = (median: number) => ({ median, min: median * 0.9, max: median * 1.1 });

function row(variant: string, recordsPerSecond: number, p99?: number): MeasuredRow {
  return {
    system: 'tributary',
    variant,
    group: '100 B',
    durability: 'fsync',
    durabilityNote: '',
    workload: '',
    messageBytes: 100,
    status: 'ok',
    runs: [],
    recordsPerSecond: spread(recordsPerSecond),
    mbPerSecond: spread(1),
    ...(p99 === undefined
      ? {}
      : { latencyMs: { p50: spread(p99 / 4), p99: spread(p99), p999: spread(p99 * 2) } }),
    errors: 0,
    server: { cpuPercent: 50, peakRssMb: 400 },
    notes: [],
  };
}

function result(scenarios: BenchResult['scenarios'], readyMs: number): BenchResult {
  return {
    schema: RESULT_SCHEMA,
    mode: 'full',
    command: 'npm run bench',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:10:00.000Z',
    seconds: 600,
    machine: {} as BenchResult['machine'],
    method: [],
    peers: [],
    scenarios,
    footprint: {
      idleMs: 5_000,
      starts: [
        {
          label: 'empty data dir (first start)',
          partitions: 0,
          readyMs: spread(readyMs),
          idleRssMb: spread(300),
          runs: [],
        },
      ],
      peakRssUnderLoadMb: 600,
      peers: [],
    },
  };
}

const scenario = (id: string, metric: 'throughput' | 'latency', rows: MeasuredRow[]) => ({
  id,
  title: id,
  description: '',
  metric,
  rows,
  seconds: 1,
});

describe('bench before and after', () => {
  const before = result(
    [
      scenario('a', 'throughput', [row('fsync', 1_000)]),
      scenario('d', 'latency', [row('ws', 0, 8)]),
    ],
    4_000,
  );
  const after = result(
    [
      scenario('a', 'throughput', [row('fsync', 1_500), row('binary', 9_000)]),
      scenario('d', 'latency', [row('ws', 0, 4)]),
    ],
    2_000,
  );

  it('puts each row beside its match, and says when there is none', () => {
    const rows = beforeAfterRows(after, before);
    const find = (variant: string, measure: string) =>
      rows.find((r) => r[3] === variant && r[4] === measure);
    expect(find('fsync', 'records/s')).toEqual([
      'a',
      '100 B',
      'Tributary',
      'fsync',
      'records/s',
      '1,000 (900–1,100)',
      '1,500 (1,350–1,650)',
      '1.5x',
    ]);
    expect(find('binary', 'records/s')?.slice(5)).toEqual([
      'no such row then',
      '9,000 (8,100–9,900)',
      '',
    ]);
    expect(find('ws', 'p99 ms')?.[7]).toBe('0.50x');
    expect(find('ws', 'p50 ms')?.[7]).toBe('0.50x');
    const ready = rows.find((r) => r[0] === 'i' && r[4] === 'ready ms');
    expect(ready?.[7]).toBe('0.50x');
    expect(rows.find((r) => r[3] === 'peak RSS')?.slice(5)).toEqual(['600', '600', '1.0x']);
  });

  it('reads a baseline file, and refuses what is not a result', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-baseline-'));
    try {
      const good = path.join(dir, 'good.json');
      fs.writeFileSync(good, JSON.stringify(before));
      expect(readBaseline(good).startedAt).toBe(before.startedAt);
      const bad = path.join(dir, 'bad.json');
      fs.writeFileSync(bad, JSON.stringify({ schema: 'other' }));
      expect(() => readBaseline(bad)).toThrow(/not a tributary-bench\/1 result/);
      expect(() => readBaseline(path.join(dir, 'missing.json'))).toThrow(/missing\.json/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes --baseline on the command line', () => {
    expect(parseArgs(['--baseline', 'x.json']).baseline).toBe('x.json');
    expect(parseArgs([]).baseline).toBeUndefined();
    expect(() => parseArgs(['--baseline'])).toThrow(UsageError);
  });
});
