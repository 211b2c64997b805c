// `npm run bench`: Tributary measured beside NATS JetStream and Redis Streams in one run.
//
//   npm run bench                    full run -> bench/results/<timestamp>.json, bench/report.html
//   npm run bench -- --quick         about 2 minutes -> bench/results/quick/ (not committed)
//   npm run bench -- --tiny --out d  seconds, for the runner's test
//
// Starts a standalone node from this repository (fresh DATA_DIR, embedded PGlite) on the server
// core, reaches the peers at NATS_URL and REDIS_URL (skipped, with the reason, when it cannot),
// runs the scenarios (scenarios/*.ts; the consumer-group ones, f to h, are Tributary only) with
// load generators on the other core, then prints a table and writes the JSON and the HTML.
// Everything it started or created is removed on the way out, also after a failure and on
// Ctrl-C (cleanup.ts).
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { machineInfo } from '../common/machine';
import { failureText, hasTaskset } from '../common/processes';
import { readBaseline } from './before-after';
import { Aborted, Cleanup, cleanUpOnSignals } from './cleanup';
import { type CliOptions, parseArgs, type ScenarioId, USAGE, UsageError } from './cli';
import { NatsPeer } from './peers/nats';
import { errorText, isPeer, type Peer, type PeerUnavailable } from './peers/peer';
import { rawHttpSummary, startRawHttp } from './peers/raw-http';
import { RedisPeer } from './peers/redis';
import { type Profile, profileFor } from './plan';
import { htmlReport } from './report-html';
import { terminalReport } from './report-terminal';
import { type BenchResult, type PeerSummary, RESULT_SCHEMA, type ScenarioResult } from './results';
import { batchedProduce } from './scenarios/batched-produce';
import { catchUp } from './scenarios/catch-up';
import { e2eLatency } from './scenarios/e2e-latency';
import { groupLatency } from './scenarios/group-latency';
import { groupPoll } from './scenarios/group-poll';
import { rebalance } from './scenarios/rebalance';
import { type BenchContext, type Scenario, SERVER_CORE, LOAD_CORE } from './scenarios/scenario';
import { singleProduce } from './scenarios/single-produce';
import { storageVsDisk } from './scenarios/storage-vs-disk';
import { measureFootprint, peakUnderLoad } from './footprint';
import { TributaryNode } from './tributary-node';

const SCENARIOS: Record<Exclude<ScenarioId, 'i'>, Scenario> = {
  a: batchedProduce,
  b: singleProduce,
  c: catchUp,
  d: e2eLatency,
  e: storageVsDisk,
  f: groupPoll,
  g: rebalance,
  h: groupLatency,
};
const NATS_URL_DEFAULT = 'nats://127.0.0.1:4222';
const REDIS_URL_DEFAULT = 'redis://127.0.0.1:6379';
const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

function method(profile: Profile): string[] {
  return [
    hasTaskset
      ? `Pinning (taskset): the Tributary node, the raw node:http server and the storage scenario on core ${SERVER_CORE}, every load generator on core ${LOAD_CORE}. nats-server and redis-server are not started by the runner and are not pinned: they may use both cores.`
      : 'No pinning (taskset missing or fewer than 2 cores): servers and load generators share the cores.',
    `Every row: a warm-up (discarded), then ${profile.runs} measured runs; figures are the median with (min–max) over the runs. Load generators are separate processes (one per row), closed loops unless a fixed rate is stated.`,
    'Records are keyless values of exactly the stated size: Tributary stores a JSON string value of that many bytes, NATS a message payload and Redis a stream field of the same bytes. MB/s = records x value size / s, 10^6 bytes (scenario (e): encoded batch bytes).',
    'Latency per request / batch is measured at the client from send to answer; (d) and (h) measure produce -> delivery from the scheduled send time each record carries (coordinated-omission-free); (g) takes one rebalance time per run; all in a fixed-size histogram (<1% error).',
    'Server CPU is % of one core over the measured runs (from /proc/<pid>/stat); peak RSS is VmHWM reset per row for processes the runner started, VmRSS sampled every 50 ms for the peers; n/a when the process is not on this machine or not known by name.',
    'Durability states what an acknowledgement means: fsync = on disk; replicated / page-cache = in the OS page cache (a machine crash may lose it; Tributary replicated is a single node here); memory = in the server process only; none = not stored. Compare rows of like durability.',
    'Tributary/peer: Tributary median / peer median of records/s (above 1: Tributary is faster); for (d) Tributary p99 / peer p99 (below 1: Tributary is faster); for (e) engine / raw disk. (f), (g) and (h) measure consumer groups, Tributary only: no peer rows, no ratio.',
  ];
}

