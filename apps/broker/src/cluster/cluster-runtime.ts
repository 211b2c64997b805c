// What makes a node part of a cluster (of one, standalone): its broker session, the node
// directory, the internal RPC listener (with REDIS_URL set: other nodes can only find this one
// through shared coordination), the controller, the metadata sync, and the leader's periodic
// ISR check. Built in two steps: `prepare` before the partitions are hosted (they need the
// session and the directory), `start` once the gateway listens (the registry needs its port).
import { createHash, timingSafeEqual } from 'node:crypto';
import { BrokerError, type Clock, type NodeConfig } from '@tributary/common';
import { type Coordinator } from '@tributary/coordination';
import { type ClusterIdentity, type MetadataStore } from '@tributary/metadata';
import {
  type AlterIsr,
  type PartitionManager,
  RpcServer,
  serveBroker,
} from '@tributary/partitions';
import { type Logger } from 'pino';
import { BrokerSession } from './broker-session';
import { NodeClusterOperations } from './cluster-operations';
import { Controller } from './controller';
import { MetadataSync } from './metadata-sync';
import { NodeDirectory } from './node-directory';
import { type PartitionHosting } from './partition-hosting';

export interface ClusterParts {
  config: NodeConfig;
  metadata: MetadataStore;
  coordinator: Coordinator;
  identity: ClusterIdentity;
  clock: Clock;
  logger: Logger;
}

interface Hello {
  nodeId: number;
  clusterId: string;
  secret: string;
}

/**
 * With in-process coordination the node is alone and its notifications cannot be lost, so the
 * safety polls that catch a lost one (the directory's, the metadata version's) run rarely, and
 * the controller checks only as often as keeping its lease needs; it still checks on every
 * `brokers` notification. Each of those polls is a query of the embedded database, run on the
 * event loop: several a second showed in the live path's tail latency.
 */
export const IN_PROCESS_SAFETY_POLL_MS = 30_000;

export class ClusterRuntime {
  readonly session: BrokerSession;
  readonly directory: NodeDirectory;
  readonly operations: NodeClusterOperations;
  private rpc: RpcServer | undefined;
  private controller: Controller | undefined;
  private sync: MetadataSync | undefined;
  private isrTimer: NodeJS.Timeout | undefined;
  private hosting: PartitionHosting | undefined;

  constructor(
    private readonly parts: ClusterParts,
    partitions: () => PartitionManager,
  ) {
    const { config, metadata, coordinator, identity, clock, logger } = parts;
    this.session = new BrokerSession({
      nodeId: config.nodeId,
      host: config.advertisedHost,
      port: 0,
      rpcPort: 0,
      kafkaPort: 0,
      sessionMs: config.brokerSessionMs,
      coordinator,
      metadata,
      clock,
      logger,
      afterLapse: () => this.sync?.catchUp() ?? Promise.resolve(),
    });
    const hello: Hello = {
      nodeId: config.nodeId,
      clusterId: identity.clusterId,
      secret: identity.rpcSecret,
    };
    this.directory = new NodeDirectory({
      nodeId: config.nodeId,
      sessionMs: config.brokerSessionMs,
      clock,
      clusterId: identity.clusterId,
      get local() {
        return partitions();
      },
      metadata,
      coordinator,
      hello: () => hello,
      logger,
      ...(this.alone ? { refreshIntervalMs: IN_PROCESS_SAFETY_POLL_MS } : {}),
    });
    this.operations = new NodeClusterOperations({ metadata, coordinator, view: this.directory });
  }

  /** With in-process coordination the node is alone: a cluster of one, in one process. */
  private get alone(): boolean {
    return this.parts.coordinator.kind === 'in-process';
  }

  /** A node alone has no other node to take its place: its session is always valid. */
  sessionValid(): boolean {
    return this.alone || this.session.valid();
  }

  /** The leader's ISR change, a compare-and-set on the partition's row. */
  readonly alterIsr: AlterIsr = async (tp, change) => {
    const { metadata, config } = this.parts;
    const row = metadata.cache.partition(tp.topicId, tp.partition);
    if (row === undefined) {
      throw new BrokerError('UNKNOWN_TOPIC_OR_PARTITION', `partition ${tp.partition} is gone`);
    }
    const result = await metadata.partitions.compareAndSet(
      tp.topicId,
      tp.partition,
      change.expectedVersion,
      {
        leader: config.nodeId,
        leaderEpoch: change.leaderEpoch,
        replicas: row.replicas,
        isr: change.isr,
      },
    );
    const state = result.applied ? result.partition : result.current;
    const { leader, leaderEpoch, replicas, isr, version } = state;
    return { leader, leaderEpoch, replicas, isr, version };
  };

