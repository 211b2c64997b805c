// Opens the metadata database: Postgres when a URL is given (cluster mode), else an embedded
// PGlite under <dataDir>/metadata (standalone). Either way the migrations run before it is
// handed out, and one Prisma client type serves both.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { Client } from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from './generated/prisma/client';
import { migrate, type MigrationResult } from './migrator';

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
  close(): Promise<void>;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const { prisma, kind, release } =
    options.databaseUrl === undefined || options.databaseUrl === ''
      ? await openPglite(options.dataDir)
      : await openPostgres(options.databaseUrl, options.schema);
  const close = async (): Promise<void> => {
    await prisma.$disconnect();
    await release();
  };
  try {
    const migrations = await migrate(
      prisma,
      options.migrationsDir === undefined ? {} : { migrationsDir: options.migrationsDir },
    );
    return { prisma, kind, migrations, close };
  } catch (error) {
    await close();
    throw error;
  }
}

interface Opened {
  prisma: PrismaClient;
  kind: DatabaseKind;
  release: () => Promise<void>;
}

async function openPglite(dataDir: string): Promise<Opened> {
  const dir = path.join(path.resolve(dataDir), 'metadata');
  fs.mkdirSync(dir, { recursive: true });
  const pglite = new PGlite(dir);
  await pglite.waitReady;
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  return { prisma, kind: 'pglite', release: () => pglite.close() };
}

async function openPostgres(connectionString: string, schema?: string): Promise<Opened> {
  if (schema === undefined) {
    return { prisma: new PrismaClient({ adapter: new PrismaPg({ connectionString }) }), ...pg() };
  }
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(`schema name must match ${String(SCHEMA_NAME)}: "${schema}"`);
  }
  await createSchema(connectionString, schema);
  // The search path makes the migrator's unqualified SQL land in the schema; the adapter's
  // schema option qualifies the queries Prisma generates.
  const adapter = new PrismaPg(
    { connectionString, options: `-c search_path=${schema}` },
    { schema },
  );
  return { prisma: new PrismaClient({ adapter }), ...pg() };
}

function pg(): Omit<Opened, 'prisma'> {
  return { kind: 'postgres', release: async () => undefined };
}

async function createSchema(connectionString: string, schema: string): Promise<void> {
  const client = new Client({ connectionString });
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
