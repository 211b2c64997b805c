// The cluster's own rows: its identity and RPC secret (made by the first node to start), the
// node registry, the controller epoch, and the metadata version nodes compare to know when to
// reload. A node becomes controller by bumping the epoch (a compare-and-set no other node can
// win at the same time); every partition write it makes afterwards is fenced by that epoch.
import { randomBytes, randomUUID } from 'node:crypto';
import { assert } from '@tributary/common';
import { type PrismaClient } from './generated/prisma/client';
import { safeNumber } from './rows';

export interface ClusterIdentity {
  readonly clusterId: string;
  /** What nodes prove to each other on the internal RPC. */
  readonly rpcSecret: string;
}

export interface BrokerRegistration {
  readonly id: number;
  readonly host: string;
  readonly port: number;
  readonly rpcPort: number;
  readonly kafkaPort: number;
  /** A new uuid at every start of the node. */
  readonly incarnation: string;
}

/**
 * What a node is doing, as its own shutdown and the operator set it: `shutting-down` nodes
 * lead nothing (the controller moves their leaderships away before they stop); `draining`
 * nodes lead nothing and hold nothing (every replica moves to other nodes, so the node can be
 * removed). A restart ends `shutting-down`; only the operator ends `draining`.
 */
export type BrokerState = 'active' | 'shutting-down' | 'draining';

export const BROKER_STATES: readonly BrokerState[] = ['active', 'shutting-down', 'draining'];

export interface RegisteredBroker extends BrokerRegistration {
  readonly state: BrokerState;
}

export interface ControllerState {
  readonly epoch: number;
  /** The node that last became controller; -1 before any did. */
  readonly controllerId: number;
}

const ROW = 1;

export class ClusterRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** The cluster's identity: the first node to ask creates it, everyone else reads it. */
  async identity(): Promise<ClusterIdentity> {
    await this.prisma.cluster.createMany({
      data: [{ id: ROW, clusterId: randomUUID(), rpcSecret: randomBytes(32).toString('hex') }],
      skipDuplicates: true,
    });
    const row = await this.prisma.cluster.findUniqueOrThrow({ where: { id: ROW } });
    return { clusterId: row.clusterId, rpcSecret: row.rpcSecret };
  }

  async registerBroker(broker: BrokerRegistration): Promise<void> {
    assert(Number.isInteger(broker.id) && broker.id > 0, () => `bad node id ${broker.id}`);
    const { id, ...fields } = broker;
    await this.prisma.$transaction([
      this.prisma.broker.upsert({
        where: { id },
        create: { id, ...fields },
        update: { ...fields, registeredAt: new Date() },
      }),
      // A shutdown ends with the restart; a drain goes on until the operator ends it.
      this.prisma.broker.updateMany({
        where: { id, state: 'shutting-down' },
        data: { state: 'active' },
      }),
    ]);
  }

  async brokers(): Promise<RegisteredBroker[]> {
    const rows = await this.prisma.broker.findMany({ orderBy: { id: 'asc' } });
    return rows.map((row) => ({
      id: row.id,
      host: row.host,
      port: row.port,
      rpcPort: row.rpcPort,
      kafkaPort: row.kafkaPort,
      incarnation: row.incarnation,
      state: toBrokerState(row.state),
    }));
  }

  /** Sets a registered node's state; false when no node has that id. */
  async setBrokerState(id: number, state: BrokerState): Promise<boolean> {
    const { count } = await this.prisma.broker.updateMany({ where: { id }, data: { state } });
    return count > 0;
  }

  /** Removes a node from the registry; false when no node has that id. */
  async removeBroker(id: number): Promise<boolean> {
    const { count } = await this.prisma.broker.deleteMany({ where: { id } });
    return count > 0;
  }

  async controller(): Promise<ControllerState> {
    const row = await this.prisma.cluster.findUniqueOrThrow({ where: { id: ROW } });
    return { epoch: row.controllerEpoch, controllerId: row.controllerId };
  }

  /**
   * Makes `nodeId` the controller in a new epoch, provided the epoch is still `seenEpoch` (so
   * of two nodes racing, one wins); returns the new epoch, or undefined when another node
   * moved it first.
   */
  async becomeController(nodeId: number, seenEpoch: number): Promise<number | undefined> {
    const [row] = await this.prisma.cluster.updateManyAndReturn({
      where: { id: ROW, controllerEpoch: seenEpoch },
      data: { controllerEpoch: seenEpoch + 1, controllerId: nodeId },
    });
    return row?.controllerEpoch;
  }

  /** Bumped by every change to tenants, keys, topics and partitions. */
  async metadataVersion(): Promise<number> {
    const row = await this.prisma.metadataVersion.findUniqueOrThrow({ where: { id: ROW } });
    return safeNumber(row.version, 'metadata version');
  }
}

function toBrokerState(value: string): BrokerState {
  assert((BROKER_STATES as readonly string[]).includes(value), () => `bad node state ${value}`);
  return value as BrokerState;
}