  /** Listens for the other nodes' calls (cluster nodes only); returns the port. */
  async listen(partitions: PartitionManager): Promise<number> {
    const { config, identity, logger } = this.parts;
    if (config.redisUrl === undefined) return 0;
    this.rpc = await RpcServer.listen({
      host: config.host,
      port: config.rpcPort,
      hello: (header) => checkHello(header, identity),
      handle: serveBroker(partitions),
      onUnexpected: (error) => logger.error({ err: error }, 'unexpected error in an rpc call'),
    });
    return this.rpc.port;
  }

  /** Joins: registers with the node's ports, then runs the directory, sync and controller. */
  async start(options: {
    hosting: PartitionHosting;
    partitions: PartitionManager;
    port: number;
    rpcPort: number;
  }): Promise<void> {
    const { config, metadata, coordinator, clock, logger } = this.parts;
    this.hosting = options.hosting;
    this.session.setPorts(options.port, config.advertisedRpcPort ?? options.rpcPort);
    await this.session.start();
    await this.directory.start();
    this.sync = new MetadataSync({
      metadata,
      coordinator,
      hosting: options.hosting,
      logger,
      ...(this.alone ? { intervalMs: IN_PROCESS_SAFETY_POLL_MS } : {}),
    });
    await this.sync.start();
    this.controller = new Controller({
      nodeId: config.nodeId,
      incarnation: this.session.incarnation,
      sessionMs: config.brokerSessionMs,
      coordinator,
      metadata,
      clock,
      logger,
      autoLeaderRebalance: config.autoLeaderRebalance,
      // Its lease lasts a session: renewed three times in one.
      ...(this.alone ? { checkIntervalMs: Math.floor(config.brokerSessionMs / 3) } : {}),
    });
    this.controller.start();
    const { partitions } = options;
    this.isrTimer = setInterval(
      () => void partitions.checkIsr(),
      Math.max(50, Math.floor(config.replicaLagMs / 2)),
    );
    this.isrTimer.unref();
  }

  /**
   * Controlled shutdown: marks this node `shutting-down`, so the controller hands every
   * partition it leads to another in-sync replica, and waits (at most `timeoutMs`) until it
   * leads none that another live in-sync replica could take. Writes parked on acks=all here
   * outlive the move (they complete from the new leader's high watermark); new ones are
   * refused as not led here and sent on by the routing client. A node alone, or cut off from
   * its cluster, stops at once.
   */
  async moveLeadershipsAway(partitions: PartitionManager, timeoutMs: number): Promise<void> {
    const { metadata, coordinator, config, logger } = this.parts;
    if (this.alone || this.controller === undefined || timeoutMs <= 0) return;
    const startedMs = performance.now();
    const waiting = () => {
      const alive = new Set(
        this.directory
          .nodes()
          .filter((n) => n.alive)
          .map((n) => n.id),
      );
      return partitions
        .partitions()
        .filter(
          (p) => p.isLeader && p.assignment.isr.some((id) => id !== config.nodeId && alive.has(id)),
        ).length;
    };
    try {
      if (!this.session.valid() || waiting() === 0) return;
      await metadata.cluster.setBrokerState(config.nodeId, 'shutting-down');
      await coordinator.notifyCluster('brokers');
      this.controller.poke();
      // Bounded: at most timeoutMs, looking every 20 ms (the moves arrive by notification);
      // then the writes parked here finish, from the new leaders' high watermarks, while this
      // node still follows them.
      const until = async (done: () => boolean) => {
        while (!done() && performance.now() - startedMs < timeoutMs) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      };
      await until(() => waiting() === 0);
      await until(() => partitions.pendingAcks === 0);
      const left = waiting();
      const ms = Math.round(performance.now() - startedMs);
      if (left === 0) logger.info({ ms }, 'controlled shutdown: leaderships moved away');
      else logger.warn({ ms, partitions: left }, 'controlled shutdown: leaderships left here');
    } catch (error) {
      logger.warn({ err: error }, 'controlled shutdown failed; stopping anyway');
    }
  }

  async close(): Promise<void> {
    clearInterval(this.isrTimer);
    await this.controller?.close();
    await this.sync?.close();
    // The lease goes first: the controller moves this node's leaderships at once.
    await this.session.close();
    this.directory.close();
    await this.rpc?.close();
  }
}

function checkHello(header: unknown, identity: ClusterIdentity): void {
  const hello = header as Partial<Hello> | null;
  // Compared as digests, in constant time: the secret's length leaks nothing either.
  const digest = (text: string) => createHash('sha256').update(text).digest();
  if (
    typeof hello?.clusterId !== 'string' ||
    typeof hello.secret !== 'string' ||
    hello.clusterId !== identity.clusterId ||
    !timingSafeEqual(digest(hello.secret), digest(identity.rpcSecret))
  ) {
    throw new BrokerError('UNAUTHENTICATED', 'not a node of this cluster');
  }
}
