// The embedded database's files (<dataDir>/metadata): created on a node's first start, opened
// with a small buffer pool on every start.
//
// Creating them (Postgres's initdb) takes seconds and several hundred MB of WebAssembly memory
// that PGlite would keep for as long as it runs, and migrating a fresh cluster about a second
// more. So `npm run build` runs initdb and the migrations once into dist/pglite-template (see
// `main` below), and a first start copies that template; without a usable template (none, or
// one of another PGlite version or of other migrations) initdb runs in a worker thread, which
// gives its memory back when it exits, and the node migrates as usual. Either way the files are
// made beside the target and renamed into place, so a crash meanwhile leaves no half-made
// cluster behind.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from './generated/prisma/client';
import { defaultMigrationsDir, migrate, type Migration, readMigrations } from './migrator';

/**
 * PGlite's Postgres keeps its buffer pool inside its WebAssembly memory, which never shrinks.
 * The metadata is small (topics, partitions, tenants, committed offsets), so 16 MB of shared
 * buffers instead of Postgres's 128 MB holds all of it and keeps ~110 MB off the node's RSS.
 */
export const PGLITE_START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

/** dist/pglite-template, from dist/libs/metadata/src (absent when running from source). */
export const PGLITE_TEMPLATE_DIR = path.resolve(__dirname, '..', '..', '..', 'pglite-template');
/** What made a template: the PGlite version and the migrations applied to it, in order. */
const TEMPLATE_STAMP = 'PGLITE_TEMPLATE_VERSION';

function pgliteVersion(): string {
  const entry = require.resolve('@electric-sql/pglite');
  const manifest = path.join(path.dirname(entry), '..', 'package.json');
  return (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version: string }).version;
}

function stampOf(migrations: readonly Migration[]): string {
  return JSON.stringify({
    pglite: pgliteVersion(),
    migrations: migrations.map((m) => `${m.name} ${m.checksum}`),
  });
}

/** A template made by this PGlite version and migrated with exactly these migrations. */
function templateUsable(template: string, migrations: readonly Migration[]): boolean {
  try {
    return fs.readFileSync(path.join(template, TEMPLATE_STAMP), 'utf8') === stampOf(migrations);
  } catch {
    return false;
  }
}

/** Runs initdb into `dir` in a worker thread. */
async function initdb(dir: string): Promise<void> {
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads');
     const { PGlite } = require(workerData.module);
     (async () => {
       const pglite = new PGlite(workerData.dir, { startParams: workerData.startParams });
       await pglite.waitReady;
       await pglite.close();
     })().catch((error) => { throw error; });`,
    {
      eval: true,
      workerData: {
        module: require.resolve('@electric-sql/pglite'),
        dir,
        startParams: PGLITE_START_PARAMS,
      },
    },
  );
  await new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`PGlite's initdb worker exited with ${code}`)),
    );
  });
}

/** Makes `target` with `make(scratch)` in a sibling dir, then renames it into place. */
async function createBeside(target: string, make: (scratch: string) => Promise<void>) {
  const scratch = `${target}.creating-${process.pid}`;
  fs.rmSync(scratch, { recursive: true, force: true });
  try {
    await make(scratch);
    // No PG_VERSION: not a cluster, at most what a crash during an earlier creation left.
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(scratch, target);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Creates the cluster in `dir` unless it holds one; `template` defaults to the build's, and is
 * used when it was migrated with exactly the `migrations` the node will migrate with.
 */
export async function ensurePgliteCluster(
  dir: string,
  template = PGLITE_TEMPLATE_DIR,
  migrations: readonly Migration[] = readMigrations(defaultMigrationsDir()),
): Promise<'existing' | 'template' | 'initdb'> {
  if (fs.existsSync(path.join(dir, 'PG_VERSION'))) return 'existing';
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  if (templateUsable(template, migrations)) {
    await createBeside(dir, async (scratch) => {
      fs.cpSync(template, scratch, { recursive: true });
      fs.rmSync(path.join(scratch, TEMPLATE_STAMP));
    });
    return 'template';
  }
  await createBeside(dir, (scratch) => initdb(scratch));
  return 'initdb';
}

/**
 * Opens the cluster in `dir`, creating it first when there is none (from the template when it
 * holds the migrations in `migrationsDir`, the repository's by default).
 */
export async function openPgliteCluster(dir: string, migrationsDir?: string): Promise<PGlite> {
  await ensurePgliteCluster(
    dir,
    PGLITE_TEMPLATE_DIR,
    readMigrations(migrationsDir ?? defaultMigrationsDir()),
  );
  const pglite = new PGlite(dir, { startParams: PGLITE_START_PARAMS });
  await pglite.waitReady;
  return pglite;
}

/**
 * Writes the template, migrated (once per PGlite version and set of migrations): `npm run
 * build` runs this file.
 */
export async function writePgliteTemplate(
  template = PGLITE_TEMPLATE_DIR,
  migrationsDir = defaultMigrationsDir(),
): Promise<boolean> {
  const migrations = readMigrations(migrationsDir);
  if (templateUsable(template, migrations)) return false;
  await createBeside(template, async (scratch) => {
    await initdb(scratch);
    const pglite = new PGlite(scratch, { startParams: PGLITE_START_PARAMS });
    const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
    try {
      await migrate(prisma, { migrationsDir });
    } finally {
      await prisma.$disconnect();
      await pglite.close();
    }
    fs.writeFileSync(path.join(scratch, TEMPLATE_STAMP), stampOf(migrations));
  });
  return true;
}

if (require.main === module) {
  writePgliteTemplate().then(
    () => undefined,
    (error: unknown) => {
      process.stderr.write(`could not write the PGlite template: ${String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
