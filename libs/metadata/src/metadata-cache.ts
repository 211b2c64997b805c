// The metadata the hot path reads, held in memory so that serving a request runs no query:
// tenants, API keys, topics and their partitions. It is loaded once at start (replaceAll) and
// kept fresh by the repositories, which write through to it after each committed change.
// Entries are frozen; readers get them without copying. In a cluster, changes made by other
// nodes arrive through reload (driven by coordination's change notifications), as do writes
// whose answer an outage lost (MetadataStore reloads once the database is back).
import { assert } from '@tributary/common';
import { type ApiKey, type PartitionState, type Tenant, type Topic } from './types';

export interface MetadataSnapshot {
  readonly tenants: readonly Tenant[];
  readonly apiKeys: readonly ApiKey[];
  readonly topics: readonly Topic[];
  readonly partitions: readonly PartitionState[];
}

export class MetadataCache {
  private readonly tenantsById = new Map<string, Tenant>();
  private readonly tenantIdsByName = new Map<string, string>();
  private readonly keysById = new Map<string, ApiKey>();
  private readonly keyIdsBySecretHash = new Map<string, string>();
  private readonly topicsById = new Map<string, Topic>();
  /** tenant id -> topic name -> topic id */
  private readonly topicIdsByName = new Map<string, Map<string, string>>();
  /** topic id -> partition states, indexed by partition number */
  private readonly partitionsByTopic = new Map<string, PartitionState[]>();
  private writeCount = 0;
  private replacing = false;
  private readonly writeListeners: (() => void)[] = [];

  /**
   * Grows with every write-through. A reload compares it before and after reading its
   * snapshot: a write that landed in between may be missing from the snapshot.
   */
  get writes(): number {
    return this.writeCount;
  }

  // ---- reads (the hot path) ----

  tenant(id: string): Tenant | undefined {
    return this.tenantsById.get(id);
  }

  tenantByName(name: string): Tenant | undefined {
    const id = this.tenantIdsByName.get(name);
    return id === undefined ? undefined : this.tenantsById.get(id);
  }

  tenants(): Tenant[] {
    return [...this.tenantsById.values()].sort((a, b) => compare(a.name, b.name));
  }

  apiKey(id: string): ApiKey | undefined {
    return this.keysById.get(id);
  }

  /** The key with this secret hash, unless it is revoked. */
  activeApiKeyBySecretHash(secretHash: string): ApiKey | undefined {
    const id = this.keyIdsBySecretHash.get(secretHash);
    const key = id === undefined ? undefined : this.keysById.get(id);
    return key === undefined || key.revokedAtMs !== null ? undefined : key;
  }

  apiKeys(tenantId: string): ApiKey[] {
    return [...this.keysById.values()]
      .filter((key) => key.tenantId === tenantId)
      .sort((a, b) => a.createdAtMs - b.createdAtMs || compare(a.id, b.id));
  }

  topic(id: string): Topic | undefined {
    return this.topicsById.get(id);
  }

  topicByName(tenantId: string, name: string): Topic | undefined {
    const id = this.topicIdsByName.get(tenantId)?.get(name);
    return id === undefined ? undefined : this.topicsById.get(id);
  }

  topics(tenantId: string): Topic[] {
    const ids = this.topicIdsByName.get(tenantId);
    if (ids === undefined) return [];
    return [...ids.values()]
      .map((id) => this.topicsById.get(id))
      .filter((topic): topic is Topic => topic !== undefined)
      .sort((a, b) => compare(a.name, b.name));
  }

  partition(topicId: string, partition: number): PartitionState | undefined {
    return this.partitionsByTopic.get(topicId)?.[partition];
  }

  partitions(topicId: string): readonly PartitionState[] {
    return this.partitionsByTopic.get(topicId) ?? [];
  }

  // ---- writes (repositories, after a commit; the store's reload) ----

  /**
   * Calls `listener` after every write through a repository (not a reload): this node changed
   * metadata, so the other nodes should hear of it.
   */
  onWrite(listener: () => void): void {
    this.writeListeners.push(listener);
  }

  private wrote(): void {
    this.writeCount++;
    if (!this.replacing) for (const listener of this.writeListeners) listener();
  }

  replaceAll(snapshot: MetadataSnapshot): void {
    this.replacing = true;
    try {
      this.replaceAllNow(snapshot);
    } finally {
      this.replacing = false;
    }
  }

  private replaceAllNow(snapshot: MetadataSnapshot): void {
    this.tenantsById.clear();
    this.tenantIdsByName.clear();
    this.keysById.clear();
    this.keyIdsBySecretHash.clear();
    this.topicsById.clear();
    this.topicIdsByName.clear();
    this.partitionsByTopic.clear();
    snapshot.tenants.forEach((tenant) => this.putTenant(tenant));
    snapshot.apiKeys.forEach((key) => this.putApiKey(key));
    snapshot.topics.forEach((topic) => this.putTopic(topic));
    snapshot.partitions.forEach((partition) => this.putPartition(partition));
  }

  putTenant(tenant: Tenant): void {
    this.wrote();
    const previous = this.tenantsById.get(tenant.id);
    if (previous !== undefined) this.tenantIdsByName.delete(previous.name);
    this.tenantsById.set(tenant.id, tenant);
    this.tenantIdsByName.set(tenant.name, tenant.id);
  }

  /** Removes the tenant with everything it owns, as the database's cascade does. */
  removeTenant(id: string): void {
    this.wrote();
    const tenant = this.tenantsById.get(id);
    if (tenant === undefined) return;
    for (const key of this.apiKeys(id)) this.removeApiKey(key.id);
    for (const topic of this.topics(id)) this.removeTopic(topic.id);
    this.topicIdsByName.delete(id);
    this.tenantsById.delete(id);
    this.tenantIdsByName.delete(tenant.name);
  }

  putApiKey(key: ApiKey): void {
    this.wrote();
    this.keysById.set(key.id, key);
    this.keyIdsBySecretHash.set(key.secretHash, key.id);
  }

  removeApiKey(id: string): void {
    this.wrote();
    const key = this.keysById.get(id);
    if (key === undefined) return;
    this.keysById.delete(id);
    this.keyIdsBySecretHash.delete(key.secretHash);
  }

  putTopic(topic: Topic): void {
    this.wrote();
    const previous = this.topicsById.get(topic.id);
    assert(
      previous === undefined ||
        (previous.tenantId === topic.tenantId && previous.name === topic.name),
      () => `topic ${topic.id} changed tenant or name`,
    );
    this.topicsById.set(topic.id, topic);
    let byName = this.topicIdsByName.get(topic.tenantId);
    if (byName === undefined) {
      byName = new Map();
      this.topicIdsByName.set(topic.tenantId, byName);
    }
    byName.set(topic.name, topic.id);
  }

  /** Removes the topic and its partitions. */
  removeTopic(id: string): void {
    this.wrote();
    const topic = this.topicsById.get(id);
    if (topic === undefined) return;
    this.topicsById.delete(id);
    this.topicIdsByName.get(topic.tenantId)?.delete(topic.name);
    this.partitionsByTopic.delete(id);
  }

  /** Keeps the newer of the cached and the given state (versions only grow). */
  putPartition(state: PartitionState): void {
    this.wrote();
    let states = this.partitionsByTopic.get(state.topicId);
    if (states === undefined) {
      states = [];
      this.partitionsByTopic.set(state.topicId, states);
    }
    const cached = states[state.partition];
    if (cached !== undefined && cached.version > state.version) return;
    states[state.partition] = state;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