function outputPaths(options: CliOptions, stamp: string): { json: string; html: string } {
  const dir =
    options.outDir ??
    (options.mode === 'full'
      ? path.join(REPO_ROOT, 'bench', 'results')
      : path.join(REPO_ROOT, 'bench', 'results', 'quick'));
  const htmlDir =
    options.outDir === undefined && options.mode === 'full' ? path.join(REPO_ROOT, 'bench') : dir;
  return { json: path.join(dir, `${stamp}.json`), html: path.join(htmlDir, 'report.html') };
}

function peerSummary(peer: Peer | PeerUnavailable): PeerSummary {
  if (isPeer(peer)) return peer.summary;
  return {
    name: peer.name,
    status: 'skipped',
    reason: peer.reason,
    address: peer.address,
    durability: 'unknown',
    durabilityNote: '',
    serverWatch: 'n/a',
  };
}

async function runScenario(ctx: BenchContext, scenario: Scenario): Promise<ScenarioResult> {
  progress(`${scenario.title}`);
  const startedMs = performance.now();
  let rows;
  try {
    rows = await scenario.rows(ctx);
  } catch (error) {
    if (error instanceof Aborted) throw error;
    // A bug in the scenario itself, not in a row: reported as one failed row, not as zero.
    rows = [
      {
        system: 'tributary' as const,
        variant: 'scenario',
        group: '',
        durability: 'unknown' as const,
        durabilityNote: '',
        workload: '',
        messageBytes: 0,
        status: 'failed' as const,
        reason: errorText(error),
      },
    ];
  }
  return {
    id: scenario.id,
    title: scenario.title,
    description: scenario.describe(ctx.profile),
    metric: scenario.metric,
    ...(scenario.latencyMeaning === undefined ? {} : { latencyMeaning: scenario.latencyMeaning }),
    rows,
    seconds: (performance.now() - startedMs) / 1000,
  };
}

async function connectPeers(ctx: Pick<BenchContext, 'prefix' | 'cleanup'>) {
  const [nats, redis] = await Promise.all([
    NatsPeer.connect(process.env.NATS_URL ?? NATS_URL_DEFAULT, ctx.prefix),
    RedisPeer.connect(process.env.REDIS_URL ?? REDIS_URL_DEFAULT, ctx.prefix),
  ]);
  for (const peer of [nats, redis]) {
    if (!isPeer(peer)) {
      progress(`${peer.name}: skipped: ${peer.reason}`);
      continue;
    }
    ctx.cleanup.add(`${peer.summary.name}: remove this run's streams/keys`, async () => {
      await peer.removeAll();
      await peer.close();
    });
  }
  return { nats, redis };
}

