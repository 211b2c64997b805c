// The other nodes as this node knows them: their registry rows, whether each is alive (its
// lease held by its current incarnation), who the controller is, and one RPC client per node,
// made on first use and remade when a node comes back at another address. It answers the
// routing client's two questions (who leads this partition, how to reach that node), the
// followers' (how to reach a leader), and the gateway's view of the cluster.
//
// A missing lease is taken as proof of death only when Redis can be trusted to remember it.
// A marker key without expiry (a lease held for a year by whoever finds it missing) tells: when
// it is missing or another one, Redis lost its keys (flushed, restarted empty, failed over), and
// for a session after that a node that was alive and has no lease at all stays alive here (its
// calls are neither cut nor refused) while every node renews.
import { BrokerError, type Clock } from '@tributary/common';
import { type Coordinator } from '@tributary/coordination';
import { type MetadataStore, type RegisteredBroker } from '@tributary/metadata';
import {
  type BrokerClient,
  type LeaderDirectory,
  type LeaderEndpoint,
  type PartitionManager,
  RemoteBroker,
  RpcClient,
  type TopicPartition,
} from '@tributary/partitions';
import { type Logger } from 'pino';
import { type ClusterNode, type ClusterView } from '../../../gateway/src/index';
import { brokerLease } from './broker-session';
import { Coalesced } from './coalesced';
import { CONTROLLER_LEASE, controllerNode } from './controller';
import { newMemoryMarker, REDIS_MEMORY_MARKER, REDIS_MEMORY_MARKER_TTL_MS } from './redis-memory';

export interface NodeDirectoryOptions {
  nodeId: number;
  sessionMs: number;
  clock: Clock;
  clusterId: string;
  local: PartitionManager;
  metadata: MetadataStore;
  coordinator: Coordinator;
  /** The hello this node opens its RPC connections with. */
  hello: () => unknown;
  logger: Logger;
  refreshIntervalMs?: number;
}

interface Remote {
  address: string;
  rpc: RpcClient;
  broker: RemoteBroker;
}

export class NodeDirectory implements LeaderDirectory, ClusterView {
  private registered: RegisteredBroker[] = [];
  private alive = new Set<number>();
  private controllerId: number | null = null;
  private readonly remotes = new Map<number, Remote>();
  private timer: NodeJS.Timeout | undefined;
  private stopWatching: (() => void) | undefined;
  private readonly refreshes = new Coalesced(() => this.refreshNow());
  /** When this node last found that Redis lost its keys (monotonic ms). */
  private forgottenAtMs = -Infinity;
  /** The memory marker as last read (undefined: not yet known). */
  private marker: string | undefined;

  constructor(private readonly options: NodeDirectoryOptions) {}

  get clusterId(): string {
    return this.options.clusterId;
  }

  async start(): Promise<void> {
    await this.refresh();
    this.stopWatching = this.options.coordinator.watchCluster('brokers', () => void this.refresh());
    this.timer = setInterval(() => void this.refresh(), this.options.refreshIntervalMs ?? 1_000);
    this.timer.unref();
  }

  /** Re-reads the registry and the leases (once more after the read under way, if one is). */
  refresh(): Promise<void> {
    return this.refreshes.run();
  }

  private async refreshNow(): Promise<void> {
    try {
      const { metadata, coordinator } = this.options;
      const registered = await metadata.cluster.brokers();
      const [marker, controller, ...leases] = await coordinator.leaseHolders([
        REDIS_MEMORY_MARKER,
        CONTROLLER_LEASE,
        ...registered.map((b) => brokerLease(b.id)),
      ]);
      await this.checkMemory(marker ?? null);
      this.registered = registered;
      this.controllerId = controllerNode(controller ?? null);
      this.alive = this.liveNodes(registered, leases);
      // Calls waiting on a node whose session ended would wait out their deadlines: end them.
      for (const [id, remote] of this.remotes) {
        if (this.alive.has(id)) continue;
        remote.rpc.close();
        this.remotes.delete(id);
      }
    } catch (error) {
      this.options.logger.warn({ err: error }, 'could not refresh the node directory');
    }
  }

  /** Notes a loss of Redis's keys (the marker gone or replaced), and sets the marker again. */
  private async checkMemory(marker: string | null): Promise<void> {
    if (marker !== null && marker === this.marker) return;
    if (marker === null || this.marker !== undefined) {
      this.forgottenAtMs = this.options.clock.monotonicMs();
    }
    if (marker !== null) {
      this.marker = marker;
      return;
    }
    const mine = newMemoryMarker(this.options.clock.nowMs());
    const { coordinator } = this.options;
    const set = await coordinator.acquireLease(
      REDIS_MEMORY_MARKER,
      mine,
      REDIS_MEMORY_MARKER_TTL_MS,
    );
    // Another node set it first: the next read learns its value.
    this.marker = set ? mine : undefined;
  }

  private liveNodes(registered: RegisteredBroker[], holders: (string | null)[]): Set<number> {
    const { sessionMs, clock } = this.options;
    const forgetting = clock.monotonicMs() - this.forgottenAtMs < sessionMs;
    const alive = new Set<number>();
    registered.forEach((b, i) => {
      const holder = holders[i] ?? null;
      if (holder === b.incarnation || (holder === null && forgetting && this.alive.has(b.id))) {
        alive.add(b.id);
      }
    });
    return alive;
  }

  // ---- ClusterView ----

  controller(): number | null {
    return this.controllerId;
  }

  nodes(): readonly ClusterNode[] {
    return this.registered.map((b) => ({
      id: b.id,
      host: b.host,
      port: b.port,
      rpcPort: b.rpcPort,
      alive: this.alive.has(b.id),
      state: b.state,
    }));
  }

  // ---- LeaderDirectory ----

  leaderOf(tp: TopicPartition): number | undefined {
    const { cache } = this.options.metadata;
    const topic = cache.topic(tp.topicId);
    if (topic === undefined || topic.tenantId !== tp.tenantId) return undefined;
    return cache.partition(tp.topicId, tp.partition)?.leader;
  }

  handedOver(nodeId: number): boolean {
    return this.registered.find((b) => b.id === nodeId)?.state === 'shutting-down';
  }

  brokerFor(nodeId: number): BrokerClient {
    return nodeId === this.options.nodeId ? this.options.local : this.remote(nodeId).broker;
  }

  /** How a follower here reaches its leader. */
  endpoint(leaderId: number): LeaderEndpoint {
    return this.remote(leaderId).broker;
  }

  private remote(nodeId: number): Remote {
    const row = this.registered.find((b) => b.id === nodeId);
    if (row === undefined || !this.alive.has(nodeId)) {
      throw new BrokerError(
        'NETWORK_EXCEPTION',
        `node ${nodeId} is not alive; its partitions move to other nodes within a session`,
      );
    }
    const address = `${row.host}:${row.rpcPort}`;
    const known = this.remotes.get(nodeId);
    if (known !== undefined && known.address === address) return known;
    known?.rpc.close();
    const rpc = new RpcClient({ host: row.host, port: row.rpcPort, hello: this.options.hello });
    const remote = { address, rpc, broker: new RemoteBroker(rpc) };
    this.remotes.set(nodeId, remote);
    return remote;
  }

  close(): void {
    clearInterval(this.timer);
    this.stopWatching?.();
    for (const { rpc } of this.remotes.values()) rpc.close();
    this.remotes.clear();
  }
}
