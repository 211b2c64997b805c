// A node: the data dir (locked), the operator token, the metadata store (embedded PGlite, or
// Postgres with DATABASE_URL), coordination (this process, or Redis with REDIS_URL), the
// partition logs, the broker core, its place in the cluster (a cluster of one when standalone)
// and the gateway on one HTTP port, which reaches every partition through its leader.
// close() drains: leaderships handed to other replicas (controlled shutdown), no new
// connections, parked long-polls answered, requests in flight finished
// (within a bound), the broker lease given up (so leaderships move at once), logs flushed,
// everything closed in reverse order.
import * as fsp from 'node:fs/promises';
import { type AddressInfo } from 'node:net';
import * as path from 'node:path';
import { type Clock, type NodeConfig, systemClock } from '@tributary/common';
import { type Coordinator, InProcessCoordinator, RedisCoordinator } from '@tributary/coordination';
import { hashSecret, MetadataStore } from '@tributary/metadata';
import { PartitionManager, RoutingBrokerClient } from '@tributary/partitions';
import { DiskFileSystem, lockDataDir, LogManager } from '@tributary/storage';
import { type Logger } from 'pino';
import { createGateway, type Gateway, newKeySecret, type WsLimits } from '../../gateway/src/index';
import { DEFAULT_KEY_FILE, loadAdminToken, writeSecretFile } from './admin-token';
import { ClusterRuntime } from './cluster/cluster-runtime';
import { PartitionHosting } from './cluster/partition-hosting';

export interface NodeOptions {
  logger: Logger;
  clock?: Clock;
  /** Postgres only: use this schema (tests give each node its own). */
  databaseSchema?: string;
  /** Called on a bug (assertion failure) inside a request. */
  onFatal?: (error: unknown) => void;
  /** How long close() lets requests in flight finish. */
  drainTimeoutMs?: number;
  /** WebSocket bounds (tests shorten them). */
  wsLimits?: Partial<WsLimits>;
  /** LogManager timers (tests shorten them). */
  retentionCheckIntervalMs?: number;
}

export interface RunningNode {
  readonly url: string;
  readonly port: number;
  readonly adminToken: string;
  readonly metadata: MetadataStore;
  readonly partitions: PartitionManager;
  readonly gateway: Gateway;
  close(): Promise<void>;
}

export async function startNode(config: NodeConfig, options: NodeOptions): Promise<RunningNode> {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const dataDir = path.resolve(config.dataDir);
  await fsp.mkdir(dataDir, { recursive: true });
  const cleanups: (() => Promise<void>)[] = [];
  const unwind = async () => {
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((err: unknown) => logger.error({ err }, 'close failed'));
  };
  try {
    cleanups.push(await lockDataDir(new DiskFileSystem(), dataDir));
    const admin = await loadAdminToken(dataDir, config.adminToken);
    if (admin.generated)
      logger.info({ path: admin.file }, 'generated the operator token; read it from this file');
    else if (admin.file !== undefined)
      logger.info({ path: admin.file }, 'operator token read from file');

    const metadata = await MetadataStore.open({
      dataDir,
      ...(config.databaseUrl === undefined ? {} : { databaseUrl: config.databaseUrl }),
      ...(options.databaseSchema === undefined ? {} : { schema: options.databaseSchema }),
      clock,
    });
    cleanups.push(() => metadata.close());
    logger.info({ metadata: metadata.kind }, 'metadata ready');

    if (admin.generated && metadata.cache.tenants().length === 0) {
      const file = await createDefaultTenant(metadata, dataDir);
      logger.info({ path: file }, 'created tenant "default"; its API key is in this file');
    }

    const coordinator = openCoordinator(config, clock);
    cleanups.push(() => coordinator.close());
    logger.info({ coordination: coordinator.kind }, 'coordination ready');
    const identity = await metadata.cluster.identity();

    const logs = await LogManager.open({
      dataDir: path.join(dataDir, 'logs'),
      clock,
      onLoaded: (log, stats) => {
        if (stats.cut === undefined) return;
        // A replica fetches what was cut from its leader again; a leader has lost it.
        logger.warn(
          { log, ...stats, cut: undefined, ...stats.cut },
          'log cut at a bad batch or gap on load; what followed is dropped',
        );
      },
      ...(options.retentionCheckIntervalMs === undefined
        ? {}
        : { retentionCheckIntervalMs: options.retentionCheckIntervalMs }),
    });
    cleanups.push(() => logs.close());
    const cluster: ClusterRuntime = new ClusterRuntime(
      { config, metadata, coordinator, identity, clock, logger },
      () => partitions,
    );
    const partitions: PartitionManager = new PartitionManager({
      logs,
      nodeId: config.nodeId,
      clock,
      alterIsr: cluster.alterIsr,
      replicaLagMs: config.replicaLagMs,
      sessionValid: () => cluster.sessionValid(),
      onRoleChange: (partition) => {
        const { leader, leaderEpoch, isr } = partition.assignment;
        logger.info(
          {
            ...partition.tp,
            role: partition.isLeader ? 'leader' : 'follower',
            leader,
            leaderEpoch,
            isr,
          },
          'partition role',
        );
      },
      fetcher: {
        endpoint: (leaderId) => cluster.directory.endpoint(leaderId),
        onError: (err, leaderId) => logger.debug({ err, leaderId }, 'replica fetch failed'),
      },
    });
    cleanups.push(() => partitions.close());
    const hosting = new PartitionHosting(partitions, logs, metadata, logger);
    const hostedCount = await hostAllTimed(hosting, logger);
    // A reload after an outage may bring changes whose answers the outage lost (a topic
    // created or deleted): the hosted partitions follow it.
    metadata.onReloaded(() => {
      logger.info('metadata reloaded after an outage');
      hostAllTimed(hosting, logger).catch((err: unknown) =>
        logger.error({ err }, 'hosting the reloaded metadata failed'),
      );
    });
    const rpcPort = await cluster.listen(partitions);
    cleanups.push(() => cluster.close());

    const gateway = await createGateway(
      {
        metadata,
        broker: new RoutingBrokerClient(cluster.directory),
        coordinator,
        hosting,
        cluster: cluster.directory,
        operations: cluster.operations,
        allowedOrigins: config.allowedOrigins,
        ...(options.wsLimits === undefined ? {} : { wsLimits: options.wsLimits }),
        nodeId: config.nodeId,
        adminToken: admin.token,
        clock,
        logger,
        readiness: async () => ({
          storage: await writable(logs.dataDir),
          coordination: await coordinator.ping().then(
            () => true,
            () => false,
          ),
        }),
      },
      options.onFatal === undefined ? {} : { onFatal: options.onFatal },
    );
    cleanups.push(() => gateway.app.close());

    const server = gateway.app.getHttpServer();
    server.keepAliveTimeout = 65_000;
    await gateway.app.listen(config.port, config.host);
    const port = (server.address() as AddressInfo).port;
    await cluster.start({ hosting, partitions, port, rpcPort });
    const url = `http://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host}:${port}`;
    logger.info({ url, partitions: hostedCount, dataDir }, 'tributary is ready');

    let closing: Promise<void> | undefined;
    const close = () => {
      closing ??= (async () => {
        logger.info('draining');
        // Leaderships first, while this node still serves: writers see a short wait, no error.
        await cluster.moveLeadershipsAway(partitions, config.shutdownTimeoutMs);
        gateway.drain();
        await drainServer(server, options.drainTimeoutMs ?? 10_000);
        await unwind();
        logger.info('stopped');
      })();
      return closing;
    };
    return { url, port, adminToken: admin.token, metadata, partitions, gateway, close };
  } catch (error) {
    await unwind();
    throw error;
  }
}

