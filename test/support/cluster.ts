// A cluster of real node processes on loopback for cross-process tests: a Postgres database and
// a Redis key prefix of its own (both removed afterwards), a data dir per node, HTTP and RPC on
// free ports. Nodes can be killed (SIGKILL), paused (SIGSTOP) and resumed, and restarted on
// their data dir. Sessions and the replica lag are short, so failovers take seconds.
import { createWriteStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { waitUntil } from '@tributary/common';
import { createPostgresDatabase, type TestPostgresDatabase } from './postgres-database';
import { testRedis, type TestRedis } from './redis';
import {
  callService,
  type ServiceProcess,
  type ServiceReply,
  startService,
} from './service-process';

export const CLUSTER_ADMIN = 'cluster-test-operator-token';

export interface ClusterOptions {
  nodes?: number;
  sessionMs?: number;
  replicaLagMs?: number;
  /** More environment for every node. */
  env?: Record<string, string>;
  /** The Redis the nodes share (default: a key prefix of its own on the machine's Redis). */
  redis?: TestRedis;
}

export interface PartitionView {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  highWatermark: number;
}

export class TestCluster {
  readonly processes = new Map<number, ServiceProcess>();
  private readonly paused = new Set<number>();

  private constructor(
    readonly options: Required<Omit<ClusterOptions, 'redis'>>,
    readonly database: TestPostgresDatabase,
    readonly redis: TestRedis,
    readonly root: string,
  ) {}

  static async start(options: ClusterOptions = {}): Promise<TestCluster> {
    const { redis, ...rest } = options;
    const resolved = { nodes: 3, sessionMs: 2_000, replicaLagMs: 3_000, env: {}, ...rest };
    const database = await createPostgresDatabase();
    const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'tributary-cluster-'));
    const cluster = new TestCluster(resolved, database, redis ?? testRedis(), root);
    try {
      await Promise.all(Array.from({ length: resolved.nodes }, (_, i) => cluster.startNode(i + 1)));
      await cluster.untilAlive(cluster.ids());
    } catch (error) {
      await cluster.cleanup();
      throw error;
    }
    return cluster;
  }

  ids(): number[] {
    return Array.from({ length: this.options.nodes }, (_, i) => i + 1);
  }

  /** Starts (or restarts) node `id` on its data dir. */
  async startNode(id: number): Promise<ServiceProcess> {
    const node = await startService({
      ...process.env,
      TRIBUTARY_NODE_ID: String(id),
      DATA_DIR: path.join(this.root, `node-${id}`),
      PORT: '0',
      HOST: '127.0.0.1',
      TRIBUTARY_RPC_PORT: '0',
      TRIBUTARY_ADMIN_TOKEN: CLUSTER_ADMIN,
      DATABASE_URL: this.database.url,
      REDIS_URL: this.redis.url,
      TRIBUTARY_REDIS_PREFIX: this.redis.keyPrefix,
      TRIBUTARY_BROKER_SESSION_MS: String(this.options.sessionMs),
      TRIBUTARY_REPLICA_LAG_MS: String(this.options.replicaLagMs),
      TRIBUTARY_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info',
      ...this.options.env,
    });
    this.processes.set(id, node);
    if (process.env.TEST_CLUSTER_LOGS !== undefined) {
      const out = createWriteStream(path.join(process.env.TEST_CLUSTER_LOGS, `node-${id}.log`), {
        flags: 'a',
      });
      node.proc.stdout.on('data', (chunk: Buffer) => out.write(chunk));
      node.proc.stderr.on('data', (chunk: Buffer) => out.write(chunk));
    }
    return node;
  }

  url(id: number): string {
    const node = this.processes.get(id);
    if (node === undefined) throw new Error(`node ${id} is not running`);
    return node.url;
  }

  /** Node ids whose process runs and is not paused. */
  running(): number[] {
    return [...this.processes.keys()].filter((id) => !this.paused.has(id)).sort();
  }

  async kill(id: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const node = this.processes.get(id);
    if (node === undefined) return;
    if (this.paused.has(id)) node.proc.kill('SIGCONT');
    this.paused.delete(id);
    node.proc.kill(signal);
    await node.exited;
    this.processes.delete(id);
  }

  pause(id: number): void {
    this.processes.get(id)?.proc.kill('SIGSTOP');
    this.paused.add(id);
  }

  resume(id: number): void {
    this.processes.get(id)?.proc.kill('SIGCONT');
    this.paused.delete(id);
  }

  call(
    id: number,
    method: string,
    route: string,
    token: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ServiceReply> {
    return callService(this.url(id), method, route, token, body, headers);
  }

  /** A tenant with an all-powerful key, made through node `via`; returns the key. */
  async tenant(name: string, via = this.running()[0]!): Promise<string> {
    const created = await this.call(via, 'POST', '/v1/admin/tenants', CLUSTER_ADMIN, { name });
    if (created.status !== 201) throw new Error(`tenant: ${JSON.stringify(created.body)}`);
    const key = await this.call(via, 'POST', `/v1/admin/tenants/${name}/keys`, CLUSTER_ADMIN, {
      name: 'all',
    });
    return key.body.key as string;
  }

  /** The topic's partitions as node `via` describes them. */
  async partitions(topic: string, key: string, via = this.running()[0]!): Promise<PartitionView[]> {
    const described = await this.call(via, 'GET', `/v1/topics/${topic}`, key);
    if (described.status !== 200) throw new Error(`describe: ${JSON.stringify(described.body)}`);
    return described.body.partitions as PartitionView[];
  }

  /**
   * Creates a topic through node `via` (min.insync.replicas 2, or 1 for a single replica, and
   * `configs`) and waits until every partition has a leader and all its replicas in sync.
   */
  async createTopic(
    key: string,
    name: string,
    partitions: number,
    replicationFactor: number,
    via = this.running()[0]!,
    configs: Record<string, string> = {},
  ): Promise<PartitionView[]> {
    const created = await this.call(via, 'POST', '/v1/topics', key, {
      name,
      partitions,
      replicationFactor,
      configs: { 'min.insync.replicas': String(Math.min(2, replicationFactor)), ...configs },
    });
    if (created.status !== 201) throw new Error(`create ${name}: ${JSON.stringify(created.body)}`);
    return this.untilPartitions(
      name,
      key,
      (ps) => ps.every((p) => p.leader > 0 && p.isr.length === replicationFactor),
      `${name} hosted with its ${replicationFactor} replicas in sync`,
    );
  }

  /** Waits until every running node's view shows `ids` alive. */
  async untilAlive(ids: number[], timeoutMs = 20_000): Promise<void> {
    const wanted = [...ids].sort().join();
    await waitUntil(
      async () => {
        for (const id of this.running()) {
          const view = await this.call(id, 'GET', '/v1/cluster', CLUSTER_ADMIN).catch(
            () => undefined,
          );
          const alive = (view?.body?.nodes ?? [])
            .filter((n: { status: string }) => n.status === 'alive')
            .map((n: { id: number }) => n.id)
            .sort()
            .join();
          if (alive !== wanted) return false;
        }
        return true;
      },
      `nodes ${wanted} alive in every view`,
      timeoutMs,
    );
  }

  /** Waits until `check` holds for the topic's partitions as a running node sees them. */
  async untilPartitions(
    topic: string,
    key: string,
    check: (partitions: PartitionView[]) => boolean,
    what: string,
    timeoutMs = 30_000,
    via?: number,
  ): Promise<PartitionView[]> {
    let last: PartitionView[] | string = 'nothing yet';
    try {
      await waitUntil(
        async () => {
          last = await this.partitions(topic, key, via).catch((error: unknown) => String(error));
          return typeof last !== 'string' && check(last);
        },
        what,
        timeoutMs,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message} (last seen: ${JSON.stringify(last)})`);
    }
    return last as unknown as PartitionView[];
  }

  /** Every record of a partition, read from its leader through node `via`: offset -> value. */
  async readAll(
    topic: string,
    partition: number,
    key: string,
    via?: number,
  ): Promise<Map<number, unknown>> {
    const records = new Map<number, unknown>();
    for (let offset = 0; ;) {
      const page = await this.call(
        via ?? this.running()[0]!,
        'GET',
        `/v1/topics/${topic}/partitions/${partition}/records?offset=${offset}&maxRecords=10000`,
        key,
      );
      if (page.status !== 200) throw new Error(`read: ${page.status} ${JSON.stringify(page.body)}`);
      if (page.body.records.length === 0) return records;
      for (const record of page.body.records) {
        records.set(record.offset, record.value);
        offset = record.offset + 1;
      }
    }
  }

  async cleanup(): Promise<void> {
    for (const id of [...this.processes.keys()]) await this.kill(id);
    await this.database.drop().catch(() => undefined);
    await this.redis.cleanup().catch(() => undefined);
    await fsp.rm(this.root, { recursive: true, force: true });
  }
}
