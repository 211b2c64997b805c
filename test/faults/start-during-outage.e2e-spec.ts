// A node (npm start's process) started while Redis, or Postgres, does not answer: it says so,
// tries again every second instead of exiting, and is ready once the service is back. The
// services are reached through fault proxies; the shared servers are never touched.
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { waitUntil } from '@tributary/common';
import { FaultProxy } from '../support/fault-proxy';
import { createPostgresDatabase, type TestPostgresDatabase } from '../support/postgres-database';
import { TEST_REDIS_URL, testRedis, type TestRedis } from '../support/redis';
import { callService, type ServiceProcess, startService } from '../support/service-process';

const ADMIN = 'start-during-outage-operator-token';

describe('a node started during an outage', () => {
  let database: TestPostgresDatabase;
  let redis: TestRedis;
  let root: string;
  let node: ServiceProcess | undefined;

  beforeAll(async () => {
    database = await createPostgresDatabase();
    redis = testRedis();
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'tributary-start-outage-'));
  });
  afterEach(async () => {
    node?.proc.kill('SIGKILL');
    await node?.exited;
    node = undefined;
  });
  afterAll(async () => {
    await database?.drop().catch(() => undefined);
    await redis?.cleanup().catch(() => undefined);
    await fsp.rm(root, { recursive: true, force: true });
  });

  it.each(['Redis', 'Postgres'] as const)(
    'waits for %s and is ready once it is back',
    async (service) => {
      const upstream = new URL(service === 'Redis' ? TEST_REDIS_URL : database.url);
      const proxy = await FaultProxy.start({
        host: upstream.hostname,
        port: Number(upstream.port),
      });
      try {
        await proxy.cut('refuse');
        let retries = 0;
        const starting = startService(
          {
            ...process.env,
            TRIBUTARY_NODE_ID: '1',
            DATA_DIR: path.join(root, service),
            PORT: '0',
            HOST: '127.0.0.1',
            TRIBUTARY_RPC_PORT: '0',
            TRIBUTARY_ADMIN_TOKEN: ADMIN,
            DATABASE_URL: service === 'Postgres' ? proxy.rewrite(database.url) : database.url,
            REDIS_URL: service === 'Redis' ? proxy.rewrite(TEST_REDIS_URL) : TEST_REDIS_URL,
            TRIBUTARY_REDIS_PREFIX: redis.keyPrefix,
            TRIBUTARY_BROKER_SESSION_MS: '2000',
          },
          undefined,
          (entry) => {
            if (entry.msg?.startsWith('a service the node needs is unavailable')) retries += 1;
          },
        );
        starting.catch(() => undefined); // awaited below
        await waitUntil(
          () => retries >= 2,
          `the node trying again while ${service} is away`,
          30_000,
        );
        await proxy.restore();
        node = await starting;
        const ready = await callService(node.url, 'GET', '/readyz', ADMIN);
        expect(ready.status).toBe(200);
        const tenants = await callService(node.url, 'GET', '/v1/admin/tenants', ADMIN);
        expect(tenants.status).toBe(200);
      } finally {
        await proxy.close();
      }
    },
    90_000,
  );
});
