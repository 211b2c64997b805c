// The controller: one node at a time, chosen by the `controller` lease in coordination, moves
// partition leaderships when nodes die or return (see controller-decisions.ts). Holding the
// lease grants nothing by itself: the holder first bumps the controller epoch in Postgres (a
// compare-and-set), and every partition write it makes is fenced by that epoch, so a paused
// controller whose lease another node took can no longer write anything.
//
// Liveness is looked at every `checkIntervalMs` (one read of the broker leases) and on every
// `brokers` notification; the partitions are reconciled when the set of live nodes changed,
// and in full every few seconds in any case (a write lost to an outage is redone).
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
      this.aliveSince.clear();
      this.lastAlive = '';
      logger.info({ controllerEpoch: epoch }, 'this node is the controller');
    }
    const alive = await this.liveNodes();
    const key = [...alive].sort((a, b) => a - b).join(',');
    this.checkCount += 1;
    if (key === this.lastAlive && this.checkCount % RECONCILE_EVERY_CHECKS !== 0) return;
    this.lastAlive = key;
    await this.reconcile(alive);
  }

  /** Registered nodes whose lease is held by their current incarnation. */
  private async liveNodes(): Promise<Set<number>> {
    const { coordinator, metadata, clock } = this.options;
    const brokers = await metadata.cluster.brokers();
    const holders = await coordinator.leaseHolders(brokers.map((b) => brokerLease(b.id)));
    const alive = new Set(brokers.filter((b, i) => holders[i] === b.incarnation).map((b) => b.id));
    const nowMs = clock.monotonicMs();
    for (const id of alive) if (!this.aliveSince.has(id)) this.aliveSince.set(id, nowMs);
    for (const id of this.aliveSince.keys()) if (!alive.has(id)) this.aliveSince.delete(id);
    return alive;
  }

  private async reconcile(alive: Set<number>): Promise<void> {
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
      const decision = decide(row, { alive, settled });
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
