// The library's front: opens the database (migrating it), loads the cache, and hands out the
// repositories, all sharing one Prisma client, one cache and one clock.
//
// After an outage the cache may be behind the database: a write can commit while its answer
// is lost on a dying connection, so the repository never wrote it through. The store therefore
// reloads the cache once the database answers again (retrying with a capped backoff until it
// does or the store closes), and tells whoever listens (the node re-hosts partitions from it).
import { type Clock, systemClock, unavailable } from '@tributary/common';
import { ApiKeyRepository } from './api-key-repository';
import { AuditRepository } from './audit-repository';
import { ClusterRepository } from './cluster-repository';
import {
  type Database,
  type DatabaseKind,
  openDatabase,
  type OpenDatabaseOptions,
} from './database';
import { GroupOffsetRepository } from './group-offset-repository';
import { MetadataCache, type MetadataSnapshot } from './metadata-cache';
import { PartitionRepository } from './partition-repository';
import { TenantRepository } from './tenant-repository';
import { TopicRepository } from './topic-repository';
import { type Prisma } from './generated/prisma/client';
import { METADATA_LIMITS } from './metadata-limits';
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
  readonly audit: AuditRepository;
  readonly cluster: ClusterRepository;
  private readonly reloadListeners: (() => void)[] = [];
  /** The reload after an outage, while one is pending. */
  private recovery: Promise<void> | undefined;
  private readonly closing = new AbortController();

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
    this.audit = new AuditRepository(prisma, clock);
    this.cluster = new ClusterRepository(prisma);
    database.onOutage(() => this.recoverCache());
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
    try {
      await store.reload();
    } catch (error) {
      store.closing.abort(); // no reload after an outage for a store never handed out
      throw error;
    }
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

  /** Calls `listener` after each reload that follows an outage. */
  onReloaded(listener: () => void): void {
    this.reloadListeners.push(listener);
  }

  /**
   * Whether the metadata is ready: the database answers and the cache is not waiting for its
   * reload after an outage (for /readyz).
   */
  async ping(): Promise<boolean> {
    try {
      await this.database.prisma.$executeRawUnsafe('SELECT 1');
      return this.recovery === undefined;
    } catch {
      return false;
    }
  }

  /** Settles once no reload after an outage is pending (tests wait on it). */
  async whenRecovered(): Promise<void> {
    await this.recovery;
  }

  private recoverCache(): void {
    if (this.closing.signal.aborted || this.recovery !== undefined) return;
    this.recovery = this.reloadWhenBack().finally(() => (this.recovery = undefined));
  }

  /** Tries to reload until it works or the store closes; each try is bounded by the timeouts. */
  private async reloadWhenBack(): Promise<void> {
    const { reloadRetryMsMin, reloadRetryMsMax } = METADATA_LIMITS;
    for (
      let pauseMs: number = reloadRetryMsMin;
      ;
      pauseMs = Math.min(pauseMs * 2, reloadRetryMsMax)
    ) {
      // The first pause also lets the burst of failures that reported the outage pass.
      if (!(await pause(pauseMs, this.closing.signal))) return;
      try {
        await this.reload();
        break;
      } catch {
        // Still away (or busy): try again after the next pause.
      }
    }
    if (this.closing.signal.aborted) return;
    for (const listener of this.reloadListeners) listener();
  }

  async close(): Promise<void> {
    this.closing.abort();
    await this.database.close();
  }
}

/** Reads of the snapshot in a row that may be spoilt by a concurrent write before giving up. */
const RELOAD_ATTEMPTS_MAX = 5;

/** Resolves true after `ms`, or false at once when the signal aborts. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve(true);
    }, ms);
    timer.unref();
    const stop = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', stop, { once: true });
  });
}

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