/** Redis when REDIS_URL is set (a cluster), else this process (standalone only). */
function openCoordinator(config: NodeConfig, clock: Clock): Coordinator {
  if (config.redisUrl === undefined) return new InProcessCoordinator({ clock });
  return new RedisCoordinator({ url: config.redisUrl, keyPrefix: config.redisKeyPrefix });
}

/**
 * A fresh node without a configured operator token is someone trying Tributary: give them a
 * tenant and a key to start with (DATA_DIR/default-key, mode 0600), so the quickstart needs
 * no administration. The operator can delete it like any tenant.
 */
async function createDefaultTenant(metadata: MetadataStore, dataDir: string): Promise<string> {
  const tenant = await metadata.tenants.create({ name: 'default' });
  const secret = newKeySecret();
  await metadata.apiKeys.create({
    tenantId: tenant.id,
    name: 'default',
    secretHash: hashSecret(secret),
  });
  await metadata.audit.append({
    actor: 'node',
    action: 'tenant.create',
    target: 'tenant/default',
    detail: null,
  });
  const file = path.join(dataDir, DEFAULT_KEY_FILE);
  await writeSecretFile(file, secret);
  return file;
}

/** Storage is ready while a file can be written in the log directory (a probe, removed). */
async function writable(dir: string): Promise<boolean> {
  const probe = path.join(dir, '.ready-probe');
  try {
    await fsp.writeFile(probe, '');
    await fsp.rm(probe);
    return true;
  } catch {
    return false;
  }
}

async function hostAllTimed(hosting: PartitionHosting, logger: Logger): Promise<number> {
  const startedMs = performance.now();
  const count = await hosting.sync();
  logger.info(
    { partitions: count, ms: Math.round(performance.now() - startedMs) },
    'partitions recovered',
  );
  return count;
}

/**
 * Stops accepting connections and waits for requests in flight, at most `timeoutMs`. Every
 * answer from now on says `Connection: close`, and connections are closed as soon as they are
 * idle, so a client that keeps one busy moves to another node instead of holding this one up.
 */
function drainServer(server: import('node:http').Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    server.prependListener('request', (_req, res) => {
      res.shouldKeepAlive = false;
    });
    const idle = setInterval(() => server.closeIdleConnections(), 50);
    const timer = setTimeout(() => {
      server.closeAllConnections();
    }, timeoutMs);
    server.close(() => {
      clearTimeout(timer);
      clearInterval(idle);
      resolve();
    });
    server.closeIdleConnections();
  });
}
