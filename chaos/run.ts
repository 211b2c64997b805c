// One chaos run: its own Postgres and Redis, a cluster of nodes behind fault proxies, a topic
// with three replicas and min.insync.replicas 2, clients working throughout, faults played from
// the seeded schedule; then every fault healed, a bounded wait for every partition to have a
// leader and a full ISR, final reads of every partition through every node, and the checker.
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { waitUntil } from '@tributary/common';
import { Cleanup } from '../bench/run/cleanup';
import { seededRandom } from '../test/support/random';
import { type Violation, checkHistory } from './checker';
import { type ChaosOptions } from './cli';
import {
  type ClientContext,
  pickNode,
  runProducer,
  runReader,
  runRestConsumer,
  runWatcher,
  runWsConsumer,
  sampleCommitted,
  sampleLeaders,
} from './clients';
import { FAULT_KINDS, FaultInjector, faultSchedule } from './faults';
import { History, HistoryFull, type Positioned } from './history';
import { call, valueText } from './http';
import { CHAOS_ADMIN, ChaosNodes } from './nodes';
import { type ChaosResult, buildResult } from './result';
import { ChaosPostgres, ChaosRedis } from './services';

export const RUN_SETUP = {
  topic: 'events',
  partitions: 6,
  replicationFactor: 3,
  minInsyncReplicas: 2,
  /** Small segments, so a partition has several and corruption can hit one below the end. */
  segmentBytes: 256 * 1024,
  producers: 4,
  readers: 2,
  restConsumers: 2,
  restGroup: 'rest-group',
  wsGroup: 'ws-group',
  historyCapacity: 2_000_000,
  setupTimeoutMs: 60_000,
  /** After the faults: how long the clients get to finish (a produce retries for 30 s). */
  clientsStopTimeoutMs: 45_000,
  healTimeoutMs: 120_000,
  finalPageRecords: 1_000,
} as const;

export interface RunHandle {
  cleanup: Cleanup;
  log: (line: string) => void;
}

async function setUpTenant(nodes: ChaosNodes): Promise<string> {
  const url = nodes.url(1);
  let key: string | undefined;
  await waitUntil(
    async () => {
      const tenant = await call(url, 'POST', '/v1/admin/tenants', CHAOS_ADMIN, {
        body: { name: 'chaos' },
        timeoutMs: 5_000,
      });
      if (tenant.status !== 201 && tenant.code !== 'TENANT_ALREADY_EXISTS') return false;
      const made = await call(url, 'POST', '/v1/admin/tenants/chaos/keys', CHAOS_ADMIN, {
        body: { name: 'all' },
        timeoutMs: 5_000,
      });
      key = made.status === 201 ? String(made.body.key) : undefined;
      return key !== undefined;
    },
    'a tenant and its key',
    RUN_SETUP.setupTimeoutMs,
  );
  return key!;
}

async function untilAllAlive(nodes: ChaosNodes): Promise<void> {
  const wanted = nodes.ids().join();
  await waitUntil(
    async () => {
      const view = await call(nodes.url(1), 'GET', '/v1/cluster', CHAOS_ADMIN, {
        timeoutMs: 2_000,
      });
      const alive = ((view.body?.nodes ?? []) as { id: number; status: string }[])
        .filter((n) => n.status === 'alive')
        .map((n) => n.id)
        .sort((a, b) => a - b)
        .join();
      return alive === wanted;
    },
    `nodes ${wanted} alive`,
    RUN_SETUP.setupTimeoutMs,
  );
}

async function createTopic(nodes: ChaosNodes, key: string): Promise<void> {
  await waitUntil(
    async () => {
      const created = await call(nodes.url(1), 'POST', '/v1/topics', key, {
        body: {
          name: RUN_SETUP.topic,
          partitions: RUN_SETUP.partitions,
          replicationFactor: RUN_SETUP.replicationFactor,
          configs: {
            'min.insync.replicas': String(RUN_SETUP.minInsyncReplicas),
            'segment.bytes': String(RUN_SETUP.segmentBytes),
          },
        },
        timeoutMs: 10_000,
      });
      return created.status === 201 || created.code === 'TOPIC_ALREADY_EXISTS';
    },
    `topic ${RUN_SETUP.topic} created`,
    RUN_SETUP.setupTimeoutMs,
  );
}

