// schema.prisma and the hand-written migrations must describe the same database. On a freshly
// migrated database of each kind: (1) the tables, columns, types, nullability, defaults,
// indexes and foreign keys the migrations made equal what schema.prisma declares, read from
// the schema file with Prisma's naming conventions; (2) every model is written, read back,
// updated and deleted through the generated client.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Database, openDatabase } from './database';
import { findRepoRoot } from './migrator';
import { describeDatabase, describePrismaSchema } from './schema-description';
import {
  prepareTestDatabase,
  TEST_DATABASE_KINDS,
  type TestDatabaseTarget,
} from './test-databases';

describe.each(TEST_DATABASE_KINDS)('schema and migrations on %s', (kind) => {
  let target: TestDatabaseTarget;
  let db: Database;

  beforeAll(async () => {
    target = await prepareTestDatabase(kind);
    db = await openDatabase(target.options);
  });

  afterAll(async () => {
    await db.close();
    await target.cleanup();
  });

  it('create the tables, columns, indexes and keys schema.prisma declares', async () => {
    const declared = describePrismaSchema(
      fs.readFileSync(path.join(findRepoRoot(), 'prisma', 'schema.prisma'), 'utf8'),
    );
    expect(await describeDatabase(db)).toEqual(declared);
    expect(Object.keys(declared.tables)).toHaveLength(9);
  });

  it('store and return every model through Prisma', async () => {
    const p = db.prisma;
    const at = new Date('2025-01-02T03:04:05.678Z');
    const later = new Date('2025-01-02T04:00:00.000Z');

    const tenant = await p.tenant.create({
      data: { name: 'acme', quotas: { maxTopics: 3 }, createdAt: at, updatedAt: at },
    });
    expect(await p.tenant.findUnique({ where: { name: 'acme' } })).toEqual(tenant);
    expect(tenant).toMatchObject({ quotas: { maxTopics: 3 }, createdAt: at });

    const key = await p.apiKey.create({
      data: {
        tenantId: tenant.id,
        name: 'ci',
        secretHash: 'a'.repeat(64),
        permissions: [
          { operation: 'read', resource: 'topic', pattern: 'x', patternType: 'literal' },
        ],
      },
    });
    expect(await p.apiKey.findUnique({ where: { secretHash: 'a'.repeat(64) } })).toEqual(key);
    expect(key.revokedAt).toBeNull();

    const topic = await p.topic.create({
      data: {
        tenantId: tenant.id,
        name: 'orders',
        partitionCount: 2,
        replicationFactor: 1,
        configs: { 'retention.ms': '1000' },
      },
    });
    expect(
      await p.topic.findUnique({
        where: { tenantId_name: { tenantId: tenant.id, name: 'orders' } },
      }),
    ).toEqual(topic);

    const partition = await p.partition.create({
      data: {
        topicId: topic.id,
        partition: 0,
        leader: 1,
        leaderEpoch: 0,
        replicas: [1, 2],
        isr: [1],
      },
    });
    expect(partition).toMatchObject({ replicas: [1, 2], isr: [1], version: 0 });
    expect(
      await p.partition.findUnique({
        where: { topicId_partition: { topicId: topic.id, partition: 0 } },
      }),
    ).toEqual(partition);

    const big = 2n ** 53n - 1n;
    const offset = await p.groupOffset.create({
      data: { tenantId: tenant.id, groupId: 'g', topicId: topic.id, partition: 0, offset: big },
    });
    expect(offset).toMatchObject({ offset: big, metadata: null });
    const offsetKey = { tenantId: tenant.id, groupId: 'g', topicId: topic.id, partition: 0 };
    expect(
      await p.groupOffset.findUnique({ where: { tenantId_groupId_topicId_partition: offsetKey } }),
    ).toEqual(offset);

    const audit = await p.auditLog.create({
      data: { actor: 'operator', action: 'tenant.create', target: 'acme', detail: { a: 1 } },
    });
    expect(typeof audit.id).toBe('bigint');
    expect(await p.auditLog.findUnique({ where: { id: audit.id } })).toEqual(audit);

    // Updates.
    await p.tenant.update({ where: { id: tenant.id }, data: { quotas: {}, updatedAt: later } });
    await p.apiKey.update({ where: { id: key.id }, data: { revokedAt: later } });
    await p.topic.update({ where: { id: topic.id }, data: { partitionCount: 3, configs: {} } });
    await p.partition.update({
      where: { topicId_partition: { topicId: topic.id, partition: 0 } },
      data: { leaderEpoch: 1, isr: [1, 2], version: { increment: 1 } },
    });
    await p.groupOffset.update({
      where: { tenantId_groupId_topicId_partition: offsetKey },
      data: { offset: 5n, metadata: 'm' },
    });
    await p.auditLog.update({ where: { id: audit.id }, data: { detail: {} } });
    expect(await p.tenant.findUniqueOrThrow({ where: { id: tenant.id } })).toMatchObject({
      quotas: {},
      updatedAt: later,
    });
    expect((await p.apiKey.findUniqueOrThrow({ where: { id: key.id } })).revokedAt).toEqual(later);
    expect(await p.partition.findFirstOrThrow({ where: { topicId: topic.id } })).toMatchObject({
      leaderEpoch: 1,
      isr: [1, 2],
      version: 1,
    });
    expect(
      await p.groupOffset.findUniqueOrThrow({
        where: { tenantId_groupId_topicId_partition: offsetKey },
      }),
    ).toMatchObject({ offset: 5n, metadata: 'm' });

    // Deletes, then the cascades from tenant to everything it owns.
    await p.auditLog.delete({ where: { id: audit.id } });
    await p.groupOffset.delete({ where: { tenantId_groupId_topicId_partition: offsetKey } });
    expect(await p.auditLog.count()).toBe(0);
    await p.groupOffset.create({ data: { ...offsetKey, offset: 1n } });
    await p.tenant.delete({ where: { id: tenant.id } });
    const counts = await Promise.all([
      p.tenant.count(),
      p.apiKey.count(),
      p.topic.count(),
      p.partition.count(),
      p.groupOffset.count(),
    ]);
    expect(counts).toEqual([0, 0, 0, 0, 0]);
  });
});
