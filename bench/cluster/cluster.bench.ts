// `npm run bench:cluster`: a 3-node cluster on this machine (its own Postgres database and Redis
// prefix, default broker session and replica lag) measured for what replication costs and how
// fast it recovers, each figure beside its reference from the same run:
// - produce throughput with acks=all at replication factor 3 (min.insync.replicas 2) against
//   replication factor 1 (target: at least 50%);
// - failover time, from a leader's SIGKILL to the first acks=all produce the new leader
//   acknowledges, over repeated kills (target: at most the broker session plus 1 s);
// - a restarted follower's catch-up rate against a raw sequential read of the same disk.
// Writes its section of bench/RESULTS.md (or prints it with --print).
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { waitUntil } from '@tributary/common';
import { TestCluster } from '../../test/support/cluster';
import { closedLoops } from '../common/closed-loop';
import { num, table, withSpread } from '../common/format';
import { Histogram } from '../common/histogram';
import { replaceSection } from '../common/results-md';
import { spread } from '../common/stats';
import { recordsBody } from '../common/tributary-http';
import { Pool } from 'undici';

const HEADING = '## Cluster (bench/cluster)';
const COMMAND = 'npm run bench:cluster';
const SESSION_MS = 6_000;
const RUNS = 3;
const LOAD_MS = 5_000;
const KILLS = Number(process.env.BENCH_KILLS ?? 10);
const CATCH_UP_BYTES = 256 * 1024 * 1024;
const print = process.argv.includes('--print');

async function throughput(cluster: TestCluster, key: string, topic: string): Promise<number[]> {
  const body = recordsBody(100, 100);
  const pools = cluster.ids().map((id) => new Pool(cluster.url(id), { connections: 8 }));
  const perSecond: number[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      const result = await closedLoops(
        24,
        { durationMs: run === 0 ? LOAD_MS + 1_000 : LOAD_MS, recordsPerCall: 100 },
        async (loop) => {
          const response = await pools[loop % pools.length]!.request({
            method: 'POST',
            path: `/v1/topics/${topic}/records?acks=all`,
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body,
          });
          await response.body.dump();
          const ok = response.statusCode === 200;
          return { records: ok ? 100 : 0, errors: ok ? 0 : 1 };
        },
      );
      perSecond.push(result.records / result.seconds);
    }
  } finally {
    await Promise.all(pools.map((p) => p.close()));
  }
  return perSecond;
}

/** Kill the leader of partition 0, time until a survivor acknowledges an acks=all write to it. */
async function failovers(cluster: TestCluster, key: string): Promise<number[]> {
  const times: number[] = [];
  for (let kill = 0; kill < KILLS; kill++) {
    const [p0] = await cluster.partitions('failover', key);
    const victim = p0!.leader;
    const killedMs = performance.now();
    await cluster.kill(victim);
    for (let attempt = 0; ; attempt++) {
      const via = cluster.running()[attempt % cluster.running().length]!;
      const reply = await cluster
        .call(
          via,
          'POST',
          '/v1/topics/failover/records?acks=all',
          key,
          {
            records: [{ value: kill, partition: 0 }],
          },
          { 'idempotency-key': `failover-${kill}` },
        )
        .catch(() => undefined);
      if (reply?.status === 200) break;
      if (performance.now() - killedMs > 60_000) throw new Error('no failover within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    times.push(performance.now() - killedMs);
    await cluster.startNode(victim);
    await cluster.untilPartitions(
      'failover',
      key,
      (ps) => ps.every((p) => p.isr.length === 3),
      'the killed node back in every ISR',
      120_000,
    );
  }
  return times;
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await fsp.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.log')) {
      total += (await fsp.stat(path.join(entry.parentPath, entry.name))).size;
    }
  }
  return total;
}

/** Sequential read of every .log file under `dir`, 1 MiB at a time: bytes per second. */
async function rawRead(dir: string): Promise<number> {
  const buffer = Buffer.allocUnsafe(1 << 20);
  let bytes = 0;
  const startedMs = performance.now();
  for (const entry of await fsp.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.log')) continue;
    const handle = await fsp.open(path.join(entry.parentPath, entry.name), 'r');
    try {
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
        if (bytesRead === 0) break;
        bytes += bytesRead;
      }
    } finally {
      await handle.close();
    }
  }
  return bytes / ((performance.now() - startedMs) / 1000);
}

