// `npm run bench:http`: the HTTP service measured beside a raw node:http server in one run.
// The node (standalone, fresh DATA_DIR) and the raw server run pinned to core 0, the load
// generator on core 1 (taskset), so the two do not share a core. Scenarios: single-record
// produce with 64 connections (vs raw node:http), batched produce (500 records of 100 B per
// request), fetch, and long-poll wake-up latency; each 3 runs after a warm-up, medians with
// (min–max); server CPU and peak RSS per scenario.
import { type ChildProcess } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { Pool } from 'undici';
import { num, table, withSpread } from '../common/format';
import {
  failureText,
  hasTaskset,
  pinSelf,
  procUsage,
  resetPeakRss,
  spawnPinned,
} from '../common/processes';
import { replaceSection } from '../common/results-md';
import { percentileOfSorted as percentile, spread } from '../common/stats';
import { api, fetchAll, recordsBody } from '../common/tributary-http';
import { type LoadResult, type LoadSpec } from './load';
import { type OpenLoadResult, type OpenLoadSpec } from './open-load';

const HEADING = '## HTTP service (bench/http)';
const COMMAND = 'npm run bench:http';
const RUNS = 3;
const DURATION_MS = 5_000;
const WARMUP_MS = 1_500;
const ADMIN = 'bench-operator-token-0123456789';
const WAKE_ROUNDS = 300;
/** The overload row: open-loop arrivals at this multiple of the sustainable single-record rate. */
const OVERLOAD_FACTOR = 2;
const OVERLOAD_MS = 10_000;

function firstLine(
  proc: ChildProcess,
  accept: (line: string) => string | undefined,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: proc.stdout! });
    lines.on('line', (line) => {
      const value = accept(line);
      if (value !== undefined) resolve(value);
    });
    proc.once('exit', (code) => reject(new Error(`process exited (${code}) before it was ready`)));
  });
}

async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return runGenerator<LoadResult>('load.js', spec);
}

async function runGenerator<T>(script: string, spec: object): Promise<T> {
  const proc = spawnPinned(1, [path.join(__dirname, script), JSON.stringify(spec)]);
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
  if (code !== 0) throw new Error(`load generator failed (${code})`);
  return JSON.parse(out) as T;
}

interface Overload {
  ratePerSecond: number;
  runs: OpenLoadResult[];
  peakRssMb: number;
}

/** Open-loop single-record produces at OVERLOAD_FACTOR x the sustainable rate, RUNS times. */
async function overload(
  serverPid: number,
  sustainablePerSecond: number,
  request: Omit<OpenLoadSpec, 'ratePerSecond' | 'durationMs' | 'inFlightMax'>,
): Promise<Overload> {
  resetPeakRss(serverPid);
  const ratePerSecond = Math.round(sustainablePerSecond * OVERLOAD_FACTOR);
  const runs: OpenLoadResult[] = [];
  for (let run = 0; run < RUNS; run++) {
    runs.push(
      await runGenerator<OpenLoadResult>('open-load.js', {
        ...request,
        ratePerSecond,
        durationMs: OVERLOAD_MS,
        inFlightMax: 20_000,
      }),
    );
  }
  return { ratePerSecond, runs, peakRssMb: procUsage(serverPid).peakRssMb };
}

function overloadLine(o: Overload): string {
  const share = (r: OpenLoadResult) => r.shed / Math.max(1, r.due);
  const served = (r: OpenLoadResult) => r.served / r.seconds;
  const retryAfter = o.runs.reduce((n, r) => n + r.shedWithRetryAfter, 0);
  const shed = o.runs.reduce((n, r) => n + r.shed, 0);
  const others = o.runs.reduce((n, r) => n + r.other + r.clientDropped, 0);
  const f = (pick: (r: OpenLoadResult) => number, digits = 0) =>
    withSpread(spread(o.runs.map(pick)), (v) => num(v, digits));
  return (
    `- Overload (open loop, ${num(o.ratePerSecond)} single-record produces/s = ${OVERLOAD_FACTOR}x the fsync row's median, ` +
    `${OVERLOAD_MS / 1000} s x ${RUNS}, up to 1024 connections): served ${f(served)} req/s; ` +
    `served from its writing to its answer p50 ${f((r) => r.servedSinceSentMs.p50, 1)} ms, p99 ${f((r) => r.servedSinceSentMs.p99, 1)} ms ` +
    `(from when it was due, waits for a free connection included: p50 ${f((r) => r.servedMs.p50, 1)} ms, p99 ${f((r) => r.servedMs.p99, 1)} ms, max ${f((r) => r.servedMs.max, 1)} ms); ` +
    `shed ${f((r) => share(r) * 100, 1)}% (429/503 answered in p99 ${f((r) => r.shedMs.p99, 1)} ms, ` +
    `${num((retryAfter / Math.max(1, shed)) * 100, 1)}% with Retry-After; a refused connection reads nothing for that long, so the client's other requests wait for a free one); ` +
    `not sent (the client's bound of 20,000 waiting reached) or failed: ${others}; node peak RSS ${num(o.peakRssMb)} MB.`
  );
}

