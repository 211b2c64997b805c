// The embedded database as a standalone node opens it: an empty data dir gets a cluster (from
// the build's template, migrated at build time, or by initdb in a worker, then migrated), opened
// with the small buffer pool;
// a second open finds everything where the first left it and migrates nothing.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { openDatabase } from './database';
import { defaultMigrationsDir, readMigrations } from './migrator';
import { ensurePgliteCluster, PGLITE_START_PARAMS, writePgliteTemplate } from './pglite-cluster';

describe('the embedded metadata database', () => {
  let scratch: string;
  beforeEach(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-pglite-'));
  });
  afterEach(() => fs.rmSync(scratch, { recursive: true, force: true }));

  it('initialises an empty data dir, then reopens it as it was', async () => {
    const dataDir = path.join(scratch, 'node');
    const first = await openDatabase({ dataDir });
    try {
      expect(first.kind).toBe('pglite');
      expect(first.migrations.applied.length).toBeGreaterThan(0);
      expect(fs.existsSync(path.join(dataDir, 'metadata', 'PG_VERSION'))).toBe(true);
      const [buffers] = await first.prisma.$queryRaw<
        { shared_buffers: string }[]
      >`SHOW shared_buffers`;
      expect(buffers?.shared_buffers).toBe('16MB');
      await first.prisma.$executeRaw`CREATE TABLE kept (n int)`;
      await first.prisma.$executeRaw`INSERT INTO kept VALUES (7)`;
    } finally {
      await first.close();
    }
    const second = await openDatabase({ dataDir });
    try {
      expect(second.migrations.applied).toEqual([]);
      expect(await second.prisma.$queryRaw`SELECT n FROM kept`).toEqual([{ n: 7 }]);
    } finally {
      await second.close();
    }
    expect(fs.readdirSync(path.join(scratch, 'node')).sort()).toEqual(['metadata']);
  }, 60_000);

  it('copies a migrated template of its own PGlite version and migrations, and runs initdb past one of others', async () => {
    const template = path.join(scratch, 'template');
    expect(await writePgliteTemplate(template)).toBe(true);
    expect(await writePgliteTemplate(template)).toBe(false); // once per version and migrations

    const copied = path.join(scratch, 'a', 'metadata');
    expect(await ensurePgliteCluster(copied, template)).toBe('template');
    expect(await ensurePgliteCluster(copied, template)).toBe('existing');
    const pglite = new PGlite(copied, { startParams: PGLITE_START_PARAMS });
    try {
      expect((await pglite.query<{ n: number }>('SELECT 1 AS n')).rows).toEqual([{ n: 1 }]);
    } finally {
      await pglite.close();
    }
    expect(fs.existsSync(path.join(copied, 'PGLITE_TEMPLATE_VERSION'))).toBe(false);
    // Migrated at build time: the first start has nothing left to migrate.
    const opened = await openDatabase({ dataDir: path.join(scratch, 'a') });
    try {
      expect(opened.migrations.applied).toEqual([]);
      expect(await opened.prisma.tenant.count()).toBe(0);
    } finally {
      await opened.close();
    }
    // A node migrating with other migrations than the template's does not take it.
    const fewer = readMigrations(defaultMigrationsDir()).slice(0, 1);
    const other = path.join(scratch, 'other', 'metadata');
    expect(await ensurePgliteCluster(other, template, fewer)).toBe('initdb');

    fs.writeFileSync(path.join(template, 'PGLITE_TEMPLATE_VERSION'), '0.0.1');
    const made = path.join(scratch, 'b', 'metadata');
    expect(await ensurePgliteCluster(made, template)).toBe('initdb');
    expect(fs.existsSync(path.join(made, 'PG_VERSION'))).toBe(true);
  }, 120_000);

  it('replaces what a crash left half-made (no PG_VERSION) with a whole cluster', async () => {
    const dir = path.join(scratch, 'c', 'metadata');
    fs.mkdirSync(path.join(dir, 'base'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'base', 'partial'), 'x');
    expect(await ensurePgliteCluster(dir, path.join(scratch, 'no-template'))).toBe('initdb');
    expect(fs.existsSync(path.join(dir, 'PG_VERSION'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'base', 'partial'))).toBe(false);
    expect(fs.readdirSync(path.dirname(dir))).toEqual(['metadata']);
  }, 60_000);
});