/** Waits until a sample shows every partition with a leader and every replica in sync. */
async function untilHealed(ctx: ClientContext, timeoutMs: number): Promise<boolean> {
  return waitUntil(
    async () => {
      const leaders = await sampleLeaders(ctx);
      return (
        leaders !== undefined &&
        leaders.partitions.length === ctx.partitions &&
        leaders.partitions.every(
          (p) => p.leader > 0 && p.isr.length === RUN_SETUP.replicationFactor,
        )
      );
    },
    'every partition with a leader and a full ISR',
    timeoutMs,
  ).then(
    () => true,
    () => false,
  );
}

/**
 * Waits (bounded) until every partition's high watermark covers what was acknowledged in it. A
 * leader elected at the very end holds a high watermark one round of follower fetches behind
 * its predecessor's for a moment; reading before that round would take records not yet visible
 * for records gone. A record really lost keeps the high watermark short: the wait runs out,
 * and the final reads show the loss.
 */
async function untilCaughtUp(ctx: ClientContext, timeoutMs: number): Promise<boolean> {
  const needed = new Map<number, number>();
  for (const op of ctx.history.ops) {
    if (op.kind !== 'produce' || op.outcome !== 'ok' || op.offset === undefined) continue;
    needed.set(op.partition, Math.max(needed.get(op.partition) ?? 0, op.offset + 1));
  }
  return waitUntil(
    async () => {
      const reply = await call(
        ctx.nodes.url(pickNode(ctx)),
        'GET',
        `/v1/topics/${ctx.topic}`,
        ctx.key,
        {
          timeoutMs: 2_000,
        },
      );
      if (reply.status !== 200) return false;
      return (reply.body.partitions as { partition: number; highWatermark: number }[]).every(
        (p) => p.highWatermark >= (needed.get(p.partition) ?? 0),
      );
    },
    'every high watermark past what was acknowledged',
    timeoutMs,
  ).then(
    () => true,
    () => false,
  );
}

/** Reads a partition from offset 0 to its high watermark through `node`. */
async function finalRead(ctx: ClientContext, partition: number, node: number): Promise<void> {
  const startMs = ctx.history.now();
  const records: Positioned[] = [];
  let highWatermark = -1;
  let complete = false;
  const route = `/v1/topics/${ctx.topic}/partitions/${partition}/records`;
  // Bounded: every page moves the offset on, and there are at most this many records.
  for (let offset = 0, pages = 0; pages < 100_000; pages++) {
    const page = await call(
      ctx.nodes.url(node),
      'GET',
      `${route}?offset=${offset}&maxRecords=${RUN_SETUP.finalPageRecords}`,
      ctx.key,
      { timeoutMs: 10_000 },
    );
    if (page.status !== 200) break;
    highWatermark = Number(page.body.highWatermark);
    for (const r of page.body.records as any[]) {
      records.push({
        topic: ctx.topic,
        partition,
        offset: Number(r.offset),
        value: valueText(r.value),
      });
    }
    const next = Number(page.body.nextOffset);
    if (next >= highWatermark || page.body.records.length === 0) {
      complete = next >= highWatermark;
      break;
    }
    offset = next;
  }
  ctx.history.add({
    kind: 'final',
    client: 'final-reader',
    node,
    startMs,
    endMs: ctx.history.now(),
    topic: ctx.topic,
    partition,
    highWatermark,
    complete,
    records,
  });
}