interface Measured {
  perSecond: number[];
  p50: number[];
  p99: number[];
  cpuPercent: number[];
  peakRssMb: number;
  errors: number;
}

async function measure(
  serverPid: number,
  spec: Omit<LoadSpec, 'warmupMs' | 'durationMs'>,
  multiplier = 1,
): Promise<Measured> {
  const m: Measured = { perSecond: [], p50: [], p99: [], cpuPercent: [], peakRssMb: 0, errors: 0 };
  resetPeakRss(serverPid);
  for (let run = 0; run < RUNS; run++) {
    const before = procUsage(serverPid);
    const result = await runLoad({
      ...spec,
      warmupMs: run === 0 ? WARMUP_MS : 300,
      durationMs: DURATION_MS,
    });
    const after = procUsage(serverPid);
    m.perSecond.push(result.perSecond * multiplier);
    m.p50.push(result.latencyMs.p50);
    m.p99.push(result.latencyMs.p99);
    m.cpuPercent.push(
      ((after.cpuSeconds - before.cpuSeconds) /
        (DURATION_MS / 1000 + (run === 0 ? WARMUP_MS : 300) / 1000)) *
        100,
    );
    m.errors += result.errors;
    m.peakRssMb = Math.max(m.peakRssMb, after.peakRssMb);
  }
  return m;
}

