// `npm run bench` end to end on a tiny workload: the runner builds nothing here (npm test built
// dist/), starts the node, reaches the peers, runs every scenario for a few hundred ms and writes
// its JSON and HTML into a temporary --out dir. What is checked is the output's structure — every
// row measured (medians within min–max over ≥3 runs) or carrying its reason — never speeds.
import { execFile } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { distScript } from './support/dist';

interface Exit {
  code: number;
  stdout: string;
  stderr: string;
}

function runner(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Exit> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [distScript('bench/run/runner.js'), ...args],
      { env, timeout: 170_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr }),
    );
  });
}

async function readResult(dir: string): Promise<any> {
  const files = (await fsp.readdir(dir)).filter((f) => f.endsWith('.json'));
  expect(files).toHaveLength(1);
  return JSON.parse(await fsp.readFile(path.join(dir, files[0]!), 'utf8'));
}

const spreadShape = {
  median: expect.any(Number),
  min: expect.any(Number),
  max: expect.any(Number),
};

function expectRow(row: any): void {
  expect(row).toMatchObject({
    system: expect.any(String),
    variant: expect.any(String),
    group: expect.any(String),
    durability: expect.stringMatching(/^(fsync|replicated|page-cache|memory|none|unknown)$/),
    workload: expect.any(String),
    messageBytes: expect.any(Number),
  });
  if (row.status !== 'ok') {
    // Skipped or failed rows say why, and carry no figures that could be read as zero.
    expect(row.status).toBe('skipped');
    expect(row.reason).toEqual(expect.stringMatching(/\S/));
    expect(row.recordsPerSecond).toBeUndefined();
    return;
  }
  expect(row.runs.length).toBeGreaterThanOrEqual(3);
  for (const s of [row.recordsPerSecond, row.mbPerSecond]) {
    expect(s).toEqual(spreadShape);
    expect(s.min).toBeLessThanOrEqual(s.median);
    expect(s.median).toBeLessThanOrEqual(s.max);
  }
  expect(row.recordsPerSecond.median).toBeGreaterThan(0);
  expect(row.server).toHaveProperty('cpuPercent');
  expect(row.server).toHaveProperty('peakRssMb');
}

