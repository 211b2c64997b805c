// The nodes of a chaos run: real node processes on loopback, each reaching Postgres, Redis and
// its peers through proxies that a fault can cut one at a time. Each node has
//   - its own proxy to Postgres and its own proxy to Redis (cut: that node alone loses it);
//   - a proxy in front of its RPC listener, whose port it advertises
//     (TRIBUTARY_ADVERTISED_RPC_PORT), so every peer reaches it through that proxy, which knows
//     each caller by its hello (see peer-proxy.ts): cutting a node from its peers stops its
//     calls to them and theirs to it.
// HTTP and RPC ports are fixed per node for the run, so a restarted node is where it was.
import { createWriteStream, type WriteStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { type CutMode, FaultProxy } from '../test/support/fault-proxy';
import { type ServiceProcess, startService } from '../test/support/service-process';
import { PeerProxy } from './peer-proxy';
import { freePort } from '../test/support/ports';
import { type ChaosPostgres, type ChaosRedis } from './services';

export const CHAOS_ADMIN = 'chaos-run-operator-token';
const REDIS_PREFIX = 'chaos:';

export interface NodeSettings {
  sessionMs: number;
  replicaLagMs: number;
  logDir: string;
}

export type NodeProxy = 'postgres' | 'redis';

interface NodeSlot {
  id: number;
  httpPort: number;
  rpcPort: number;
  dataDir: string;
  proxies: Record<NodeProxy, FaultProxy>;
  peers: PeerProxy;
  process: ServiceProcess | undefined;
  paused: boolean;
  log: WriteStream;
}

export class ChaosNodes {
  private readonly slots = new Map<number, NodeSlot>();

  private constructor(
    private readonly root: string,
    private readonly settings: NodeSettings,
    private readonly postgres: ChaosPostgres,
    private readonly redis: ChaosRedis,
  ) {}

  /** Makes the proxies and directories of `count` nodes (ids 1..count) and starts them all. */
  static async start(
    count: number,
    settings: NodeSettings,
    postgres: ChaosPostgres,
    redis: ChaosRedis,
  ): Promise<ChaosNodes> {
    const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'tributary-chaos-nodes-'));
    const nodes = new ChaosNodes(root, settings, postgres, redis);
    try {
      for (let id = 1; id <= count; id++) await nodes.prepare(id);
      // One at a time: the first start migrates the database.
      await nodes.startNode(1);
      await Promise.all(
        nodes
          .ids()
          .slice(1)
          .map((id) => nodes.startNode(id)),
      );
    } catch (error) {
      await nodes.close();
      throw error;
    }
    return nodes;
  }

  private async prepare(id: number): Promise<void> {
    const rpcPort = await freePort();
    const proxies: Record<NodeProxy, FaultProxy> = {
      postgres: await FaultProxy.start({ host: '127.0.0.1', port: this.postgres.port }),
      redis: await FaultProxy.start({ host: '127.0.0.1', port: this.redis.port }),
    };
    const peers = await PeerProxy.start({ host: '127.0.0.1', port: rpcPort });
    this.slots.set(id, {
      id,
      httpPort: await freePort(),
      rpcPort,
      dataDir: path.join(this.root, `node-${id}`),
      proxies,
      peers,
      process: undefined,
      paused: false,
      log: createWriteStream(path.join(this.settings.logDir, `node-${id}.log`), { flags: 'a' }),
    });
  }

  ids(): number[] {
    return [...this.slots.keys()].sort((a, b) => a - b);
  }

  private slot(id: number): NodeSlot {
    const slot = this.slots.get(id);
    if (slot === undefined) throw new Error(`no node ${id}`);
    return slot;
  }

  url(id: number): string {
    return `http://127.0.0.1:${this.slot(id).httpPort}`;
  }

  dataDir(id: number): string {
    return this.slot(id).dataDir;
  }

  isRunning(id: number): boolean {
    const slot = this.slot(id);
    return slot.process !== undefined && !slot.paused;
  }

  /** Starts node `id` on its data dir (fails after startService's bound if it never gets ready). */
  async startNode(id: number): Promise<void> {
    const slot = this.slot(id);
    if (slot.process !== undefined) throw new Error(`node ${id} is already running`);
    slot.log.write(`${JSON.stringify({ chaos: 'starting', node: id, at: new Date() })}\n`);
    const node = await startService({
      ...process.env,
      TRIBUTARY_NODE_ID: String(id),
      DATA_DIR: slot.dataDir,
      PORT: String(slot.httpPort),
      HOST: '127.0.0.1',
      TRIBUTARY_RPC_PORT: String(slot.rpcPort),
      TRIBUTARY_ADVERTISED_RPC_PORT: String(slot.peers.port),
      TRIBUTARY_ADMIN_TOKEN: CHAOS_ADMIN,
      DATABASE_URL: slot.proxies.postgres.rewrite(this.postgres.url),
      REDIS_URL: slot.proxies.redis.rewrite(this.redis.url),
      TRIBUTARY_REDIS_PREFIX: REDIS_PREFIX,
      TRIBUTARY_BROKER_SESSION_MS: String(this.settings.sessionMs),
      TRIBUTARY_REPLICA_LAG_MS: String(this.settings.replicaLagMs),
      TRIBUTARY_KAFKA_PORT: '0',
      TRIBUTARY_LOG_LEVEL: 'info',
    }).catch((error: unknown) => {
      slot.log.write(`${JSON.stringify({ chaos: 'start failed', error: String(error) })}\n`);
      throw error;
    });
    node.proc.stdout.on('data', (chunk: Buffer) => slot.log.write(chunk));
    node.proc.stderr.on('data', (chunk: Buffer) => slot.log.write(chunk));
    slot.process = node;
    slot.paused = false;
    void node.exited.then(() => {
      if (slot.process === node) slot.process = undefined;
    });
  }

  /** SIGKILL (or SIGTERM: a controlled shutdown); resolves once the process is gone. */
  async kill(id: number, signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL'): Promise<void> {
    const slot = this.slot(id);
    const node = slot.process;
    if (node === undefined) return;
    slot.log.write(`${JSON.stringify({ chaos: signal, node: id, at: new Date() })}\n`);
    node.proc.kill(signal);
    await node.exited;
    slot.process = undefined;
    slot.paused = false;
  }

  pause(id: number): void {
    const slot = this.slot(id);
    slot.log.write(`${JSON.stringify({ chaos: 'SIGSTOP', node: id, at: new Date() })}\n`);
    slot.process?.proc.kill('SIGSTOP');
    slot.paused = true;
  }

  resume(id: number): void {
    const slot = this.slot(id);
    slot.process?.proc.kill('SIGCONT');
    slot.paused = false;
    slot.log.write(`${JSON.stringify({ chaos: 'SIGCONT', node: id, at: new Date() })}\n`);
  }

  proxy(id: number, which: NodeProxy): FaultProxy {
    return this.slot(id).proxies[which];
  }

  /** Cuts node `id` from its peers, both ways (see peer-proxy.ts). */
  cutPeers(id: number, mode: CutMode): void {
    this.slot(id).peers.cut(mode);
    for (const other of this.slots.values()) if (other.id !== id) other.peers.block(id, mode);
  }

  restorePeers(id: number): void {
    this.slot(id).peers.restore();
    for (const other of this.slots.values()) if (other.id !== id) other.peers.unblock(id);
  }

  /** Notes an event in the node's log, so the log reads alongside the fault timeline. */
  note(id: number, what: string): void {
    this.slot(id).log.write(`${JSON.stringify({ chaos: what, node: id, at: new Date() })}\n`);
  }

  /** Kills every node, closes the proxies and removes the data dirs. */
  async close(): Promise<void> {
    for (const slot of this.slots.values()) {
      if (slot.paused) slot.process?.proc.kill('SIGCONT');
      await this.kill(slot.id);
      for (const proxy of [...Object.values(slot.proxies), slot.peers]) {
        await proxy.close().catch(() => undefined);
      }
      await new Promise<void>((resolve) => slot.log.end(() => resolve()));
    }
    await fsp.rm(this.root, { recursive: true, force: true });
  }
}
