// A closed-loop HTTP load generator, run as its own process (pinned to its own core when the
// bench can): `connections` loops, each sending the same request and waiting for its answer,
// for `durationMs` after a warm-up. Prints one JSON line: requests, errors, latency percentiles.
import { Pool } from 'undici';

export interface LoadSpec {
  origin: string;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  connections: number;
  warmupMs: number;
  durationMs: number;
}

export interface LoadResult {
  requests: number;
  errors: number;
  statuses: Record<string, number>;
  seconds: number;
  perSecond: number;
  latencyMs: { p50: number; p99: number; p999: number; max: number };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

async function run(spec: LoadSpec): Promise<LoadResult> {
  const pool = new Pool(spec.origin, { connections: spec.connections, pipelining: 1 });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let measuring = false;
  let stop = false;
  const loop = async () => {
    while (!stop) {
      const started = performance.now();
      try {
        const response = await pool.request({
          method: spec.method,
          path: spec.path,
          headers: spec.headers,
          ...(spec.body === undefined ? {} : { body: spec.body }),
        });
        await response.body.dump();
        if (measuring) {
          latencies.push(performance.now() - started);
          statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
        }
      } catch {
        if (measuring) errors++;
      }
    }
  };
  const loops = Array.from({ length: spec.connections }, loop);
  await new Promise((resolve) => setTimeout(resolve, spec.warmupMs));
  measuring = true;
  const startedMs = performance.now();
  await new Promise((resolve) => setTimeout(resolve, spec.durationMs));
  measuring = false;
  const seconds = (performance.now() - startedMs) / 1000;
  stop = true;
  await Promise.all(loops);
  await pool.close();
  latencies.sort((a, b) => a - b);
  const ok = Object.entries(statuses)
    .filter(([status]) => status.startsWith('2'))
    .reduce((sum, [, n]) => sum + n, 0);
  return {
    requests: latencies.length,
    errors: errors + latencies.length - ok,
    statuses,
    seconds,
    perSecond: ok / seconds,
    latencyMs: {
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      p999: percentile(latencies, 99.9),
      max: latencies[latencies.length - 1] ?? NaN,
    },
  };
}

if (require.main === module) {
  const spec = JSON.parse(process.argv[2]!) as LoadSpec;
  run(spec)
    .then((result) => process.stdout.write(JSON.stringify(result) + '\n'))
    .catch((error: unknown) => {
      process.stderr.write(String(error) + '\n');
      process.exit(1);
    });
}
