// The library's front: opens the database (migrating it), loads the cache, and hands out the
// repositories, all sharing one Prisma client, one cache and one clock.
import { type Clock, systemClock, unavailable } from '@tributary/common';
import { ApiKeyRepository } from './api-key-repository';
import { AuditRepository } from './audit-repository';
import {
  type Database,
  type DatabaseKind,
  openDatabase,
  type OpenDatabaseOptions,
} from './database';
import { GroupOffsetRepository } from './group-offset-repository';
import { IdempotencyRepository } from './idempotency-repository';
import { MetadataCache, type MetadataSnapshot } from './metadata-cache';
import { PartitionRepository } from './partition-repository';
import { TenantRepository } from './tenant-repository';
import { TopicRepository } from './topic-repository';
import { type Prisma } from './generated/prisma/client';
import { toApiKey, toPartitionState, toTenant, toTopic } from './rows';

export interface MetadataStoreOptions extends OpenDatabaseOptions {
  clock?: Clock;
}

export class MetadataStore {
  readonly cache = new MetadataCache();
  readonly tenants: TenantRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly topics: TopicRepository;
  readonly partitions: PartitionRepository;
  readonly groupOffsets: GroupOffsetRepository;
  readonly idempotency: IdempotencyRepository;
  readonly audit: AuditRepository;

  private constructor(
    private readonly database: Database,
    clock: Clock,
  ) {
    const { prisma } = database;
    this.tenants = new TenantRepository(prisma, this.cache, clock);
    this.apiKeys = new ApiKeyRepository(prisma, this.cache, clock);
    this.topics = new TopicRepository(prisma, this.cache, clock);
    this.partitions = new PartitionRepository(prisma, this.cache);
    this.groupOffsets = new GroupOffsetRepository(prisma, clock);
    this.idempotency = new IdempotencyRepository(prisma, clock);
    this.audit = new AuditRepository(prisma, clock);
  }

  /** Opens (and migrates) the database, then loads the cache. */
  static async open(options: MetadataStoreOptions): Promise<MetadataStore> {
    const database = await openDatabase(options);
    try {
      return await MetadataStore.over(database, options.clock);
    } catch (error) {
      await database.close();
      throw error;
    }
  }

  /** A store over a database already open; closing the store closes it. */
  static async over(database: Database, clock: Clock = systemClock): Promise<MetadataStore> {
    const store = new MetadataStore(database, clock);
    await store.reload();
    return store;
  }

  get kind(): DatabaseKind {
    return this.database.kind;
  }

  /**
   * Reloads the cache from the database, for changes other nodes made. One consistent
   * snapshot (a repeatable-read transaction), swapped in at once unless a write-through
   * landed while it was read (the snapshot may lack it); then it is read again.
   */
  async reload(): Promise<void> {
    for (let attempt = 1; attempt <= RELOAD_ATTEMPTS_MAX; attempt++) {
      const writes = this.cache.writes;
      const snapshot = await this.database.prisma.$transaction(loadSnapshot, {
        isolationLevel: 'RepeatableRead',
        timeout: 60_000,
        maxWait: 10_000,
      });
      if (this.cache.writes === writes) {
        this.cache.replaceAll(snapshot);
        return;
      }
    }
    throw unavailable('the metadata kept changing while it was reloaded; retry shortly');
  }

  /** Whether the database answers (for /readyz). */
  async ping(): Promise<boolean> {
    try {
      await this.database.prisma.$executeRawUnsafe('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.database.close();
  }
}

/** Reads of the snapshot in a row that may be spoilt by a concurrent write before giving up. */
const RELOAD_ATTEMPTS_MAX = 5;

async function loadSnapshot(tx: Prisma.TransactionClient): Promise<MetadataSnapshot> {
  const tenants = await tx.tenant.findMany({ orderBy: { name: 'asc' } });
  const apiKeys = await tx.apiKey.findMany({ orderBy: { id: 'asc' } });
  const topics = await tx.topic.findMany({ orderBy: [{ tenantId: 'asc' }, { name: 'asc' }] });
  const partitions = await tx.partition.findMany({
    orderBy: [{ topicId: 'asc' }, { partition: 'asc' }],
  });
  return {
    tenants: tenants.map(toTenant),
    apiKeys: apiKeys.map(toApiKey),
    topics: topics.map(toTopic),
    partitions: partitions.map(toPartitionState),
  };
}
