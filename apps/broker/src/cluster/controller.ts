// The controller: one node at a time, chosen by the `controller` lease in coordination, moves
// partition leaderships when nodes die or return (see controller-decisions.ts). Holding the
// lease grants nothing by itself: the holder first bumps the controller epoch in Postgres (a
// compare-and-set), and every partition write it makes is fenced by that epoch, so a paused
// controller whose lease another node took can no longer write anything.
//
// Liveness is looked at every `checkIntervalMs` (one read of the broker leases) and on every
// `brokers` notification; the partitions are reconciled when the set of live nodes changed,
// and in full every few seconds in any case (a write lost to an outage is redone).
//
// A missing lease is evidence of death only once someone had a chance to renew it. A lease this
// controller saw and then lost expired: its node is dead. A node without a lease that this
// controller has not seen alive since it started looking is unknown, not dead, for a session:
// Redis may just have lost every key (flushed, restarted empty, failed over), and every live
// node renews within a session. The controller starts looking afresh when it becomes controller
// and when it finds its own lease gone from under it.
import { type Clock } from '@tributary/common';
import { type Coordinator } from '@tributary/coordination';
import { type MetadataStore } from '@tributary/metadata';
import { type Logger } from 'pino';
import { brokerLease } from './broker-session';
import { Coalesced } from './coalesced';
import { decide } from './controller-decisions';

export const CONTROLLER_LEASE = 'controller';

export interface ControllerOptions {
  nodeId: number;
  incarnation: string;
  sessionMs: number;
  coordinator: Coordinator;
  metadata: MetadataStore;
  clock: Clock;
  logger: Logger;
  /** How often liveness is looked at (default: a tenth of the session). */
  checkIntervalMs?: number;
}

/** Full reconciles at least this often, whatever the liveness. */
const RECONCILE_EVERY_CHECKS = 20;

export class Controller {
  /** The epoch this node controls in; undefined while it does not. */
  private epoch: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly checks = new Coalesced(() => this.check());
  private closed = false;
  private checkCount = 0;
  private lastAlive = '';
  /** Node id -> when (monotonic ms) this controller first saw it alive, in its current run. */
  private readonly aliveSince = new Map<number, number>();
  /** Nodes seen alive in the current run; until a session into it, the others are unknown. */
  private readonly seen = new Set<number>();
  private runStartedMs = 0;
  private stopWatching: (() => void) | undefined;

  constructor(private readonly options: ControllerOptions) {}

  get owner(): string {
    return `${this.options.nodeId}:${this.options.incarnation}`;
  }

  /** Whether this node is the controller now. */
  get active(): boolean {
    return this.epoch !== undefined;
  }

  start(): void {
    const interval = this.options.checkIntervalMs ?? Math.max(50, this.options.sessionMs / 10);
    this.stopWatching = this.options.coordinator.watchCluster('brokers', () => this.poke());
    this.timer = setInterval(() => this.poke(), interval);
    this.timer.unref();
    this.poke();
  }

  /** Runs a check now, or right after the one running. */
  poke(): void {
    if (this.closed) return;
    this.checks
      .run()
      .catch((error: unknown) =>
        this.options.logger.warn({ err: error }, 'controller check failed'),
      );
  }

  private async check(): Promise<void> {
    const { coordinator, metadata, sessionMs, nodeId, logger } = this.options;
    // While controller, the leases are read before the renewal: a gap in its own lease shows
    // in the same snapshot as the brokers' leases.
    const before = this.epoch === undefined ? undefined : await this.leaseSnapshot();
    const held = await coordinator.acquireLease(CONTROLLER_LEASE, this.owner, sessionMs);
    if (!held) {
      if (this.epoch !== undefined) logger.warn('lost the controller lease');
      this.epoch = undefined;
      return;
    }
    if (this.epoch === undefined) {
      const seen = await metadata.cluster.controller();
      const epoch = await metadata.cluster.becomeController(nodeId, seen.epoch);
      if (epoch === undefined) return; // another node bumped it first: try again next time
      this.epoch = epoch;
      this.startRun();
      logger.info({ controllerEpoch: epoch }, 'this node is the controller');
    } else if (before !== undefined && before.controller !== this.owner) {
      logger.warn(
        { holder: before.controller },
        'the controller lease was gone (Redis lost its keys, or this node was paused past it); looking at liveness afresh',
      );
      this.startRun();
    }
    const snapshot = before !== undefined && before.controller === this.owner ? before : undefined;
    const nodes = this.liveNodes(snapshot ?? (await this.leaseSnapshot()));
    const key = `${[...nodes.alive].sort((a, b) => a - b).join(',')}?${[...nodes.unknown].join(',')}`;
    this.checkCount += 1;
    if (key === this.lastAlive && this.checkCount % RECONCILE_EVERY_CHECKS !== 0) return;
    this.lastAlive = key;
    await this.reconcile(nodes.alive, nodes.unknown);
  }

