// Load shedding against a node in its own process: one tenant floods it with open-loop produces
// at three times what it can serve while another keeps producing at its usual pace. The flood
// is answered with 429/503 and Retry-After; the other tenant is never refused, and its latency
// stays within a small multiple of what it was alone.
import { spawn } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Pool } from 'undici';
import { type OpenLoadResult } from '../../bench/http/open-load';
import { distScript } from '../support/dist';
import { callService as call, type ServiceProcess, startService } from '../support/service-process';

const ADMIN = 'load-shedding-operator-token';
const BODY = JSON.stringify({ records: [{ value: 'x'.repeat(98) }] });

/** Closed-loop produces over `connections` for `durationMs`: statuses and latencies. */
async function closedLoop(url: string, token: string, connections: number, durationMs: number) {
  const pool = new Pool(url, { connections });
  const latenciesMs: number[] = [];
  const statuses: Record<number, number> = {};
  const deadline = performance.now() + durationMs;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) {
        const startedMs = performance.now();
        const response = await pool.request({
          method: 'POST',
          path: '/v1/topics/events/records',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: BODY,
        });
        await response.body.dump();
        latenciesMs.push(performance.now() - startedMs);
        statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
      }
    }),
  );
  await pool.close();
  latenciesMs.sort((a, b) => a - b);
  const p99 = latenciesMs[Math.floor(latenciesMs.length * 0.99)] ?? NaN;
  return { statuses, p99, perSecond: latenciesMs.length / (durationMs / 1000) };
}

/** The open-loop generator of the benches, in its own process. */
function openLoop(spec: object): Promise<OpenLoadResult> {
  const child = spawn(process.execPath, [
    distScript('bench/http/open-load.js'),
    JSON.stringify(spec),
  ]);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as OpenLoadResult) : reject(new Error(`exit ${code}`)),
    );
  });
}

describe('load shedding', () => {
  let dataDir: string;
  let node: ServiceProcess;

  beforeAll(async () => {
    dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tributary-shedding-'));
    node = await startService({
      ...process.env,
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      TRIBUTARY_ADMIN_TOKEN: ADMIN,
      DATABASE_URL: '',
      REDIS_URL: '',
    });
  });
  afterAll(async () => {
    node?.proc.kill('SIGKILL');
    await node?.exited;
    await fsp.rm(dataDir, { recursive: true, force: true });
  });

  it("keeps one tenant's latency while another floods the node at 3x its capacity", async () => {
    const keys: Record<string, string> = {};
    for (const tenant of ['steady', 'flood']) {
      await call(node.url, 'POST', '/v1/admin/tenants', ADMIN, { name: tenant });
      keys[tenant] = (
        await call(node.url, 'POST', `/v1/admin/tenants/${tenant}/keys`, ADMIN, { name: 'k' })
      ).body.key;
      const created = await call(node.url, 'POST', '/v1/topics', keys[tenant]!, {
        name: 'events',
        partitions: 3,
      });
      expect(created.status).toBe(201);
    }
    const capacity = await closedLoop(node.url, keys.flood!, 64, 2_000);
    const alone = await closedLoop(node.url, keys.steady!, 2, 2_000);
    expect(alone.statuses).toEqual({ 200: expect.any(Number) });

    const [flood, steady] = await Promise.all([
      openLoop({
        origin: node.url,
        method: 'POST',
        path: '/v1/topics/events/records',
        headers: { authorization: `Bearer ${keys.flood}`, 'content-type': 'application/json' },
        body: BODY,
        connections: 1024,
        ratePerSecond: Math.round(capacity.perSecond * 3),
        durationMs: 5_000,
        inFlightMax: 20_000,
      }),
      closedLoop(node.url, keys.steady!, 2, 5_000),
    ]);
    // The flood was refused in part, every refusal with Retry-After.
    expect(flood.shed).toBeGreaterThan(0);
    expect(flood.shedWithRetryAfter).toBe(flood.shed);
    expect(flood.other).toBe(0);
    // The steady tenant was never refused, and waited at most a few times longer than alone.
    expect(steady.statuses).toEqual({ 200: expect.any(Number) });
    console.log({ capacity, alone, flood, steady });
    expect(steady.p99).toBeLessThan(Math.max(10 * alone.p99, 250));
  }, 60_000);
});
