// A load-generator child process of `npm run bench`: reads its plan (JSON) from stdin, opens
// the driver, runs the warm-up, prints {"type":"measuring"}, then one {"type":"run"} line per
// measured run and {"type":"done"}. The parent reads the server's CPU time between
// "measuring" and "done", so the warm-up and the driver's setup are not counted.
import { assert } from '@tributary/common';
import { failureText } from '../common/processes';
import { type Driver, type Job, type WorkerLine, type WorkerPlan } from './drivers/driver';
import { httpProduce, tributaryFetch } from './drivers/http';
import { natsCatchUp, natsLatency, natsProduce } from './drivers/nats';
import { redisCatchUp, redisLatency, redisProduce } from './drivers/redis';
import { rawDisk, storageAppend } from './drivers/storage';
import { tributaryGroupPoll, tributaryRebalance } from './drivers/tributary-groups';
import { tributaryWsCatchUp, tributaryWsLatency } from './drivers/tributary-ws';

/** Largest plan accepted on stdin; a plan is a few hundred bytes. */
const PLAN_BYTES_MAX = 1024 * 1024;

async function openDriver(job: Job): Promise<Driver> {
  switch (job.driver) {
    case 'http-produce':
      return httpProduce(job);
    case 'tributary-fetch':
      return tributaryFetch(job);
    case 'tributary-ws-catch-up':
      return tributaryWsCatchUp(job);
    case 'tributary-ws-latency':
      return tributaryWsLatency(job);
    case 'tributary-group-poll':
      return tributaryGroupPoll(job);
    case 'tributary-rebalance':
      return tributaryRebalance(job);
    case 'nats-produce':
      return natsProduce(job);
    case 'nats-catch-up':
      return natsCatchUp(job);
    case 'nats-latency':
      return natsLatency(job);
    case 'redis-produce':
      return redisProduce(job);
    case 'redis-catch-up':
      return redisCatchUp(job);
    case 'redis-latency':
      return redisLatency(job);
    case 'storage-append':
      return storageAppend(job);
    case 'raw-disk':
      return rawDisk(job);
  }
}

async function readPlan(): Promise<WorkerPlan> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    assert(bytes <= PLAN_BYTES_MAX, 'plan too large');
    chunks.push(chunk);
  }
  const plan = JSON.parse(Buffer.concat(chunks).toString('utf8')) as WorkerPlan;
  assert(plan.runs >= 1 && plan.durationMs > 0 && plan.warmupMs >= 0, 'bad worker plan');
  return plan;
}

function emit(line: WorkerLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function main(): Promise<void> {
  const plan = await readPlan();
  const driver = await openDriver(plan.job);
  try {
    if (plan.warmupMs > 0) await driver.run(plan.warmupMs);
    emit({ type: 'measuring' });
    for (let i = 0; i < plan.runs; i++)
      emit({ type: 'run', run: await driver.run(plan.durationMs) });
    emit({ type: 'done' });
  } finally {
    await driver.close();
  }
}

main().then(
  // Client libraries may keep timers alive after close(); the work is done.
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${failureText(error)}
`);
    process.exit(1);
  },
);