  private startRun(): void {
    this.aliveSince.clear();
    this.seen.clear();
    this.lastAlive = '';
    this.runStartedMs = this.options.clock.monotonicMs();
  }

  /** The registered nodes, and in one read the holders of their leases and the controller's. */
  private async leaseSnapshot(): Promise<{
    brokers: { id: number; incarnation: string }[];
    holders: (string | null)[];
    controller: string | null;
  }> {
    const { coordinator, metadata } = this.options;
    const brokers = await metadata.cluster.brokers();
    const [controller, ...holders] = await coordinator.leaseHolders([
      CONTROLLER_LEASE,
      ...brokers.map((b) => brokerLease(b.id)),
    ]);
    return { brokers, holders, controller: controller ?? null };
  }

  /**
   * Registered nodes whose lease is held by their current incarnation are alive; within a
   * session of the run's start, those not seen alive in it are unknown.
   */
  private liveNodes(snapshot: Awaited<ReturnType<Controller['leaseSnapshot']>>): {
    alive: Set<number>;
    unknown: Set<number>;
  } {
    const { brokers, holders } = snapshot;
    const alive = new Set(brokers.filter((b, i) => holders[i] === b.incarnation).map((b) => b.id));
    const nowMs = this.options.clock.monotonicMs();
    for (const id of alive) {
      if (!this.aliveSince.has(id)) this.aliveSince.set(id, nowMs);
      this.seen.add(id);
    }
    for (const id of this.aliveSince.keys()) if (!alive.has(id)) this.aliveSince.delete(id);
    const unknown = new Set<number>();
    if (nowMs - this.runStartedMs < this.options.sessionMs) {
      for (const { id } of brokers) if (!this.seen.has(id)) unknown.add(id);
    }
    return { alive, unknown };
  }

  private async reconcile(alive: Set<number>, unknown: Set<number>): Promise<void> {
    const { metadata, coordinator, clock, sessionMs, logger } = this.options;
    const epoch = this.epoch;
    if (epoch === undefined) return;
    const nowMs = clock.monotonicMs();
    // A node back for less than a session may be restarting in a loop: not yet its partitions.
    const settled = new Set(
      [...alive].filter((id) => nowMs - this.aliveSince.get(id)! >= sessionMs),
    );
    let changed = 0;
    for (const row of await metadata.partitions.listAll()) {
      const decision = decide(row, { alive, settled, unknown });
      if (decision === undefined) continue;
      const { reason, ...change } = decision;
      const result = await metadata.partitions.compareAndSet(
        row.topicId,
        row.partition,
        row.version,
        { ...change, replicas: row.replicas },
        { controllerEpoch: epoch },
      );
      if (result === 'fenced') {
        logger.warn({ controllerEpoch: epoch }, 'a newer controller took over; standing down');
        this.epoch = undefined;
        break;
      }
      if (!result.applied) continue; // changed meanwhile (an ISR change): the next round sees it
      changed += 1;
      logger.info(
        { topicId: row.topicId, partition: row.partition, ...change, reason },
        'partition leadership changed',
      );
    }
    if (changed > 0) await coordinator.notifyCluster('metadata');
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.stopWatching?.();
    if (this.epoch !== undefined) {
      this.epoch = undefined;
      await this.options.coordinator
        .releaseLease(CONTROLLER_LEASE, this.owner)
        .catch(() => undefined);
    }
  }
}

/** The controller's node id from its lease's holder ("<node>:<incarnation>"), or null. */
export function controllerNode(holder: string | null): number | null {
  if (holder === null) return null;
  const id = Number(holder.split(':')[0]);
  return Number.isInteger(id) ? id : null;
}
