// A load-generator child process of `npm run bench`: reads its plan (a JSON line) from stdin,
// opens the driver, runs the warm-up, then for each measured run prints {"type":"ready"}, waits
// for a `go` line and prints {"type":"run"} after it; {"type":"done"} at the end. The parent
// reads the server's CPU time from the first `go` to "done", so the warm-up and the driver's
// setup are not counted, and starts the runs of several workers together.
import * as readline from 'node:readline';
import { assert } from '@tributary/common';
import { failureText } from '../common/processes';
import { type Driver, GO_LINE, type Job, type WorkerLine, type WorkerPlan } from './drivers/driver';
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

/** The plan (the first line on stdin), then the `go` lines that start each measured run. */
function readInput(): { plan: Promise<WorkerPlan>; go: () => Promise<void> } {
  const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const next = async (what: string): Promise<string> => {
    const line = await lines.next();
    assert(line.done !== true, `stdin ended before ${what}`);
    return line.value;
  };
  return {
    plan: next('the plan').then((text) => {
      assert(text.length <= PLAN_BYTES_MAX, 'plan too large');
      const plan = JSON.parse(text) as WorkerPlan;
      assert(plan.runs >= 1 && plan.durationMs > 0 && plan.warmupMs >= 0, 'bad worker plan');
      return plan;
    }),
    go: async () => assert((await next('go')) === GO_LINE, 'expected go'),
  };
}

function emit(line: WorkerLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function main(): Promise<void> {
  const input = readInput();
  const plan = await input.plan;
  const driver = await openDriver(plan.job);
  try {
    if (plan.warmupMs > 0) await driver.run(plan.warmupMs);
    for (let i = 0; i < plan.runs; i++) {
      emit({ type: 'ready' });
      await input.go();
      emit({ type: 'run', run: await driver.run(plan.durationMs) });
    }
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
