// The faults of a chaos run: a schedule drawn from the seed (the kinds in a shuffled deck, so
// every kind comes round; start times, durations and the draws that pick targets), and an
// injector that plays it against the live cluster, recording each fault's start and end.
//
// The rule for overlapping faults: at most floor((nodes - 1) / 2) nodes faulted at once (a
// minority: one of 3 or 4, two of 5), never twice the same node, and at most one fault of a
// shared service (Redis or Postgres) at a time, which may overlap a node's fault. A fault whose
// turn comes while its slot is taken waits for the slot (the schedule then slides later, in
// order). Before a node fault the injector waits (bounded) for every partition to be back to
// a full ISR, so that one fault's recovery is not cut short by the next.
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { waitUntil } from '@tributary/common';
import { seededRandom } from '../test/support/random';
import { type ClientContext, sampleLeaders } from './clients';
import { type FaultRecord } from './history';
import { call } from './http';
import { CHAOS_ADMIN, type ChaosNodes, type NodeProxy } from './nodes';
import { type ChaosPostgres, type ChaosRedis } from './services';

export const FAULT_KINDS = [
  'kill-random',
  'kill-leader',
  'kill-controller',
  'restart-leader',
  'pause-leader',
  'cut-peers',
  'cut-redis',
  'cut-postgres',
  'redis-restart',
  'redis-flushall',
  'postgres-restart',
  'corrupt-segment',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

const SERVICE_FAULTS: readonly FaultKind[] = [
  'redis-restart',
  'redis-flushall',
  'postgres-restart',
];

export const FAULT_LIMITS = {
  firstAtMs: 2_000,
  gapMinMs: 2_500,
  gapMaxMs: 7_000,
  /** A fault that cannot get its slot for this long is skipped (recorded with the reason). */
  slotWaitMaxMs: 60_000,
  fullIsrWaitMaxMs: 10_000,
  nodeStartAttempts: 3,
  scheduleMax: 10_000,
} as const;

export interface PlannedFault {
  atMs: number;
  kind: FaultKind;
  durationMs: number;
  /** Draws in [0, 1) that pick the target and the variant at injection time. */
  pick: number;
  variant: number;
}

/** The run's faults, a function of the seed alone. */
export function faultSchedule(seed: number, runMs: number, sessionMs: number): PlannedFault[] {
  const random = seededRandom(seed);
  const uniform = (min: number, max: number) => Math.round(min + random() * (max - min));
  let deck: FaultKind[] = [];
  const deal = (): FaultKind => {
    if (deck.length === 0) {
      deck = [...FAULT_KINDS];
      for (let i = deck.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [deck[i], deck[j]] = [deck[j]!, deck[i]!];
      }
    }
    return deck.pop()!;
  };
  const durations: Record<FaultKind, () => number> = {
    'kill-random': () => uniform(1_500, 4_000),
    'kill-leader': () => uniform(1_500, 4_000),
    'kill-controller': () => uniform(1_500, 4_000),
    'restart-leader': () => uniform(500, 2_000),
    // A zombie: stopped for longer than its session, so it wakes up fenced.
    'pause-leader': () => sessionMs + uniform(1_000, 3_000),
    'cut-peers': () => uniform(2_000, 6_000),
    'cut-redis': () => uniform(2_000, 6_000),
    'cut-postgres': () => uniform(2_000, 6_000),
    'redis-restart': () => uniform(300, 2_000),
    'redis-flushall': () => 0,
    'postgres-restart': () => 0,
    'corrupt-segment': () => uniform(500, 2_000),
  };
  const plan: PlannedFault[] = [];
  for (
    let atMs = FAULT_LIMITS.firstAtMs;
    atMs < runMs && plan.length < FAULT_LIMITS.scheduleMax;
    atMs += uniform(FAULT_LIMITS.gapMinMs, FAULT_LIMITS.gapMaxMs)
  ) {
    const kind = deal();
    plan.push({ atMs, kind, durationMs: durations[kind](), pick: random(), variant: random() });
  }
  return plan;
}

export interface FaultTargets {
  nodes: ChaosNodes;
  postgres: ChaosPostgres;
  redis: ChaosRedis;
  clients: ClientContext;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class FaultInjector {
  private readonly faultedNodes = new Set<number>();
  /** Nodes that would not start again: faulted for good. */
  readonly lost = new Set<number>();
  private serviceFaults = 0;
  private readonly running = new Set<Promise<void>>();
  readonly skipped: { kind: FaultKind; reason: string }[] = [];

  constructor(private readonly targets: FaultTargets) {}

  private get history() {
    return this.targets.clients.history;
  }

  private get maxNodeFaults(): number {
    return Math.floor((this.targets.nodes.ids().length - 1) / 2);
  }

  /** Plays the schedule until `runMs`; then waits for every fault to heal. */
  async play(plan: readonly PlannedFault[], runMs: number): Promise<void> {
    for (const fault of plan) {
      const waitMs = fault.atMs - this.history.now();
      if (waitMs > 0) await sleep(waitMs);
      if (this.history.now() >= runMs) break;
      const service = SERVICE_FAULTS.includes(fault.kind);
      if (!service && this.lost.size >= this.maxNodeFaults) {
        this.skipped.push({
          kind: fault.kind,
          reason: `node(s) ${[...this.lost].join(', ')} lost`,
        });
        continue;
      }
      const free = () =>
        service
          ? this.serviceFaults === 0
          : this.faultedNodes.size + this.lost.size < this.maxNodeFaults;
      const got = await waitUntil(
        free,
        `a slot for ${fault.kind}`,
        FAULT_LIMITS.slotWaitMaxMs,
      ).then(
        () => true,
        () => false,
      );
      if (!got) {
        this.skipped.push({ kind: fault.kind, reason: 'no slot' });
        continue;
      }
      if (!service) await this.untilFullIsr();
      const task = this.inject(fault).finally(() => this.running.delete(task));
      this.running.add(task);
    }
    await Promise.all([...this.running]);
  }

  private async untilFullIsr(): Promise<void> {
    const count = this.targets.nodes.ids().length;
    await waitUntil(
      async () => {
        const leaders = await sampleLeaders(this.targets.clients);
        return (
          leaders !== undefined &&
          leaders.partitions.every((p) => p.leader > 0 && p.isr.length >= Math.min(3, count))
        );
      },
      'every partition back to a full ISR',
      FAULT_LIMITS.fullIsrWaitMaxMs,
    ).catch(() => undefined);
  }

  /** Nodes up and not faulted, sorted. */
  private candidates(): number[] {
    const { nodes } = this.targets;
    return nodes.ids().filter((id) => nodes.isRunning(id) && !this.faultedNodes.has(id));
  }

  private async inject(fault: PlannedFault): Promise<void> {
    if (SERVICE_FAULTS.includes(fault.kind)) {
      this.serviceFaults++;
      try {
        await this.serviceFault(fault);
      } finally {
        this.serviceFaults--;
      }
      return;
    }
    const target = await this.nodeTarget(fault);
    if (target === undefined) {
      this.skipped.push({ kind: fault.kind, reason: 'no node to fault' });
      return;
    }
    if (
      this.faultedNodes.has(target.node) ||
      this.faultedNodes.size + this.lost.size >= this.maxNodeFaults
    ) {
      this.skipped.push({ kind: fault.kind, reason: `node ${target.node} taken meanwhile` });
      return;
    }
    this.faultedNodes.add(target.node);
    try {
      await this.nodeFault(fault, target.node, target.detail);
    } finally {
      this.faultedNodes.delete(target.node);
    }
  }

  private async leaderOf(partition: number): Promise<number | undefined> {
    const leaders = (await sampleLeaders(this.targets.clients)) ?? this.targets.clients.leaders;
    const leader = leaders?.partitions.find((p) => p.partition === partition)?.leader;
    return leader !== undefined && leader > 0 ? leader : undefined;
  }

  private async controller(): Promise<number | undefined> {
    for (const id of this.candidates()) {
      const reply = await call(this.targets.nodes.url(id), 'GET', '/v1/cluster', CHAOS_ADMIN, {
        timeoutMs: 2_000,
      });
      if (reply.status === 200 && typeof reply.body.controller === 'number') {
        return reply.body.controller as number;
      }
    }
    return undefined;
  }

  private async nodeTarget(
    fault: PlannedFault,
  ): Promise<{ node: number; detail: string } | undefined> {
    const candidates = this.candidates();
    if (candidates.length === 0) return undefined;
    const random = candidates[Math.floor(fault.pick * candidates.length)]!;
    const partitions = this.targets.clients.partitions;
    const aimed = (wanted: number | undefined, what: string) =>
      wanted !== undefined && candidates.includes(wanted)
        ? { node: wanted, detail: what }
        : { node: random, detail: `${what} unknown or busy: a random node` };
    switch (fault.kind) {
      case 'kill-leader':
        return aimed(await this.leaderOf(0), 'leader of hot partition 0');
      case 'kill-controller':
        return aimed(await this.controller(), 'controller');
      case 'restart-leader':
      case 'pause-leader': {
        const partition = Math.floor(fault.variant * partitions);
        return aimed(await this.leaderOf(partition), `leader of partition ${partition}`);
      }
      case 'corrupt-segment': {
        // A minority replica: a node that does not lead the partition.
        const partition = Math.floor(fault.variant * partitions);
        const leader = await this.leaderOf(partition);
        const followers = candidates.filter((id) => id !== leader);
        if (followers.length === 0) return undefined;
        return {
          node: followers[Math.floor(fault.pick * followers.length)]!,
          detail: `follower of partition ${partition}`,
        };
      }
      default:
        return { node: random, detail: 'random node' };
    }
  }

  private async ledBy(node: number): Promise<number[]> {
    const leaders = (await sampleLeaders(this.targets.clients)) ?? this.targets.clients.leaders;
    return (leaders?.partitions ?? []).filter((p) => p.leader === node).map((p) => p.partition);
  }

  private async nodeFault(fault: PlannedFault, node: number, aim: string): Promise<void> {
    const { nodes } = this.targets;
    const record = (detail: string, extra: Partial<FaultRecord> = {}) =>
      this.history.fault({ kind: fault.kind, node, startMs: this.history.now(), detail, ...extra });
    nodes.note(node, `fault ${fault.kind}`);
    switch (fault.kind) {
      case 'kill-random':
      case 'kill-leader':
      case 'kill-controller': {
        const ledPartitions = await this.ledBy(node);
        const fault_ = record(`SIGKILL node ${node} (${aim}), down ${fault.durationMs} ms`, {
          ledPartitions,
        });
        await nodes.kill(node);
        await sleep(fault.durationMs);
        await this.restart(node, fault_);
        return;
      }
      case 'restart-leader': {
        // A controlled shutdown: its leaderships move before it stops, then it starts again.
        const fault_ = record(`SIGTERM node ${node} (${aim}), down ${fault.durationMs} ms`, {
          ledPartitions: await this.ledBy(node),
        });
        await nodes.kill(node, 'SIGTERM');
        await sleep(fault.durationMs);
        await this.restart(node, fault_);
        return;
      }
      case 'pause-leader': {
        const fault_ = record(`SIGSTOP node ${node} (${aim}) for ${fault.durationMs} ms`, {
          ledPartitions: await this.ledBy(node),
        });
        nodes.pause(node);
        await sleep(fault.durationMs);
        nodes.resume(node);
        fault_.endMs = this.history.now();
        return;
      }
      case 'cut-peers': {
        const mode = fault.pick < 0.5 ? 'refuse' : 'blackhole';
        const fault_ = record(
          `node ${node} cut from its peers, both ways (${mode}) for ${fault.durationMs} ms`,
        );
        nodes.cutPeers(node, mode);
        await sleep(fault.durationMs);
        nodes.restorePeers(node);
        fault_.endMs = this.history.now();
        return;
      }
      case 'cut-redis':
      case 'cut-postgres': {
        const which: NodeProxy = fault.kind === 'cut-redis' ? 'redis' : 'postgres';
        const mode = fault.pick < 0.5 ? 'refuse' : 'blackhole';
        const proxy = nodes.proxy(node, which);
        const fault_ = record(
          `node ${node} cut from ${which} (${mode}) for ${fault.durationMs} ms`,
        );
        await proxy.cut(mode);
        await sleep(fault.durationMs);
        await proxy.restore();
        fault_.endMs = this.history.now();
        return;
      }
      case 'corrupt-segment':
        await this.corrupt(fault, node, aim, record);
        return;
      default:
        throw new Error(`not a node fault: ${fault.kind}`);
    }
  }

  private async corrupt(
    fault: PlannedFault,
    node: number,
    aim: string,
    record: (detail: string, extra?: Partial<FaultRecord>) => FaultRecord,
  ): Promise<void> {
    const { nodes } = this.targets;
    const partition = Number(/partition (\d+)/.exec(aim)?.[1] ?? 0);
    await nodes.kill(node);
    const segment = await pickSegment(nodes.dataDir(node), partition, fault.pick);
    let detail: string;
    if (segment === undefined) {
      detail = `SIGKILL node ${node}; no segment of partition ${partition} to corrupt`;
    } else {
      detail = `SIGKILL node ${node} (${aim}); ${await damage(segment, fault.variant)}`;
    }
    const fault_ = record(detail);
    nodes.note(node, detail);
    await sleep(fault.durationMs);
    await this.restart(node, fault_);
  }

  /**
   * Starts the node again, a few times if need be (each failure recorded in the fault's error).
   * Nothing is repaired by hand: a node must recover from what the fault left, damaged segments
   * included. A node that never starts is lost: it keeps its slot for the rest of the run.
   */
  private async restart(node: number, fault: FaultRecord): Promise<void> {
    const errors: string[] = [];
    let started = false;
    for (let attempt = 0; attempt < FAULT_LIMITS.nodeStartAttempts && !started; attempt++) {
      try {
        await this.targets.nodes.startNode(node);
        started = true;
      } catch (error) {
        errors.push(firstLine(error));
      }
    }
    fault.endMs = this.history.now();
    if (errors.length > 0) fault.error = `restarting node ${node}: ${errors.join(' | ')}`;
    if (!started) this.lost.add(node);
  }

  private async serviceFault(fault: PlannedFault): Promise<void> {
    const { postgres, redis, nodes } = this.targets;
    for (const id of nodes.ids()) nodes.note(id, `fault ${fault.kind}`);
    const record = this.history.fault({
      kind: fault.kind,
      startMs: this.history.now(),
      detail:
        fault.kind === 'redis-restart'
          ? `Redis killed, back (empty) after ${fault.durationMs} ms`
          : fault.kind === 'redis-flushall'
            ? 'Redis FLUSHALL'
            : 'Postgres restarted (pg_ctl restart -m fast)',
    });
    try {
      if (fault.kind === 'redis-restart') {
        await redis.kill();
        await sleep(fault.durationMs);
        await redis.restart();
      } else if (fault.kind === 'redis-flushall') {
        await redis.flushAll();
      } else {
        await postgres.restart();
      }
    } catch (error) {
      record.error = firstLine(error);
    }
    record.endMs = this.history.now();
  }
}

/** The first line of an error's message (a node's start failure carries its whole stderr). */
function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const failed = lines.find((l) => l.includes('failed to start')) ?? lines[0] ?? '';
  return failed.slice(0, 300);
}

/**
 * A segment file of `partition` in a node's data dir (logs/<tenant>/<topic>-<partition>/), the
 * oldest when there are several (below the recovery point), else the only one.
 */
async function pickSegment(
  dataDir: string,
  partition: number,
  pick: number,
): Promise<string | undefined> {
  const logs = path.join(dataDir, 'logs');
  const found: string[] = [];
  for (const tenant of await fsp.readdir(logs).catch(() => [])) {
    for (const dir of await fsp.readdir(path.join(logs, tenant)).catch(() => [])) {
      if (!dir.endsWith(`-${partition}`)) continue;
      const files = (await fsp.readdir(path.join(logs, tenant, dir)).catch(() => []))
        .filter((f) => /^\d{20}\.log$/.test(f))
        .sort();
      if (files.length > 0) {
        const chosen = files.length > 1 && pick < 0.7 ? files[0]! : files[files.length - 1]!;
        found.push(path.join(logs, tenant, dir, chosen));
      }
    }
  }
  return found[0];
}

/** Flips 16 bytes in the middle of the file, or cuts it to half its length. */
async function damage(file: string, variant: number): Promise<string> {
  const { size } = await fsp.stat(file);
  const name = path.relative(path.dirname(path.dirname(path.dirname(file))), file);
  if (size === 0) return `${name} is empty: left as it is`;
  const handle = await fsp.open(file, 'r+');
  try {
    if (variant < 0.5) {
      const at = Math.floor(size / 2);
      const bytes = Buffer.alloc(Math.min(16, size - at));
      await handle.read(bytes, 0, bytes.length, at);
      for (let i = 0; i < bytes.length; i++) bytes[i] = bytes[i]! ^ 0xff;
      await handle.write(bytes, 0, bytes.length, at);
      return `flipped ${bytes.length} bytes at ${at} of ${size} in ${name}`;
    }
    await handle.truncate(Math.floor(size / 2));
    return `truncated ${name} from ${size} to ${Math.floor(size / 2)} bytes`;
  } finally {
    await handle.close();
  }
}
