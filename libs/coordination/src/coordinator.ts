// Where consumer-group membership, assignment and positions live (DESIGN.md, "Where state
// lives"): Redis in a cluster, this process when REDIS_URL is unset. Nothing here is the only
// copy of anything durable: committed offsets are in the metadata store, and a lost group is
// rebuilt by its members joining again.
//
// One group is three pieces of state, read together in one round trip:
// - the group document (an opaque string, JSON written by the group coordinator) with a version
//   that every write raises; writes are compare-and-set on that version, so two gateway
//   processes changing one group at once never lose either change;
// - the liveness map, memberId -> session deadline (ms since the epoch), written by every
//   member call without touching the document, so heartbeats do not conflict with each other;
// - the positions map, "topicId:partition" -> next offset to deliver, written by polls, fenced
//   by the document version the poll read (a poll that raced an assignment change writes
//   nothing).
// Every key is prefixed by the tenant.

export interface GroupSnapshot {
  /** 0 when the group has no document. */
  version: number;
  /** The group document, or null when there is none. */
  document: string | null;
  liveness: Map<string, number>;
  positions: Map<string, number>;
}

export interface GroupWrite {
  /** The new document; null deletes the group's document, liveness and positions together. */
  document: string | null;
  /** Liveness entries to set (memberId -> session deadline ms). */
  setLiveness?: ReadonlyMap<string, number>;
  /** Liveness entries to remove. */
  deleteLiveness?: readonly string[];
  /** Position entries to remove ("topicId:partition"). */
  deletePositions?: readonly string[];
}

export type Unsubscribe = () => void;

/** What cluster-wide notifications are about: a listener re-reads it from its source. */
export type ClusterTopic = 'metadata' | 'brokers';

export interface Coordinator {
  readonly kind: 'redis' | 'in-process';

  /** The group's document, liveness and positions, read atomically. */
  readGroup(tenantId: string, groupId: string): Promise<GroupSnapshot>;

  /**
   * Applies `write` atomically if the document's version is still `expectedVersion` (0: no
   * document yet). Returns the new version (expectedVersion + 1, or 0 after a delete), or null
   * when the version moved (the caller reads again and retries).
   */
  writeGroup(
    tenantId: string,
    groupId: string,
    expectedVersion: number,
    write: GroupWrite,
  ): Promise<number | null>;

  /** Sets one member's session deadline (a heartbeat); no version check, no version change. */
  touchMember(
    tenantId: string,
    groupId: string,
    memberId: string,
    deadlineMs: number,
  ): Promise<void>;

  /**
   * Sets positions if the document's version is still `expectedVersion`; returns false (and
   * writes nothing) when it moved. `forwardOnly`: a position only moves forward (what a poll
   * writes: of two polls of one member that overlap, one whose caller gave up and that ends
   * last must not move a position back, or records are delivered again).
   */
  setPositions(
    tenantId: string,
    groupId: string,
    expectedVersion: number,
    positions: ReadonlyMap<string, number>,
    options?: { forwardOnly?: boolean },
  ): Promise<boolean>;

  /** Ids of the tenant's groups that have a document, sorted. */
  listGroups(tenantId: string): Promise<string[]>;

  /** Tells every process watching the group (this one included) that it changed. */
  notifyGroup(tenantId: string, groupId: string): Promise<void>;

  /**
   * Calls `listener` whenever `notifyGroup` is called for the group, from any process. Returns
   * the way to stop; listeners of one group share one subscription.
   */
  watchGroup(tenantId: string, groupId: string, listener: () => void): Unsubscribe;

  /**
   * Resolves once the group's watch is in effect (Redis acknowledges a subscription some time
   * after watchGroup returns): a caller that watches, awaits this, then reads, misses nothing.
   */
  whenWatching(tenantId: string, groupId: string): Promise<void>;

  /** Stores a single-use value under `token` for `ttlMs`. */
  putTicket(tenantId: string, token: string, value: string, ttlMs: number): Promise<void>;

  /** Returns and removes the value stored under `token` (null when missing, used or expired). */
  takeTicket(tenantId: string, token: string): Promise<string | null>;

  // ---- the cluster: leases (broker liveness, the controller) and notifications ----

  /**
   * Takes the lease `name` for `owner` for `ttlMs` if it is free, or extends it if `owner`
   * holds it already. Returns whether `owner` holds it now. A lease is a hint with an expiry:
   * what it guards is decided elsewhere (Postgres); a holder paused past the expiry loses it.
   */
  acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean>;

  /** Gives up the lease if `owner` holds it. */
  releaseLease(name: string, owner: string): Promise<void>;

  /** The holder of each lease, null where it is free (expired). */
  leaseHolders(names: readonly string[]): Promise<(string | null)[]>;

  /** Tells every process watching `topic` (this one included) that it changed. */
  notifyCluster(topic: ClusterTopic): Promise<void>;

  /** Calls `listener` whenever `notifyCluster(topic)` is called, from any process. */
  watchCluster(topic: ClusterTopic, listener: () => void): Unsubscribe;

  /** Resolves once notifications of `topic` reach this process's watchers (see whenWatching). */
  whenWatchingCluster(topic: ClusterTopic): Promise<void>;

  /**
   * Adds `delta` to the shared counter `name` and returns its new total (a node's share of a
   * cluster-wide usage, e.g. a tenant's bytes produced). Counters untouched for `ttlMs` are
   * forgotten (they start again from 0).
   */
  addUsage(name: string, delta: number, ttlMs: number): Promise<number>;

  /** Resolves when the backing store answers (readiness). */
  ping(): Promise<void>;

  close(): Promise<void>;
}
