// Databases for tests, one of each kind per call: a fresh schema t_<random> in the Postgres at
// TEST_DATABASE_URL (dropped on cleanup) and a fresh embedded PGlite in a temporary data dir.
// Other libraries' tests use these too, so that one suite runs against both kinds.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { ManualClock } from '@tributary/common';
import { Client } from 'pg';
import {
  type Database,
  type DatabaseKind,
  openDatabase,
  type OpenDatabaseOptions,
} from './database';
import { MetadataStore } from './metadata-store';

export const TEST_DATABASE_KINDS: readonly DatabaseKind[] = ['postgres', 'pglite'];

export const TEST_DATABASE_URL_DEFAULT = 'postgresql://postgres@127.0.0.1:5432/postgres';

export function testDatabaseUrl(): string {
  return process.env.TEST_DATABASE_URL ?? TEST_DATABASE_URL_DEFAULT;
}

/** Where a test database lives; open it (as often as needed) with openDatabase(options). */
export interface TestDatabaseTarget {
  readonly kind: DatabaseKind;
  readonly options: OpenDatabaseOptions;
  /** Drops the schema or deletes the data dir. Close what you opened first. */
  cleanup(): Promise<void>;
}

export async function prepareTestDatabase(kind: DatabaseKind): Promise<TestDatabaseTarget> {
  const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tributary-metadata-'));
  const removeDataDir = () => fsp.rm(dataDir, { recursive: true, force: true });
  if (kind === 'pglite') {
    try {
      // initdb takes seconds; copying an initialised (empty, unmigrated) cluster, a moment.
      await fsp.cp(await pgliteTemplate(), path.join(dataDir, 'metadata'), { recursive: true });
    } catch (error) {
      await removeDataDir();
      throw error;
    }
    return { kind, options: { dataDir }, cleanup: removeDataDir };
  }
  const databaseUrl = testDatabaseUrl();
  const schema = `t_${randomBytes(6).toString('hex')}`;
  return {
    kind,
    options: { dataDir, databaseUrl, schema },
    cleanup: async () => {
      const client = new Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
      await removeDataDir();
    },
  };
}

export interface TestStore {
  readonly store: MetadataStore;
  /** The store's database, for tests that play another node writing behind its back. */
  readonly database: Database;
  readonly clock: ManualClock;
  readonly target: TestDatabaseTarget;
  /** Closes the store and removes its database. */
  cleanup(): Promise<void>;
}

/** A migrated, empty MetadataStore of the given kind, on a ManualClock. */
export async function openTestStore(
  kind: DatabaseKind,
  clock = new ManualClock(),
): Promise<TestStore> {
  const target = await prepareTestDatabase(kind);
  let database: Database | undefined;
  let store: MetadataStore;
  try {
    database = await openDatabase(target.options);
    store = await MetadataStore.over(database, clock);
  } catch (error) {
    await database?.close();
    await target.cleanup();
    throw error;
  }
  return {
    store,
    database,
    clock,
    target,
    cleanup: async () => {
      await store.close();
      await target.cleanup();
    },
  };
}

let template: Promise<string> | undefined;

/** An initialised PGlite data dir, shared by the test processes of one PGlite version. */
function pgliteTemplate(): Promise<string> {
  template ??= createPgliteTemplate();
  return template;
}

async function createPgliteTemplate(): Promise<string> {
  const version = pgliteVersion();
  const dir = path.join(os.tmpdir(), `tributary-pglite-template-${version}`);
  if (fs.existsSync(path.join(dir, 'PG_VERSION'))) return dir;
  const building = `${dir}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    const pglite = new PGlite(building);
    await pglite.waitReady;
    await pglite.close();
  } catch (error) {
    template = undefined; // let the next test try again
    await fsp.rm(building, { recursive: true, force: true });
    throw error;
  }
  try {
    await fsp.rename(building, dir); // atomic: other workers see all of it or nothing
  } catch {
    await fsp.rm(building, { recursive: true, force: true }); // another worker was first
  }
  return dir;
}

function pgliteVersion(): string {
  const entry = require.resolve('@electric-sql/pglite');
  for (let dir = path.dirname(entry); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@electric-sql/pglite' && pkg.version !== undefined) return pkg.version;
    }
  }
  return 'unknown';
}

/** Replica lists for `partitions` partitions all on one node (a topic of a standalone node). */
export function soleReplicas(nodeId: number, partitions: number): number[][] {
  return Array.from({ length: partitions }, () => [nodeId]);
}