async function wakeLatencies(origin: string, key: string, topic: string): Promise<number[]> {
  const pool = new Pool(origin, { connections: 2 });
  const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const samples: number[] = [];
  let offset = (await api(origin, 'GET', `/v1/topics/${topic}`, key)).partitions[0]
    .highWatermark as number;
  for (let i = 0; i < WAKE_ROUNDS; i++) {
    const poll = pool.request({
      method: 'GET',
      path: `/v1/topics/${topic}/partitions/0/records?offset=${offset}&maxWaitMs=5000`,
      headers: auth,
    });
    await new Promise((resolve) => setTimeout(resolve, 5)); // let the poll park (a bench, not a test)
    const sentMs = performance.now();
    const produce = pool.request({
      method: 'POST',
      path: `/v1/topics/${topic}/records?acks=1`,
      headers: auth,
      body: '{"records":[{"value":1}]}',
    });
    const answer = await poll;
    const page = (await answer.body.json()) as { records: unknown[] };
    samples.push(performance.now() - sentMs);
    await (await produce).body.dump();
    if (page.records.length !== 1) throw new Error('the long-poll woke without the record');
    offset += 1;
  }
  await pool.close();
  return samples.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const startedMs = performance.now();
  pinSelf(1); // with the load generators: the wake-up client measures from this process
  const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tributary-http-bench-'));
  const node = spawnPinned(
    0,
    [path.join(__dirname, '..', '..', 'apps', 'broker', 'src', 'main.js')],
    {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      TRIBUTARY_ADMIN_TOKEN: ADMIN,
      TRIBUTARY_LOG_LEVEL: 'info',
      DATABASE_URL: '',
    },
  );
  const raw = spawnPinned(0, [path.join(__dirname, 'raw-server.js')]);
  try {
    const origin = await firstLine(node, (line) => {
      const entry = JSON.parse(line) as { msg?: string; url?: string };
      return entry.msg === 'tributary is ready' ? entry.url : undefined;
    });
    const rawOrigin = `http://127.0.0.1:${await firstLine(raw, (line) => line.trim())}`;
    await api(origin, 'POST', '/v1/admin/tenants', ADMIN, { name: 'bench' });
    const key = (
      await api(origin, 'POST', '/v1/admin/tenants/bench/keys', ADMIN, { name: 'bench' })
    ).key as string;
    for (const durability of ['fsync', 'replicated']) {
      await api(origin, 'POST', '/v1/topics', key, {
        name: `single-${durability}`,
        partitions: 6,
        configs: { durability },
      });
      await api(origin, 'POST', '/v1/topics', key, {
        name: `batch-${durability}`,
        partitions: 6,
        configs: { durability },
      });
      await api(origin, 'POST', '/v1/topics', key, {
        name: `wake-${durability}`,
        configs: { durability },
      });
    }
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const single = recordsBody(1, 100);
    const batch = recordsBody(500, 100);
    const nodePid = node.pid!;
    const rows: string[][] = [];
    const row = (name: string, unit: string, m: Measured, durability: string) =>
      rows.push([
        name,
        durability,
        `${withSpread(spread(m.perSecond), (v) => num(v))} ${unit}`,
        withSpread(spread(m.p50), (v) => num(v, 2)),
        withSpread(spread(m.p99), (v) => num(v, 2)),
        num(spread(m.cpuPercent).median),
        num(m.peakRssMb),
        String(m.errors),
      ]);

    const rawSingle = await measure(raw.pid!, {
      origin: rawOrigin,
      method: 'POST',
      path: '/',
      headers,
      body: single,
      connections: 64,
    });
    row('raw node:http, 1 record/request, 64 conns', 'req/s', rawSingle, 'none');
    const singles: Record<string, Measured> = {};
    for (const durability of ['fsync', 'replicated']) {
      singles[durability] = await measure(nodePid, {
        origin,
        method: 'POST',
        path: `/v1/topics/single-${durability}/records`,
        headers,
        body: single,
        connections: 64,
      });
      row(
        'produce, 1 record/request, 64 conns, acks=all',
        'req/s',
        singles[durability],
        durability,
      );
    }
    const overloaded = await overload(nodePid, spread(singles.fsync!.perSecond).median, {
      origin,
      method: 'POST',
      path: '/v1/topics/single-fsync/records',
      headers,
      body: single,
      connections: 1024,
    });
    const batches: Record<string, Measured> = {};
    for (const durability of ['fsync', 'replicated']) {
      batches[durability] = await measure(
        nodePid,
        {
          origin,
          method: 'POST',
          path: `/v1/topics/batch-${durability}/records`,
          headers,
          body: batch,
          connections: 8,
        },
        500,
      );
      row(
        'produce, 500 records of 100 B/request, 8 conns, acks=all',
        'records/s',
        batches[durability],
        durability,
      );
    }
    const fetches: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const read = await fetchAll(origin, key, 'batch-replicated', 6);
      fetches.push(read.records / read.seconds);
    }
    const wakes: Record<string, number[]> = {};
    for (const durability of ['replicated', 'fsync'])
      wakes[durability] = await wakeLatencies(origin, key, `wake-${durability}`);
    const finalUsage = procUsage(nodePid);

    const singleRatio =
      spread(singles.fsync!.perSecond).median / spread(rawSingle.perSecond).median;
    const singleRatioReplicated =
      spread(singles.replicated!.perSecond).median / spread(rawSingle.perSecond).median;
    const batchMedian = Math.max(spread(batches.fsync!.perSecond).median, 0);
    const wakeP99 = percentile(wakes.replicated!, 99);
    const cpu = os.cpus()[0]?.model ?? 'unknown';
    const section = [
      HEADING,
      '',
      `Command: \`${COMMAND}\` (SWC build, then \`node dist/bench/http/http.bench.js\`)`,
      '',
      `Date: ${new Date().toISOString()}`,
      '',
      `- CPU: ${cpu}, ${os.cpus().length} cores; RAM ${num(os.totalmem() / 2 ** 30, 1)} GiB; Node ${process.version}`,
      `- Pinning: ${hasTaskset ? 'servers on core 0; load generators and this process (the wake-up client) on core 1 (taskset)' : 'none (taskset unavailable)'}. The node is standalone (embedded metadata, fresh DATA_DIR, log level info); the raw server reads the body and answers a fixed produce-shaped JSON.`,
      `- Each load row: ${RUNS} runs of ${DURATION_MS / 1000} s after a warm-up, closed loop (each connection waits for its answer), medians with (min–max). Latency in ms at the client. Server CPU is % of one core; peak RSS is the server's VmHWM over the scenario.`,
      '- Record values are 100-byte JSON strings, no keys (sticky partitioning over 6 partitions); acks=all.',
      '',
      table(
        [
          'scenario',
          'durability',
          'throughput',
          'p50 ms',
          'p99 ms',
          'server CPU %',
          'peak RSS MB',
          'errors',
        ],
        rows,
      ),
      '',
      overloadLine(overloaded),
      `- Fetch (6 partitions read from offset 0 to the high watermark in parallel, maxRecords=10000, JSON): ${withSpread(spread(fetches), (v) => num(v))} records/s.`,
      `- Long-poll wake-up (produce request sent -> parked long-poll answered, ${WAKE_ROUNDS} rounds): replicated p50 ${num(percentile(wakes.replicated!, 50), 2)} ms, p99 ${num(wakeP99, 2)} ms; fsync p50 ${num(percentile(wakes.fsync!, 50), 2)} ms, p99 ${num(percentile(wakes.fsync!, 99), 2)} ms (fsync includes the fdatasync before the record is visible).`,
      `- Node peak RSS over the whole run: ${num(finalUsage.peakRssMb)} MB. Whole run: ${num((performance.now() - startedMs) / 1000)} s.`,
      '',
      '### Targets',
      '',
      `- single-record produce >= 50% of raw node:http: fsync ${num(singleRatio * 100)}%, replicated ${num(singleRatioReplicated * 100)}% — **${singleRatio >= 0.5 ? 'PASS' : 'FAIL'}** (fsync)`,
      `- batched produce >= 400,000 records/s: fsync ${num(batchMedian)} records/s — **${batchMedian >= 400_000 ? 'PASS' : 'FAIL'}**`,
      `- long-poll wake-up p99 <= 2 ms: ${num(wakeP99, 2)} ms (replicated) — **${wakeP99 <= 2 ? 'PASS' : 'FAIL'}**`,
      '',
    ].join('\n');
    process.stdout.write(section + '\n');
    replaceSection(path.join(__dirname, '..', '..', '..', 'bench', 'RESULTS.md'), HEADING, section);
  } finally {
    node.kill('SIGTERM');
    raw.kill('SIGTERM');
    await new Promise((resolve) => node.once('exit', resolve));
    await fsp.rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${failureText(error)}\n`);
  process.exit(1);
});
