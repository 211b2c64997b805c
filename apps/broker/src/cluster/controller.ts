// The controller: one node at a time, chosen by the `controller` lease in coordination, moves
// partition leaderships when nodes die or return (see controller-decisions.ts). Holding the
// lease grants nothing by itself: the holder first bumps the controller epoch in Postgres (a
// compare-and-set), and every partition write it makes is fenced by that epoch, so a paused
// controller whose lease another node took can no longer write anything.
//
// Liveness is looked at every `checkIntervalMs` (one read of the broker leases) and on every
// `brokers` notification; the partitions are reconciled when the set of live nodes or their
// states changed, at every check while work is under way (a reassignment, a drain, a node
// shutting down), and in full every few seconds in any case (a write lost to an outage is
// redone).
//
// A missing lease is evidence of death only once someone had a chance to renew it. A lease this
// controller saw and then lost expired: its node is dead. A node without a lease that this
// controller has not seen alive since it started looking is unknown, not dead, for a session:
// Redis may just have lost every key (flushed, restarted empty, failed over), and every live
// node renews within a session. The controller starts looking afresh when it becomes controller
// and when it finds its own lease gone from under it.
import { type Clock } from '@tributary/common';
import { type Coordinator } from '@tributary/coordination';
import {
  type MetadataStore,
  type PartitionState,
  type RegisteredBroker,
} from '@tributary/metadata';
import { type Logger } from 'pino';
import { brokerLease } from './broker-session';
import { Coalesced } from './coalesced';
import { decide, type LiveNodes } from './controller-decisions';
import { memoryMarkerAgeMs, REDIS_MEMORY_MARKER } from './redis-memory';

export const CONTROLLER_LEASE = 'controller';

