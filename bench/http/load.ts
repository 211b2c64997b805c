// A closed-loop HTTP load generator, run as its own process (pinned to its own core when the
// bench can): `connections` loops, each sending the same request and waiting for its answer,
// for `durationMs` after a warm-up. Prints one JSON line: requests, errors, latency percentiles.
// bench/run drives the same loop (ClosedLoop) for several runs over one connection pool.
import { Pool } from 'undici';
import { closedLoops } from '../common/closed-loop';
import { Histogram, type HistogramSnapshot } from '../common/histogram';

export interface LoadRequest {
  origin: string;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  connections: number;
}

export interface LoadSpec extends LoadRequest {
  warmupMs: number;
  durationMs: number;
}

export interface LoadRun {
  /** Records in answers with a 2xx status (requests, at one record per request). */
  ok: number;
  errors: number;
  statuses: Record<string, number>;
  seconds: number;
  /** Per request, send to answer read; bounded whatever the request count. */
  latency: HistogramSnapshot;
}

export interface LoadResult {
  requests: number;
  errors: number;
  statuses: Record<string, number>;
  seconds: number;
  perSecond: number;
  latencyMs: { p50: number; p99: number; p999: number; max: number };
}

/**
 * `connections` loops over one pool; each run() measures a window of `durationMs`, or stops at
 * `recordsMax` records (each request carrying `recordsPerRequest`).
 */
export class ClosedLoop {
  private readonly pool: Pool;

  constructor(
    private readonly request: LoadRequest,
    private readonly recordsPerRequest = 1,
  ) {
    this.pool = new Pool(request.origin, { connections: request.connections, pipelining: 1 });
  }

  async run(durationMs: number, recordsMax?: number): Promise<LoadRun> {
    const statuses: Record<string, number> = {};
    const { method, path, headers, body } = this.request;
    const perRequest = this.recordsPerRequest;
    const result = await closedLoops(
      this.request.connections,
      {
        durationMs,
        recordsPerCall: perRequest,
        ...(recordsMax === undefined ? {} : { recordsMax }),
      },
      async () => {
        const response = await this.pool.request({
          method,
          path,
          headers,
          ...(body === undefined ? {} : { body }),
        });
        await response.body.dump();
        statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
        const ok = response.statusCode >= 200 && response.statusCode < 300;
        return { records: ok ? perRequest : 0, errors: ok ? 0 : 1 };
      },
    );
    return {
      ok: result.records,
      errors: result.errors,
      statuses,
      seconds: result.seconds,
      latency: result.latency,
    };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

async function run(spec: LoadSpec): Promise<LoadResult> {
  const load = new ClosedLoop(spec);
  try {
    await load.run(spec.warmupMs);
    const result = await load.run(spec.durationMs);
    const latency = Histogram.fromSnapshot(result.latency);
    const has = latency.count > 0;
    return {
      requests: latency.count,
      errors: result.errors,
      statuses: result.statuses,
      seconds: result.seconds,
      perSecond: result.ok / result.seconds,
      latencyMs: {
        p50: has ? latency.percentileMs(50) : NaN,
        p99: has ? latency.percentileMs(99) : NaN,
        p999: has ? latency.percentileMs(99.9) : NaN,
        max: has ? latency.maxMs : NaN,
      },
    };
  } finally {
    await load.close();
  }
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
