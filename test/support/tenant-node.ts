// A real node for tests of the client and the CLI, one per test file: started as `npm start`
// runs it (from dist/, so `npm run build` first; npm test does it), on a free port, with its
// own data dir and its own Postgres database, and a tenant with an all-powerful key.
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { createPostgresDatabase, type TestPostgresDatabase } from './postgres-database';
import { callService, type ServiceProcess, startService } from './service-process';

const ADMIN = 'tenant-node-operator-token';

export interface TenantNode {
  url: string;
  /** An API key of the tenant `clients`. */
  key: string;
  service: ServiceProcess;
  stop(): Promise<void>;
}

export async function startTenantNode(): Promise<TenantNode> {
  const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tributary-tenant-node-'));
  let database: TestPostgresDatabase | undefined;
  let service: ServiceProcess | undefined;
  const stop = async () => {
    service?.proc.kill('SIGTERM');
    await service?.exited;
    await database?.drop();
    await fsp.rm(dataDir, { recursive: true, force: true });
  };
  try {
    database = await createPostgresDatabase();
    service = await startService({
      ...process.env,
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      TRIBUTARY_ADMIN_TOKEN: ADMIN,
      DATABASE_URL: database.url,
      REDIS_URL: '',
    });
    const tenant = await callService(service.url, 'POST', '/v1/admin/tenants', ADMIN, {
      name: 'clients',
    });
    if (tenant.status !== 201) throw new Error(`tenant: ${JSON.stringify(tenant.body)}`);
    const created = await callService(
      service.url,
      'POST',
      '/v1/admin/tenants/clients/keys',
      ADMIN,
      {
        name: 'tests',
      },
    );
    return { url: service.url, key: created.body.key as string, service, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