/** The nodes as one check of the controller sees them. */
interface ClusterView {
  alive: number[];
  /** Neither alive nor known dead (see above). */
  unknown: number[];
  /** Alive, and may lead. */
  eligible: number[];
  draining: number[];
}

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
  /** Whether preferred leaders take their partitions back by themselves (default true). */
  autoLeaderRebalance?: boolean;
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
  private lastView = '';
  /** The last reconcile left work under way: reconcile again at the next check. */
  private busy = false;
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
    this.checkNow().catch((error: unknown) =>
      this.options.logger.warn({ err: error }, 'controller check failed'),
    );
  }

  /** A check now (or right after the one running); settles when it is done. */
  checkNow(): Promise<void> {
    return this.closed ? Promise.resolve() : this.checks.run();
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
    // The leases as read before the renewal, while they show this node holding its own.
    let snapshot = before !== undefined && before.controller === this.owner ? before : undefined;
    if (this.epoch === undefined) {
      const seen = await metadata.cluster.controller();
      const epoch = await metadata.cluster.becomeController(nodeId, seen.epoch);
      if (epoch === undefined) return; // another node bumped it first: try again next time
      this.epoch = epoch;
      snapshot = await this.leaseSnapshot();
      this.startRun(snapshot.marker);
      logger.info({ controllerEpoch: epoch }, 'this node is the controller');
      // The nodes' directories learn the new controller now, not at their next safety poll.
      await coordinator.notifyCluster('brokers').catch(() => undefined);
    } else if (before !== undefined && before.controller !== this.owner) {
      logger.warn(
        { holder: before.controller },
        'the controller lease was gone (Redis lost its keys, or this node was paused past it); looking at liveness afresh',
      );
      this.startRun(before.marker);
    }
    const view = this.clusterView(snapshot ?? (await this.leaseSnapshot()));
    const key = JSON.stringify(view);
    this.checkCount += 1;
    if (!this.busy && key === this.lastView && this.checkCount % RECONCILE_EVERY_CHECKS !== 0) {
      return;
    }
    this.lastView = key;
    await this.reconcile(view);
  }

  /**
   * Starts looking at liveness afresh. Nodes without a lease are unknown until a session after
   * Redis last lost its keys (the marker's age): a new controller in a cluster whose Redis kept
   * them takes a node whose lease expired for dead at once, so a controller that dies with a
   * leader costs no more than a session.
   */
  private startRun(marker: string | null): void {
    const { clock, sessionMs } = this.options;
    this.aliveSince.clear();
    this.seen.clear();
    this.lastView = '';
    const sinceLossMs = Math.min(memoryMarkerAgeMs(marker, clock.nowMs()), sessionMs);
    this.runStartedMs = clock.monotonicMs() - sinceLossMs;
  }

  /** The registered nodes, and in one read the holders of their leases and the controller's. */
  private async leaseSnapshot(): Promise<{
    brokers: RegisteredBroker[];
    holders: (string | null)[];
    controller: string | null;
    /** Redis's memory marker (see redis-memory.ts). */
    marker: string | null;
  }> {
    const { coordinator, metadata } = this.options;
    const brokers = await metadata.cluster.brokers();
    const [controller, marker, ...holders] = await coordinator.leaseHolders([
      CONTROLLER_LEASE,
      REDIS_MEMORY_MARKER,
      ...brokers.map((b) => brokerLease(b.id)),
    ]);
    return { brokers, holders, controller: controller ?? null, marker: marker ?? null };
  }

  /**
   * Registered nodes whose lease is held by their current incarnation are alive; within a
   * session of the run's start, those not seen alive in it are unknown. Of the alive, those
   * that may lead (neither shutting down nor draining); and the nodes draining.
   */
  private clusterView(snapshot: Awaited<ReturnType<Controller['leaseSnapshot']>>): ClusterView {
    const { brokers, holders } = snapshot;
    const live = brokers.filter((b, i) => holders[i] === b.incarnation);
    const nowMs = this.options.clock.monotonicMs();
    for (const { id } of live) {
      if (!this.aliveSince.has(id)) this.aliveSince.set(id, nowMs);
      this.seen.add(id);
    }
    const alive = live.map((b) => b.id);
    for (const id of this.aliveSince.keys()) if (!alive.includes(id)) this.aliveSince.delete(id);
    const unknown =
      nowMs - this.runStartedMs < this.options.sessionMs
        ? brokers.filter((b) => !this.seen.has(b.id)).map((b) => b.id)
        : [];
    return {
      alive,
      unknown,
      eligible: live.filter((b) => b.state === 'active').map((b) => b.id),
      draining: brokers.filter((b) => b.state === 'draining').map((b) => b.id),
    };
  }

  private async reconcile(view: ClusterView): Promise<void> {
    const { metadata, coordinator, clock, sessionMs, logger } = this.options;
    const epoch = this.epoch;
    if (epoch === undefined) return;
    const nowMs = clock.monotonicMs();
    const alive = new Set(view.alive);
    const rows = await metadata.partitions.listAll();
    const nodes: LiveNodes = {
      alive,
      // A node back for less than a session may be restarting in a loop: not yet its partitions.
      settled: new Set(view.alive.filter((id) => nowMs - this.aliveSince.get(id)! >= sessionMs)),
      unknown: new Set(view.unknown),
      eligible: new Set(view.eligible),
      draining: new Set(view.draining),
      replacement: leastLoaded(rows, view.eligible),
      autoPreferredLeader: this.options.autoLeaderRebalance ?? true,
    };
    // Work under way (a node shutting down or draining, a reassignment) is looked at again at
    // the next check, not only when liveness changes.
    this.busy =
      view.eligible.length < view.alive.length || rows.some((row) => row.targetReplicas.length > 0);
    let changed = 0;
    for (const row of rows) {
      const decision = decide(row, nodes);
      if (decision === undefined) continue;
      const { reason, ...change } = decision;
      const result = await metadata.partitions.compareAndSet(
        row.topicId,
        row.partition,
        row.version,
        change,
        { controllerEpoch: epoch },
      );
      if (result === 'fenced') {
        logger.warn({ controllerEpoch: epoch }, 'a newer controller took over; standing down');
        this.epoch = undefined;
        break;
      }
      if (!result.applied) {
        this.busy = true; // changed meanwhile (an ISR change): the next round sees it
        continue;
      }
      changed += 1;
      this.busy = true; // one step may make room for the next
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

/**
 * Picks the node to take a draining node's replica: the one that may lead (alive, active)
 * holding the fewest replicas, counting the ones given out so far.
 */
function leastLoaded(
  rows: readonly PartitionState[],
  candidates: readonly number[],
): (exclude: readonly number[]) => number | undefined {
  const load = new Map(candidates.map((id) => [id, 0]));
  for (const row of rows) {
    for (const id of [...row.replicas, ...row.targetReplicas]) {
      if (load.has(id)) load.set(id, load.get(id)! + 1);
    }
  }
  return (exclude) => {
    let best: number | undefined;
    for (const [id, count] of load) {
      if (exclude.includes(id)) continue;
      if (best === undefined || count < load.get(best)! || (count === load.get(best)! && id < best))
        best = id;
    }
    if (best !== undefined) load.set(best, load.get(best)! + 1);
    return best;
  };
}

/** The controller's node id from its lease's holder ("<node>:<incarnation>"), or null. */
export function controllerNode(holder: string | null): number | null {
  if (holder === null) return null;
  const id = Number(holder.split(':')[0]);
  return Number.isInteger(id) ? id : null;
}