/** A follower down while CATCH_UP_BYTES are written, then restarted: its copy rate. */
async function catchUp(
  cluster: TestCluster,
  key: string,
): Promise<{ rate: number; raw: number; bytes: number }> {
  const [p0] = await cluster.partitions('catchup', key);
  const follower = p0!.replicas.find((id) => id !== p0!.leader)!;
  await cluster.kill(follower);
  const body = recordsBody(1000, 1000);
  const pool = new Pool(cluster.url(p0!.leader), { connections: 4 });
  let written = 0;
  await closedLoops(
    4,
    { durationMs: 600_000, recordsMax: CATCH_UP_BYTES / 1000, recordsPerCall: 1000 },
    async () => {
      const response = await pool.request({
        method: 'POST',
        path: '/v1/topics/catchup/records?acks=1',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body,
      });
      await response.body.dump();
      written += 1000 * 1000;
      return { records: 1000, errors: response.statusCode === 200 ? 0 : 1 };
    },
  );
  await pool.close();
  const leaderDir = path.join(cluster.root, `node-${p0!.leader}`, 'logs');
  const followerDir = path.join(cluster.root, `node-${follower}`, 'logs');
  const target = await dirBytes(leaderDir);
  const startedMs = performance.now();
  await cluster.startNode(follower);
  await waitUntil(
    async () => (await dirBytes(followerDir)) >= target,
    'the follower copied the log',
    600_000,
  );
  const seconds = (performance.now() - startedMs) / 1000;
  const raw = await rawRead(leaderDir);
  return { rate: target / seconds, raw, bytes: written };
}

async function main(): Promise<void> {
  const startedMs = performance.now();
  const cluster = await TestCluster.start({ sessionMs: SESSION_MS, replicaLagMs: 10_000 });
  try {
    const key = await cluster.tenant('bench');
    for (const [name, replicationFactor, minInsync] of [
      ['rf1', 1, 1],
      ['rf3', 3, 2],
      ['failover', 3, 2],
      ['catchup', 3, 1],
    ] as const) {
      await cluster.call(1, 'POST', '/v1/topics', key, {
        name,
        partitions: name === 'failover' || name === 'catchup' ? 1 : 3,
        replicationFactor,
        configs: { 'min.insync.replicas': String(minInsync) },
      });
      await cluster.untilPartitions(
        name,
        key,
        (ps) => ps.every((p) => p.highWatermark === 0),
        `${name} hosted`,
      );
    }
    const rf1 = await throughput(cluster, key, 'rf1');
    const rf3 = await throughput(cluster, key, 'rf3');
    const ratio = spread(rf3).median / spread(rf1).median;
    const failover = await failovers(cluster, key);
    const hist = new Histogram();
    for (const ms of failover) hist.recordMs(ms);
    const catching = await catchUp(cluster, key);
    const p50 = hist.percentileMs(50);
    const max = hist.maxMs;
    const section = [
      HEADING,
      '',
      `Command: \`${COMMAND}\` (SWC build, then \`node dist/bench/cluster/cluster.bench.js\`)`,
      '',
      `Date: ${new Date().toISOString()}`,
      '',
      `- Three nodes on this machine (2 cores shared by all of them and the load), Postgres and Redis of the machine, broker session ${SESSION_MS} ms, fsync durability.`,
      `- Throughput: ${RUNS} runs of ${LOAD_MS / 1000} s, closed loop, 24 connections spread over the three nodes, 100 records of 100 B per request, acks=all, 3 partitions with leaders on each node; medians with (min–max).`,
      '',
      table(
        ['scenario', 'records/s'],
        [
          ['RF1, acks=all', withSpread(spread(rf1), (v) => num(v))],
          ['RF3, min.insync.replicas 2, acks=all', withSpread(spread(rf3), (v) => num(v))],
        ],
      ),
      '',
      `- Failover (${failover.length} SIGKILLs of the leader, time to the first acks=all write acknowledged by the new leader): p50 ${num(p50)} ms, max ${num(max)} ms.`,
      `- Catch-up: a follower down while ${num(catching.bytes / 2 ** 20)} MiB were written, then restarted: ${num(catching.rate / 2 ** 20, 1)} MiB/s; a raw sequential read of the leader's log files: ${num(catching.raw / 2 ** 20, 1)} MiB/s (${num((catching.rate / catching.raw) * 100, 1)}%).`,
      `- Whole run: ${num((performance.now() - startedMs) / 1000)} s.`,
      '',
      '### Targets',
      '',
      `- RF3 acks=all >= 50% of RF1: ${num(ratio * 100)}% — **${ratio >= 0.5 ? 'PASS' : 'FAIL'}**`,
      `- failover <= session + 1 s (${num(SESSION_MS + 1000)} ms): p50 ${num(p50)} ms, max ${num(max)} ms — **${max <= SESSION_MS + 1000 ? 'PASS' : 'FAIL'}**`,
      '',
    ].join('\n');
    process.stdout.write(section + '\n');
    if (!print)
      replaceSection(
        path.join(__dirname, '..', '..', '..', 'bench', 'RESULTS.md'),
        HEADING,
        section,
      );
  } finally {
    await cluster.cleanup();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
