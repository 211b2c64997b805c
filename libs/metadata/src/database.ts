// Opens the metadata database: Postgres when a URL is given (cluster mode), else an embedded
// PGlite under <dataDir>/metadata (standalone). Either way the migrations run before it is
// handed out, and one Prisma client type serves both.
//
// Postgres is a service that can go away: every wait on it is bounded (METADATA_LIMITS: connect,
// pool and statement timeouts, TCP keepalive) and its outages surface as UNAVAILABLE
// (outage-guard.ts). The migrations run on a client of their own whose statements may take as
// long as a migration may, since one node can wait there for another's migration.
import * as path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { type BrokerError } from '@tributary/common';
import { Client, type PoolConfig } from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from './generated/prisma/client';
import { METADATA_LIMITS } from './metadata-limits';
import { migrate, type MigrateOptions, type MigrationResult } from './migrator';
import { guardClient, type OutageListener } from './outage-guard';
import { openPgliteCluster } from './pglite-cluster';

export type DatabaseKind = 'postgres' | 'pglite';

export interface OpenDatabaseOptions {
  /** postgresql://...; unset: embedded PGlite. */
  databaseUrl?: string;
  /** The node's data dir; PGlite keeps its files in <dataDir>/metadata. */
  dataDir: string;
  /** Postgres only: a schema to use instead of the default (created if missing). */
  schema?: string;
  /** Defaults to the repository's prisma/migrations. */
  migrationsDir?: string;
}

export interface Database {
  readonly prisma: PrismaClient;
  readonly kind: DatabaseKind;
  /** What opening migrated. */
  readonly migrations: MigrationResult;
  /** Calls `listener` on every outage a statement ran into (never, for PGlite). */
  onOutage(listener: OutageListener): void;
  close(): Promise<void>;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const listeners: OutageListener[] = [];
  const onOutage = (error: BrokerError) => listeners.forEach((listener) => listener(error));
  const opened =
    options.databaseUrl === undefined || options.databaseUrl === ''
      ? await openPglite(options.dataDir, options.migrationsDir)
      : await openPostgres(options.databaseUrl, options.schema, onOutage);
  const { prisma, kind, release } = opened;
  const close = async (): Promise<void> => {
    await prisma.$disconnect();
    await release();
  };
  try {
    const migrations = await opened.migrate(
      options.migrationsDir === undefined ? {} : { migrationsDir: options.migrationsDir },
    );
    return { prisma, kind, migrations, onOutage: (l) => listeners.push(l), close };
  } catch (error) {
    await close();
    throw error;
  }
}

interface Opened {
  prisma: PrismaClient;
  kind: DatabaseKind;
  migrate(options: MigrateOptions): Promise<MigrationResult>;
  release: () => Promise<void>;
}

async function openPglite(dataDir: string, migrationsDir?: string): Promise<Opened> {
  const pglite = await openPgliteCluster(
    path.join(path.resolve(dataDir), 'metadata'),
    migrationsDir,
  );
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  return {
    prisma,
    kind: 'pglite',
    migrate: (options) => migrate(prisma, options),
    release: () => pglite.close(),
  };
}

async function openPostgres(
  connectionString: string,
  schema: string | undefined,
  onOutage: OutageListener,
): Promise<Opened> {
  if (schema !== undefined) {
    if (!SCHEMA_NAME.test(schema)) {
      throw new Error(`schema name must match ${String(SCHEMA_NAME)}: "${schema}"`);
    }
    await createSchema(connectionString, schema);
  }
  // The schema option qualifies the queries Prisma generates; the search path (poolConfig)
  // makes the migrator's unqualified SQL land in the schema.
  const client = (queryTimeoutMs: number) => {
    const adapter = new PrismaPg(
      poolConfig(connectionString, schema, queryTimeoutMs),
      schema === undefined ? undefined : { schema },
    );
    return guardClient(new PrismaClient({ adapter }), onOutage);
  };
  return {
    prisma: client(METADATA_LIMITS.queryTimeoutMs),
    kind: 'postgres',
    migrate: async (options) => {
      const migrator = client(METADATA_LIMITS.migrationTimeoutMs);
      try {
        return await migrate(migrator, options);
      } finally {
        await migrator.$disconnect();
      }
    },
    release: async () => undefined,
  };
}

function poolConfig(
  connectionString: string,
  schema: string | undefined,
  queryTimeoutMs: number,
): PoolConfig {
  return {
    connectionString,
    // Named for pg_stat_activity; a name in the URL wins.
    application_name: 'tributary',
    connectionTimeoutMillis: METADATA_LIMITS.connectTimeoutMs,
    query_timeout: queryTimeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: METADATA_LIMITS.keepAliveDelayMs,
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  };
}

async function createSchema(connectionString: string, schema: string): Promise<void> {
  const client = new Client({
    connectionString,
    connectionTimeoutMillis: METADATA_LIMITS.connectTimeoutMs,
    query_timeout: METADATA_LIMITS.queryTimeoutMs,
  });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } catch (error) {
    // Two nodes creating the schema at once: IF NOT EXISTS does not stop the loser's insert
    // into pg_namespace from failing; the schema exists either way.
    const code = (error as { code?: string }).code;
    if (code !== '23505' && code !== '42P06') throw error;
  } finally {
    await client.end();
  }
}
