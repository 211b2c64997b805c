// The migrator on both kinds of database: applies in order, once; refuses a history that
// disagrees with the files; serialises nodes that start together.
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Database, openDatabase } from './database';
import {
  defaultMigrationsDir,
  findRepoRoot,
  migrate,
  MigrationError,
  readMigrations,
} from './migrator';
import {
  prepareTestDatabase,
  TEST_DATABASE_KINDS,
  type TestDatabaseTarget,
} from './test-databases';

const SHIPPED = readMigrations(defaultMigrationsDir()).map((m) => m.name);

describe('locating migrations', () => {
  it('finds the repository root from the source and from dist/', async () => {
    const root = findRepoRoot();
    expect(await fsp.readFile(path.join(root, 'package.json'), 'utf8')).toContain('"tributary"');
    expect(findRepoRoot(path.join(root, 'dist', 'libs', 'metadata', 'src'))).toBe(root);
    expect(SHIPPED[0]).toBe('0001_init');
  });

  it('refuses a missing directory', () => {
    expect(() => readMigrations('/nonexistent/migrations')).toThrow(MigrationError);
  });
});

describe.each(TEST_DATABASE_KINDS)('migrator on %s', (kind) => {
  let target: TestDatabaseTarget;
  let dir: string;
  const open: Database[] = [];

  beforeEach(async () => {
    target = await prepareTestDatabase(kind);
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tributary-migrations-'));
    await fsp.cp(defaultMigrationsDir(), dir, { recursive: true });
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((db) => db.close()));
    await target.cleanup();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  async function openDb(): Promise<Database> {
    const db = await openDatabase({ ...target.options, migrationsDir: dir });
    open.push(db);
    return db;
  }

  async function closeAll(): Promise<void> {
    await Promise.all(open.splice(0).map((db) => db.close()));
  }

  async function addMigration(name: string, sql: string): Promise<void> {
    await fsp.mkdir(path.join(dir, name));
    await fsp.writeFile(path.join(dir, name, 'migration.sql'), sql);
  }

  async function history(db: Database): Promise<{ name: string; checksum: string }[]> {
    return db.prisma.$queryRawUnsafe(
      'SELECT "name", "checksum" FROM "_tributary_migrations" ORDER BY "name"',
    );
  }

  it('applies every migration on a fresh database, then nothing on the next start', async () => {
    const first = await openDb();
    expect(first.kind).toBe(kind);
    expect(first.migrations.applied).toEqual(SHIPPED);
    const recorded = await history(first);
    expect(recorded).toEqual(readMigrations(dir).map(({ name, checksum }) => ({ name, checksum })));
    expect(await migrate(first.prisma, { migrationsDir: dir })).toEqual({ applied: [] });
    await closeAll();

    const second = await openDb();
    expect(second.migrations.applied).toEqual([]);
    expect(await history(second)).toEqual(recorded);
  });

  it('applies a new migration on top of the applied ones', async () => {
    await openDb();
    await closeAll();
    await addMigration('9000_extra', 'CREATE TABLE "extra" ("id" INTEGER NOT NULL);\n');
    const db = await openDb();
    expect(db.migrations.applied).toEqual(['9000_extra']);
    expect(await db.prisma.$executeRawUnsafe('INSERT INTO "extra" ("id") VALUES (1)')).toBe(1);
  });

  it('refuses to start when an applied migration was edited', async () => {
    await openDb();
    await closeAll();
    const file = path.join(dir, '0001_init', 'migration.sql');
    await fsp.appendFile(file, '\n-- an innocent-looking edit\n');
    await expect(openDb()).rejects.toThrow(/migration 0001_init changed after it was applied/);
  });

  it('refuses to start when the database has a migration this build lacks', async () => {
    await addMigration('9000_extra', 'CREATE TABLE "extra" ("id" INTEGER NOT NULL);');
    await openDb();
    await closeAll();
    await fsp.rm(path.join(dir, '9000_extra'), { recursive: true });
    await expect(openDb()).rejects.toThrow(/has migration 9000_extra, which this build does not/);
  });

  it('refuses a pending migration that sorts before an applied one', async () => {
    await addMigration('9000_extra', 'CREATE TABLE "extra" ("id" INTEGER NOT NULL);');
    await openDb();
    await closeAll();
    await addMigration('5000_late', 'CREATE TABLE "late" ("id" INTEGER NOT NULL);');
    await expect(openDb()).rejects.toThrow(/5000_late is not applied but the later 9000_extra/);
  });

  it('rolls a failing migration back whole and records nothing', async () => {
    await openDb();
    await closeAll();
    await addMigration(
      '9000_broken',
      'CREATE TABLE "half" ("id" INTEGER NOT NULL);\nSELECT * FROM "no_such_table";\n',
    );
    await expect(openDb()).rejects.toThrow(/9000_broken failed at statement 2/);
    await fsp.rm(path.join(dir, '9000_broken'), { recursive: true });
    const db = await openDb();
    expect((await history(db)).map((row) => row.name)).toEqual(SHIPPED);
    const tables = await db.prisma.$queryRawUnsafe<unknown[]>(
      `SELECT 1 FROM information_schema.tables WHERE table_name = 'half' AND table_schema = current_schema()`,
    );
    expect(tables).toHaveLength(0);
  });

  // Only Postgres is shared between nodes; a PGlite data dir belongs to one process.
  if (kind === 'postgres') {
    it('applies each migration once when nodes start together', async () => {
      await addMigration('9000_extra', 'CREATE TABLE "extra" ("id" INTEGER NOT NULL);');
      const dbs = await Promise.all([openDb(), openDb(), openDb()]);
      const applied = dbs.flatMap((db) => db.migrations.applied).sort();
      expect(applied).toEqual([...SHIPPED, '9000_extra'].sort());
    });
  }
});
