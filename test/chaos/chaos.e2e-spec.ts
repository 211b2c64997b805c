// The chaos run, short: 30 seconds of faults against 3 nodes with a fixed seed, as `npm run
// chaos` runs it (a child process with its own Postgres and Redis). Faults of several kinds go
// in, records are acknowledged through them, the cluster heals, and the checker finds nothing.
import { spawn } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { distScript } from '../support/dist';

const SEED = 4;
const RUN_TIMEOUT_MS = 240_000;
/** Where a failed run's output (result, timeline, every node's log) is kept to look at. */
const KEPT = path.join(__dirname, '..', '..', 'test-artifacts', 'chaos');

function runChaos(args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [distScript('chaos/chaos.js'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGINT'); // it cleans up what it started, then exits
      reject(new Error(`the chaos run took over ${RUN_TIMEOUT_MS} ms:\n${output}`));
    }, RUN_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('npm run chaos, 30 seconds', () => {
  let out: string;

  beforeAll(async () => {
    out = await fsp.mkdtemp(path.join(os.tmpdir(), 'tributary-chaos-test-'));
  });
  let failed = true;

  beforeEach(() => {
    failed = true;
  });
  afterAll(async () => {
    if (failed) {
      // The run's output is evidence: keep it (the node logs say why a node did not come back).
      const kept = path.join(KEPT, `seed-${SEED}-${new Date().toISOString().replace(/:/g, '-')}`);
      await fsp.mkdir(KEPT, { recursive: true });
      await fsp.cp(out, kept, { recursive: true });
      process.stderr.write(`the failed chaos run's output is kept in ${kept}\n`);
    }
    await fsp.rm(out, { recursive: true, force: true });
  });

  it(
    'injects faults of several kinds, acknowledges records through them and finds no violation',
    async () => {
      const { code, output } = await runChaos([
        '--minutes',
        '0.5',
        '--seed',
        String(SEED),
        '--nodes',
        '3',
        '--out',
        out,
      ]);
      const result = JSON.parse(await fsp.readFile(path.join(out, 'result.json'), 'utf8'));
      const kinds = Object.entries(result.faults.byKind as Record<string, number>).filter(
        ([, n]) => n > 0,
      );
      // No violation, and every node came back by itself from every fault (a damaged segment
      // included): no node was lost. (A start that needed a second attempt is a fault error in
      // the result, shown here when the run fails, but not a failure by itself.)
      expect({
        code,
        violations: result.violations.list,
        lostNodes: result.lostNodes,
        faultErrors: result.lostNodes.length > 0 ? result.faults.errors : [],
      }).toEqual({ code: 0, violations: [], lostNodes: [], faultErrors: [] });
      expect(result.faults.byKind['corrupt-segment']).toBeGreaterThanOrEqual(1);
      expect(kinds.length).toBeGreaterThanOrEqual(3);
      expect(result.faults.injected).toBeGreaterThanOrEqual(4);
      expect(result.records.acknowledged).toBeGreaterThan(50);
      expect(result.healed).toBe(true);
      expect(output).toContain(`seed ${SEED}`);
      const html = await fsp.readFile(path.join(out, 'timeline.html'), 'utf8');
      expect(html).toContain('<svg');
      expect(html).not.toMatch(/<script|<link|src=/);
      failed = false;
    },
    RUN_TIMEOUT_MS + 10_000,
  );
});