describe('npm run bench (runner)', () => {
  let out: string;
  beforeAll(async () => {
    out = await fsp.mkdtemp(path.join(os.tmpdir(), 'tributary-bench-test-'));
  });
  afterAll(() => fsp.rm(out, { recursive: true, force: true }));

  it('refuses unknown flags and conflicting modes with the usage', async () => {
    for (const args of [['--bogus'], ['--quick', '--tiny'], ['--out'], ['--only', 'z']]) {
      const result = await runner(args);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('usage: npm run bench');
    }
  });

  it('writes every scenario as measured rows or rows with a reason, and a self-contained page', async () => {
    const dir = path.join(out, 'all');
    const result = await runner(['--tiny', '--out', dir]);
    expect(result.stderr).not.toMatch(/failed/);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Tributary/peer');

    const json = await readResult(dir);
    expect(json).toMatchObject({
      schema: 'tributary-bench/1',
      mode: 'tiny',
      machine: { cores: expect.any(Number), cpuModel: expect.any(String), node: process.version },
    });
    expect(json.machine.dataDirFilesystem).toMatch(/Type/);
    expect(json.peers.map((p: any) => p.name).sort()).toEqual(['nats', 'raw-http', 'redis']);
    for (const peer of json.peers)
      if (peer.status !== 'ok') expect(peer.reason).toEqual(expect.stringMatching(/\S/));
    expect(json.scenarios.map((s: any) => s.id)).toEqual(['a', 'b', 'c', 'd', 'e']);
    for (const scenario of json.scenarios) {
      expect(scenario.description).toMatch(/\d/); // sizes and counts are stated
      expect(scenario.rows.length).toBeGreaterThan(0);
      scenario.rows.forEach(expectRow);
      expect(
        scenario.rows.some((r: any) => r.system === 'tributary' || r.system === 'storage-engine'),
      ).toBe(true);
    }
    // Each peer of the produce and catch-up scenarios also at its best, several processes
    // measured together: its records are the sum of theirs, so never zero.
    for (const id of ['a', 'b', 'c']) {
      const scenario = json.scenarios.find((s: any) => s.id === id);
      for (const system of ['nats', 'redis']) {
        const rows = scenario.rows.filter((r: any) => r.system === system);
        expect(new Set(rows.map((r: any) => r.clientShape))).toEqual(new Set(['same', 'best']));
        for (const row of rows.filter((r: any) => r.clientShape === 'best')) {
          expect(row).toMatchObject({ status: 'ok', errors: 0 });
          expect(row.variant).toContain("peer's best");
        }
      }
    }
    // The footprint (i): starts on an empty and on a filled data dir, timed and weighed.
    expect(json.footprint.starts.map((s: any) => s.partitions)).toEqual([0, 20]);
    for (const start of json.footprint.starts) {
      expect(start.runs).toHaveLength(3);
      for (const s of [start.readyMs, start.idleRssMb]) {
        expect(s).toEqual(spreadShape);
        expect(s.min).toBeGreaterThan(0);
        expect(s.min).toBeLessThanOrEqual(s.median);
        expect(s.median).toBeLessThanOrEqual(s.max);
      }
    }
    expect(json.footprint.peakRssUnderLoadMb).toBeGreaterThan(0);
    expect(json.footprint.peers.map((p: any) => p.name)).toEqual(['nats-server', 'redis-server']);
    expect(result.stdout).toContain('(i) Footprint');
    const latency = json.scenarios.find((s: any) => s.id === 'd');
    for (const row of latency.rows.filter((r: any) => r.status === 'ok'))
      expect(row.latencyMs).toEqual({ p50: spreadShape, p99: spreadShape, p999: spreadShape });

    const html = await fsp.readFile(path.join(dir, 'report.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script|<link|<img|@import/i);
  }, 180_000);

  it('reports an unreachable peer as skipped with the reason', async () => {
    const dir = path.join(out, 'no-nats');
    // An earlier run to show beside this one: one row of (b) and nothing else.
    const baseline = path.join(out, 'baseline.json');
    const earlier = { median: 1_000, min: 900, max: 1_100 };
    await fsp.writeFile(
      baseline,
      JSON.stringify({
        schema: 'tributary-bench/1',
        mode: 'tiny',
        command: 'npm run bench -- --tiny',
        startedAt: '2026-01-01T00:00:00.000Z',
        scenarios: [
          {
            id: 'b',
            metric: 'throughput',
            rows: [
              {
                system: 'tributary',
                variant: 'fsync',
                group: '100 B',
                status: 'ok',
                recordsPerSecond: earlier,
              },
            ],
          },
        ],
      }),
    );
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    const result = await runner(['--tiny', '--only', 'b', '--out', dir, '--baseline', baseline], {
      ...process.env,
      NATS_URL: 'nats://127.0.0.1:1',
    });
    expect(result.code).toBe(0);
    const json = await readResult(dir);
    // The earlier run is named, and its row stands beside this run's in both reports.
    expect(json.baseline).toMatchObject({ startedAt: '2026-01-01T00:00:00.000Z' });
    expect(json.command).toContain('--baseline');
    const html = await fsp.readFile(path.join(dir, 'report.html'), 'utf8');
    for (const report of [result.stdout, html]) {
      expect(report).toContain('Before and after');
      expect(report).toContain('1,000 (900–1,100)');
    }
    expect(json.peers.find((p: any) => p.name === 'nats')).toMatchObject({
      status: 'skipped',
      reason: expect.stringContaining('unreachable'),
    });
    const natsRows = json.scenarios[0].rows.filter((r: any) => r.system === 'nats');
    // Both client shapes: as Tributary is driven, and the peer's best.
    expect(natsRows).toEqual(
      ['same', 'best'].map((clientShape) =>
        expect.objectContaining({
          clientShape,
          status: 'skipped',
          reason: expect.stringContaining('NATS'),
        }),
      ),
    );
  }, 120_000);
});
