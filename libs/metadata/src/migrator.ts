// Applies prisma/migrations/<name>/migration.sql in name order, each in its own transaction,
// and records them in _tributary_migrations (name, checksum, applied_at). The same code runs on
// Postgres and PGlite. Nodes starting together serialise on a transaction-scoped advisory lock
// (per schema), so each migration runs once. The migrator refuses to start when an applied
// migration's file changed, when the database has one this build does not know (a newer build
// migrated it), or when a pending one sorts before an applied one.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assert } from '@tributary/common';
import { type Prisma, type PrismaClient } from './generated/prisma/client';
import { METADATA_LIMITS } from './metadata-limits';
import { splitSqlStatements } from './sql-statements';

export interface Migration {
  readonly name: string;
  readonly sql: string;
  /** sha256 hex of the script with line endings normalised. */
  readonly checksum: string;
}

export interface MigrationResult {
  /** Migrations this call applied, in order. */
  readonly applied: string[];
}

export interface MigrateOptions {
  /** Defaults to prisma/migrations under the repository root. */
  migrationsDir?: string;
  /** How long one migration's transaction may run, lock wait included. */
  timeoutMs?: number;
}

/** The database and this build disagree about migrations; the node must not start. */
export class MigrationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

const TABLE = '"_tributary_migrations"';

/** The nearest directory at or above `from` that holds package.json (works from src and dist). */
export function findRepoRoot(from: string = __dirname): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) {
      throw new MigrationError(`no package.json at or above ${from}: cannot locate prisma/`);
    }
  }
}

export function defaultMigrationsDir(): string {
  return path.join(findRepoRoot(), 'prisma', 'migrations');
}

export function readMigrations(dir: string): Migration[] {
  if (!fs.existsSync(dir)) throw new MigrationError(`migrations directory ${dir} is missing`);
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const file = path.join(dir, name, 'migration.sql');
      if (!fs.existsSync(file)) throw new MigrationError(`${file} is missing`);
      const sql = fs.readFileSync(file, 'utf8').replace(/\r\n/g, '\n');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

export async function migrate(
  prisma: PrismaClient,
  options: MigrateOptions = {},
): Promise<MigrationResult> {
  const migrations = readMigrations(options.migrationsDir ?? defaultMigrationsDir());
  const timeout = options.timeoutMs ?? METADATA_LIMITS.migrationTimeoutMs;
  const applied: string[] = [];
  for (;;) {
    const next = await prisma.$transaction(
      async (tx) => {
        // Held until commit: a node that waits here re-reads what the first one applied.
        await tx.$executeRawUnsafe(
          `SELECT pg_advisory_xact_lock(hashtext('tributary-migrations:' || current_schema()))`,
        );
        await tx.$executeRawUnsafe(
          `CREATE TABLE IF NOT EXISTS ${TABLE} ("name" TEXT NOT NULL PRIMARY KEY, ` +
            `"checksum" CHAR(64) NOT NULL, ` +
            `"applied_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP)`,
        );
        const done = await appliedChecksums(tx);
        const pending = checkHistory(migrations, done);
        if (pending === undefined) return undefined;
        await apply(tx, pending);
        return pending.name;
      },
      { timeout, maxWait: timeout },
    );
    if (next === undefined) return { applied };
    applied.push(next);
  }
}

async function appliedChecksums(tx: Prisma.TransactionClient): Promise<Map<string, string>> {
  const rows = await tx.$queryRawUnsafe<{ name: string; checksum: string }[]>(
    `SELECT "name", "checksum" FROM ${TABLE} ORDER BY "name"`,
  );
  return new Map(rows.map((row) => [row.name, row.checksum]));
}

/** The first migration still to apply, after checking the history agrees with the files. */
function checkHistory(
  migrations: readonly Migration[],
  done: ReadonlyMap<string, string>,
): Migration | undefined {
  const known = new Map(migrations.map((m) => [m.name, m]));
  for (const [name, checksum] of done) {
    const migration = known.get(name);
    if (migration === undefined) {
      throw new MigrationError(
        `the database has migration ${name}, which this build does not have ` +
          `(was it migrated by a newer version?)`,
      );
    }
    if (migration.checksum !== checksum) {
      throw new MigrationError(
        `migration ${name} changed after it was applied ` +
          `(checksum ${checksum} in the database, ${migration.checksum} on disk); ` +
          `add a new migration instead of editing an applied one`,
      );
    }
  }
  const pending = migrations.filter((m) => !done.has(m.name));
  const lastApplied = [...done.keys()].sort().at(-1);
  const first = pending[0];
  if (first !== undefined && lastApplied !== undefined && first.name < lastApplied) {
    throw new MigrationError(
      `migration ${first.name} is not applied but the later ${lastApplied} is; ` +
        `rename it to sort after the applied ones`,
    );
  }
  return first;
}

async function apply(tx: Prisma.TransactionClient, migration: Migration): Promise<void> {
  const statements = splitSqlStatements(migration.sql);
  assert(statements.length > 0, () => `migration ${migration.name} has no statements`);
  for (const [i, statement] of statements.entries()) {
    try {
      await tx.$executeRawUnsafe(statement);
    } catch (error) {
      throw new MigrationError(
        `migration ${migration.name} failed at statement ${i + 1}: ${String(error)}`,
        { cause: error },
      );
    }
  }
  await tx.$executeRawUnsafe(
    `INSERT INTO ${TABLE} ("name", "checksum") VALUES ($1, $2)`,
    migration.name,
    migration.checksum,
  );
}
