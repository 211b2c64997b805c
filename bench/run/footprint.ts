// Scenario (i), the footprint: how long a node takes to become ready and how much memory it
// holds, beside what the peers hold. Each start is a node of its own (not the one the other
// scenarios use), pinned to the server core, timed from the spawn of
// `node dist/apps/broker/src/main.js` (what `npm start` runs once nothing needs building) to
// /readyz answering 200, polled every 20 ms:
//   - on an empty data dir (the first start: embedded database initialised, secrets written);
//   - on a data dir holding topics of `footprintPartitions` partitions in all (a restart).
// Its idle RSS is VmRSS after `footprintIdleMs` of idleness once ready. Peak RSS under load is
// the highest VmHWM of the Tributary rows of the other scenarios, filled in after they ran.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { procUsage } from '../common/processes';
import { spread } from '../common/stats';
import { api } from '../common/tributary-http';
import { type NatsPeer } from './peers/nats';
import { isPeer, type PeerUnavailable } from './peers/peer';
import { type RedisPeer } from './peers/redis';
import { type FootprintResult, type ScenarioResult, type StartupFigures } from './results';
import { type BenchContext, SERVER_CORE } from './scenarios/scenario';
import { TributaryNode } from './tributary-node';

const READY_POLL_MS = 20;
/** Partitions per topic when filling a data dir (a topic holds at most this many here). */
const PARTITIONS_PER_TOPIC = 100;

async function idleRssMb(node: TributaryNode, idleMs: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, idleMs));
  return procUsage(node.pid).rssMb;
}

/** Starts a node on `dataDir`, times it to ready, measures it idle, and stops it. */
async function timedStart(
  ctx: BenchContext,
  dataDir: string,
  token: string,
): Promise<{ ms: number; rssMb: number }> {
  const started = performance.now();
  const node = await TributaryNode.launch(dataDir, SERVER_CORE, token, ctx.cleanup, READY_POLL_MS);
  const ms = performance.now() - started;
  try {
    return { ms, rssMb: await idleRssMb(node, ctx.profile.footprintIdleMs) };
  } finally {
    await node.stop();
  }
}

function figures(label: string, partitions: number, runs: { ms: number; rssMb: number }[]) {
  return {
    label,
    partitions,
    readyMs: spread(runs.map((r) => r.ms)),
    idleRssMb: spread(runs.map((r) => r.rssMb)),
    runs: runs.map((r) => ({ readyMs: Math.round(r.ms), idleRssMb: Math.round(r.rssMb) })),
  } satisfies StartupFigures;
}

/** Fills a data dir with topics of `partitions` partitions in all, then stops its node. */
async function fill(ctx: BenchContext, dataDir: string, token: string, partitions: number) {
  const node = await TributaryNode.start(dataDir, SERVER_CORE, token, ctx.cleanup);
  try {
    for (let made = 0, topic = 0; made < partitions; topic++) {
      const count = Math.min(PARTITIONS_PER_TOPIC, partitions - made);
      await api(node.origin, 'POST', '/v1/topics', node.key, {
        name: `footprint-${topic}`,
        partitions: count,
      });
      made += count;
    }
  } finally {
    await node.stop();
  }
}

function peerRss(peer: NatsPeer | RedisPeer | PeerUnavailable, name: string) {
  if (!isPeer(peer)) return { name, rssMb: null, note: `n/a: ${peer.reason}` };
  const server = peer.server;
  if (!('pid' in server)) return { name, rssMb: null, note: `n/a: ${server.reason}` };
  return {
    name,
    rssMb: Math.round(procUsage(server.pid).rssMb),
    note: `VmRSS of pid ${server.pid} before the load, holding whatever else it serves`,
  };
}

export async function measureFootprint(ctx: BenchContext): Promise<FootprintResult> {
  const { profile } = ctx;
  const root = fs.mkdtempSync(path.join(ctx.scratchDir, 'footprint-'));
  const remove = ctx.cleanup.add(`footprint data dirs ${root}`, () =>
    fs.rmSync(root, { recursive: true, force: true }),
  );
  const token = randomBytes(24).toString('hex');
  try {
    const peers = [peerRss(ctx.nats, 'nats-server'), peerRss(ctx.redis, 'redis-server')];
    ctx.progress(`  first starts on empty data dirs (x${profile.runs})`);
    const empty = [];
    for (let run = 0; run < profile.runs; run++)
      empty.push(await timedStart(ctx, path.join(root, `empty-${run}`), token));
    ctx.progress(`  restarts with ${profile.footprintPartitions} partitions (x${profile.runs})`);
    const filled = path.join(root, 'filled');
    await fill(ctx, filled, token, profile.footprintPartitions);
    const restarts = [];
    for (let run = 0; run < profile.runs; run++)
      restarts.push(await timedStart(ctx, filled, token));
    return {
      idleMs: profile.footprintIdleMs,
      starts: [
        figures('empty data dir (first start)', 0, empty),
        figures(
          `${profile.footprintPartitions} partitions (restart)`,
          profile.footprintPartitions,
          restarts,
        ),
      ],
      peakRssUnderLoadMb: null,
      peers,
    };
  } finally {
    await remove();
  }
}

/** The highest peak RSS of the Tributary node over the scenarios' rows (null: none measured). */
export function peakUnderLoad(scenarios: readonly ScenarioResult[]): number | null {
  const peaks = scenarios
    .flatMap((s) => s.rows)
    .filter((r) => r.system === 'tributary' && r.status === 'ok')
    .map((r) => (r.status === 'ok' ? r.server.peakRssMb : null))
    .filter((v): v is number => v !== null);
  return peaks.length === 0 ? null : Math.round(Math.max(...peaks));
}