async function run(options: CliOptions, cleanup: Cleanup): Promise<BenchResult> {
  const profile = profileFor(options.mode);
  const startedAt = new Date();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-bench-'));
  cleanup.add(`temporary dir ${dataDir}`, () =>
    fs.rmSync(dataDir, { recursive: true, force: true }),
  );
  const scratchDir = path.join(dataDir, 'storage');
  fs.mkdirSync(scratchDir);
  const machine = machineInfo(dataDir, REPO_ROOT);
  const prefix = `trb-bench-${process.pid}-`;
  progress(`starting the Tributary node (DATA_DIR ${dataDir}/node)`);
  const token = randomBytes(24).toString('hex');
  const node = await TributaryNode.start(path.join(dataDir, 'node'), SERVER_CORE, token, cleanup);
  const { nats, redis } = await connectPeers({ prefix, cleanup });
  const rawHttp = await startRawHttp(SERVER_CORE, cleanup).catch((error: unknown) => ({
    reason: `the raw node:http server did not start: ${errorText(error)}`,
  }));
  const ctx: BenchContext = {
    profile,
    prefix,
    node,
    nats,
    redis,
    rawHttp,
    scratchDir,
    cleanup,
    progress,
  };
  // The footprint first, while nothing else has run: its nodes start on a quiet machine.
  let footprint: BenchResult['footprint'];
  if (options.scenarios.includes('i')) {
    progress('(i) footprint: start-up time and memory');
    footprint = await measureFootprint(ctx);
  }
  const scenarios: ScenarioResult[] = [];
  for (const id of options.scenarios)
    if (id !== 'i') scenarios.push(await runScenario(ctx, SCENARIOS[id]));
  if (footprint !== undefined) footprint.peakRssUnderLoadMb = peakUnderLoad(scenarios);
  const finishedAt = new Date();
  return {
    schema: RESULT_SCHEMA,
    mode: options.mode,
    command: commandOf(options),
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    seconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
    machine,
    method: method(profile),
    peers: [peerSummary(nats), peerSummary(redis), rawHttpSummary(rawHttp)],
    scenarios,
    ...(footprint === undefined ? {} : { footprint }),
  };
}

/** The command that repeats this run (its mode and baseline; --only and --out aside). */
function commandOf(options: CliOptions): string {
  const flags = [
    ...(options.mode === 'full' ? [] : [`--${options.mode}`]),
    ...(options.baseline === undefined ? [] : ['--baseline', options.baseline]),
  ];
  return `npm run bench${flags.length === 0 ? '' : ` -- ${flags.join(' ')}`}`;
}

function write(
  result: BenchResult,
  options: CliOptions,
  baseline: BenchResult | undefined,
): { json: string; html: string } {
  const stamp = result.startedAt.replace(/[:.]/g, '-');
  const paths = outputPaths(options, stamp);
  fs.mkdirSync(path.dirname(paths.json), { recursive: true });
  fs.mkdirSync(path.dirname(paths.html), { recursive: true });
  fs.writeFileSync(paths.json, `${JSON.stringify(result, null, 2)}\n`);
  fs.writeFileSync(paths.html, htmlReport(result, baseline));
  return paths;
}

async function main(): Promise<number> {
  let options: CliOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`bench: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let baseline: BenchResult | undefined;
  try {
    baseline = options.baseline === undefined ? undefined : readBaseline(options.baseline);
  } catch (error) {
    process.stderr.write(`bench: ${errorText(error)}\n`);
    return 2;
  }
  const cleanup = new Cleanup();
  cleanUpOnSignals(cleanup);
  try {
    const result = await run(options, cleanup);
    await cleanup.runAll(); // before printing: the node's exit is part of a clean run
    if (baseline !== undefined)
      result.baseline = {
        file: path.relative(REPO_ROOT, path.resolve(options.baseline!)),
        startedAt: baseline.startedAt,
        command: baseline.command,
      };
    const paths = write(result, options, baseline);
    process.stdout.write(
      `${terminalReport(result, baseline)}\n\nwritten: ${paths.json}\n         ${paths.html}\n`,
    );
    const failed = result.scenarios.flatMap((s) => s.rows).filter((r) => r.status === 'failed');
    if (failed.length > 0) progress(`${failed.length} row(s) failed; see the footnotes`);
    return failed.length > 0 ? 1 : 0;
  } catch (error) {
    // Ctrl-C: the signal handler cleans up and exits; wait for it rather than exit first.
    if (!(error instanceof Aborted)) throw error;
    await cleanup.runAll();
    return 130;
  } finally {
    await cleanup.runAll();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${failureText(error)}\n`);
    process.exit(1);
  },
);