export async function runChaos(
  options: ChaosOptions,
  handle: RunHandle,
): Promise<{ result: ChaosResult; history: History }> {
  const { cleanup, log } = handle;
  const runMs = Math.round(options.minutes * 60_000);
  const nodeLogs = path.join(options.outDir, 'nodes');
  await fsp.rm(options.outDir, { recursive: true, force: true });
  await fsp.mkdir(nodeLogs, { recursive: true });
  const startedAt = new Date();

  log(`starting Postgres and Redis of the run…`);
  const postgres = await ChaosPostgres.start();
  cleanup.add('postgres', () => postgres.stop());
  const redis = await ChaosRedis.start();
  cleanup.add('redis', () => redis.stop());
  log(`postgres :${postgres.port}, redis :${redis.port}; starting ${options.nodes} nodes…`);
  const nodes = await ChaosNodes.start(
    options.nodes,
    { sessionMs: options.sessionMs, replicaLagMs: options.replicaLagMs, logDir: nodeLogs },
    postgres,
    redis,
  );
  cleanup.add('nodes', () => nodes.close());
  await untilAllAlive(nodes);
  const key = await setUpTenant(nodes);
  await createTopic(nodes, key);

  const history = new History(RUN_SETUP.historyCapacity);
  let stop = () => undefined as void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  let stopping = false;
  const ctx: ClientContext = {
    history,
    nodes,
    key,
    topic: RUN_SETUP.topic,
    partitions: RUN_SETUP.partitions,
    random: seededRandom(options.seed ^ 0x5bd1e995),
    stopping: () => stopping,
    stopped,
    leaders: undefined,
  };
  if (!(await untilHealed(ctx, RUN_SETUP.setupTimeoutMs))) {
    throw new Error('the topic never had a leader and a full ISR on every partition');
  }

  const plan = faultSchedule(options.seed, runMs, options.sessionMs);
  log(`running ${options.minutes} min, seed ${options.seed}, ${plan.length} faults scheduled…`);
  // A full history stops a client (its run is over); anything else is a bug and fails the run.
  const guard = (client: Promise<void>) =>
    client.catch((error: unknown) => {
      if (!(error instanceof HistoryFull)) throw error;
    });
  const clients = [
    ...Array.from({ length: RUN_SETUP.producers }, (_, i) => runProducer(ctx, i + 1)),
    ...Array.from({ length: RUN_SETUP.readers }, (_, i) => runReader(ctx, i + 1)),
    ...Array.from({ length: RUN_SETUP.restConsumers }, (_, i) =>
      runRestConsumer(ctx, RUN_SETUP.restGroup, i + 1),
    ),
    runWsConsumer(ctx, RUN_SETUP.wsGroup),
    runWatcher(ctx, [RUN_SETUP.restGroup, RUN_SETUP.wsGroup]),
  ].map(guard);
  const injector = new FaultInjector({ nodes, postgres, redis, clients: ctx });
  const progress = setInterval(() => {
    const acked = history.ops.filter((op) => op.kind === 'produce' && op.outcome === 'ok').length;
    log(`  ${(history.now() / 1000).toFixed(0)}s: ${history.faults.length} faults, ${acked} acked`);
  }, 30_000);
  try {
    await injector.play(plan, runMs);
    const left = runMs - history.now();
    if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
  } finally {
    clearInterval(progress);
  }
  const faultsEndMs = history.now();

  log('faults healed; stopping the clients…');
  stopping = true;
  stop();
  const clientsDone = await Promise.race([
    Promise.all(clients).then(() => true),
    new Promise<false>((resolve) =>
      setTimeout(() => resolve(false), RUN_SETUP.clientsStopTimeoutMs).unref(),
    ),
  ]);
  const lost = nodes.ids().filter((id) => !nodes.isRunning(id));
  if (lost.length > 0)
    log(`NOT RUNNING after the faults: node(s) ${lost.join(', ')} (see result.json faults.errors)`);
  log('waiting for every partition to have a leader and a full ISR…');
  const healStartMs = history.now();
  const healed = await untilHealed(ctx, RUN_SETUP.healTimeoutMs);
  const caughtUp = healed && (await untilCaughtUp(ctx, RUN_SETUP.healTimeoutMs));
  const healMs = history.now() - healStartMs;
  log(
    healed
      ? `healed in ${(healMs / 1000).toFixed(1)} s${caughtUp ? '' : ' (a high watermark stayed short of what was acknowledged)'}; final reads…`
      : 'NOT healed; final reads…',
  );
  for (let partition = 0; partition < RUN_SETUP.partitions; partition++) {
    for (const node of nodes.ids().filter((id) => nodes.isRunning(id))) {
      await finalRead(ctx, partition, node);
    }
  }
  for (const group of [RUN_SETUP.restGroup, RUN_SETUP.wsGroup]) await sampleCommitted(ctx, group);

  const violations: Violation[] = checkHistory(history.ops);
  const result = buildResult({
    options,
    startedAt,
    runMs,
    faultsEndMs,
    endMs: history.now(),
    history,
    plan,
    skipped: injector.skipped,
    kinds: FAULT_KINDS,
    violations,
    healed,
    healMs,
    clientsDone,
    lostNodes: lost,
    setup: RUN_SETUP,
  });
  return { result, history };
}
