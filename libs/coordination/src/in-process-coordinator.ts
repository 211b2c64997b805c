// The Coordinator for a single process (REDIS_URL unset): the same semantics as the Redis one,
// kept in Maps. Every method is async and takes effect at once, so an operation is atomic
// exactly as a Lua script is. Tickets expire by the injected clock, checked when they are taken
// (no timers); tickets never taken are swept as the map grows, so they cannot pile up.
import { assert, BrokerError, type Clock, systemClock } from '@tributary/common';
import {
  checkGroup,
  checkStoredNumber,
  checkTenantId,
  checkTicket,
  checkLease,
  checkVersion,
} from './coordinator-checks';
import {
  type ClusterTopic,
  type Coordinator,
  type GroupSnapshot,
  type GroupWrite,
  type Unsubscribe,
} from './coordinator';
import { GroupWatchers } from './group-watchers';

/** A group exists here only while it has a document; version is then at least 1. */
interface StoredGroup {
  version: number;
  document: string;
  liveness: Map<string, number>;
  positions: Map<string, number>;
}

interface StoredTicket {
  value: string;
  expiresAtMs: number;
}

/** Tickets held before the first sweep of expired ones. */
const TICKET_SWEEP_SIZE_MIN = 1_024;

export interface InProcessCoordinatorOptions {
  clock?: Clock;
}

export class InProcessCoordinator implements Coordinator {
  readonly kind = 'in-process';
  private readonly clock: Clock;
  /** tenantId -> groupId -> group */
  private readonly tenants = new Map<string, Map<string, StoredGroup>>();
  private readonly tickets = new Map<string, StoredTicket>();
  private ticketSweepSize = TICKET_SWEEP_SIZE_MIN;
  private readonly watchers = new GroupWatchers();
  /** Usage counters (one per tenant and direction with a rate quota: bounded by the tenants). */
  private readonly usage = new Map<string, number>();
  /** Lease name -> holder and expiry (monotonic ms). */
  private readonly leases = new Map<string, { owner: string; expiresAtMs: number }>();
  private closed = false;

  constructor(options: InProcessCoordinatorOptions = {}) {
    this.clock = options.clock ?? systemClock;
  }

  async readGroup(tenantId: string, groupId: string): Promise<GroupSnapshot> {
    this.checkOpen();
    checkGroup(tenantId, groupId);
    const group = this.tenants.get(tenantId)?.get(groupId);
    if (group === undefined) {
      return { version: 0, document: null, liveness: new Map(), positions: new Map() };
    }
    // Copies: a caller editing its snapshot must not edit the stored group.
    return {
      version: group.version,
      document: group.document,
      liveness: new Map(group.liveness),
      positions: new Map(group.positions),
    };
  }

  async writeGroup(
    tenantId: string,
    groupId: string,
    expectedVersion: number,
    write: GroupWrite,
  ): Promise<number | null> {
    this.checkOpen();
    checkGroup(tenantId, groupId);
    checkVersion(expectedVersion);
    for (const [memberId, deadlineMs] of write.setLiveness ?? []) {
      checkStoredNumber('session deadline of', memberId, deadlineMs);
    }
    const groups = this.tenants.get(tenantId);
    const group = groups?.get(groupId);
    if ((group?.version ?? 0) !== expectedVersion) return null;
    if (write.document === null) {
      groups?.delete(groupId);
      if (groups?.size === 0) this.tenants.delete(tenantId);
      return 0;
    }
    const stored = group ?? this.createGroup(tenantId, groupId);
    stored.version = expectedVersion + 1;
    stored.document = write.document;
    // Deletes before sets, in the same order as the Redis script.
    for (const memberId of write.deleteLiveness ?? []) stored.liveness.delete(memberId);
    for (const [memberId, deadlineMs] of write.setLiveness ?? []) {
      stored.liveness.set(memberId, deadlineMs);
    }
    for (const key of write.deletePositions ?? []) stored.positions.delete(key);
    return stored.version;
  }

  async touchMember(
    tenantId: string,
    groupId: string,
    memberId: string,
    deadlineMs: number,
  ): Promise<void> {
    this.checkOpen();
    checkGroup(tenantId, groupId);
    checkStoredNumber('session deadline of', memberId, deadlineMs);
    // A heartbeat racing the group's deletion must not leave liveness behind without a
    // document: the next group of that id would inherit it.
    this.tenants.get(tenantId)?.get(groupId)?.liveness.set(memberId, deadlineMs);
  }

  async setPositions(
    tenantId: string,
    groupId: string,
    expectedVersion: number,
    positions: ReadonlyMap<string, number>,
    options: { forwardOnly?: boolean } = {},
  ): Promise<boolean> {
    this.checkOpen();
    checkGroup(tenantId, groupId);
    checkVersion(expectedVersion);
    for (const [key, offset] of positions) checkStoredNumber('position', key, offset);
    const group = this.tenants.get(tenantId)?.get(groupId);
    // Version 0 has no document, so nothing to attach positions to.
    if (group === undefined || group.version !== expectedVersion) return false;
    for (const [key, offset] of positions) {
      const old = group.positions.get(key);
      if (options.forwardOnly !== true || old === undefined || offset > old) {
        group.positions.set(key, offset);
      }
    }
    return true;
  }

  async listGroups(tenantId: string): Promise<string[]> {
    this.checkOpen();
    checkTenantId(tenantId);
    return [...(this.tenants.get(tenantId)?.keys() ?? [])].sort();
  }

  async notifyGroup(tenantId: string, groupId: string): Promise<void> {
    this.checkOpen();
    checkGroup(tenantId, groupId);
    this.watchers.deliver(watchKey(tenantId, groupId));
  }

  watchGroup(tenantId: string, groupId: string, listener: () => void): Unsubscribe {
    this.checkOpen();
    checkGroup(tenantId, groupId);
    return this.watchers.add(watchKey(tenantId, groupId), listener);
  }

  /** Resolves at once: a watcher here hears every notification from the moment it is added. */
  async whenWatching(tenantId: string, groupId: string): Promise<void> {
    this.checkOpen();
    checkGroup(tenantId, groupId);
    const key = watchKey(tenantId, groupId);
    assert(this.watchers.has(key), `whenWatching(${groupId}) needs a watcher of the group`);
  }

  async putTicket(tenantId: string, token: string, value: string, ttlMs: number): Promise<void> {
    this.checkOpen();
    checkTicket(tenantId, token, ttlMs);
    if (this.tickets.size >= this.ticketSweepSize) this.sweepTickets();
    this.tickets.set(ticketKey(tenantId, token), {
      value,
      expiresAtMs: this.clock.monotonicMs() + ttlMs,
    });
  }

  async takeTicket(tenantId: string, token: string): Promise<string | null> {
    this.checkOpen();
    checkTicket(tenantId, token);
    const key = ticketKey(tenantId, token);
    const ticket = this.tickets.get(key);
    if (ticket === undefined) return null;
    this.tickets.delete(key);
    return this.clock.monotonicMs() < ticket.expiresAtMs ? ticket.value : null;
  }

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    this.checkOpen();
    checkLease(name, owner, ttlMs);
    const nowMs = this.clock.monotonicMs();
    const held = this.leases.get(name);
    if (held !== undefined && held.expiresAtMs > nowMs && held.owner !== owner) return false;
    this.leases.set(name, { owner, expiresAtMs: nowMs + ttlMs });
    return true;
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    this.checkOpen();
    if (this.leases.get(name)?.owner === owner) this.leases.delete(name);
  }

  async leaseHolders(names: readonly string[]): Promise<(string | null)[]> {
    this.checkOpen();
    const nowMs = this.clock.monotonicMs();
    return names.map((name) => {
      const held = this.leases.get(name);
      return held !== undefined && held.expiresAtMs > nowMs ? held.owner : null;
    });
  }

  async notifyCluster(topic: ClusterTopic): Promise<void> {
    this.checkOpen();
    this.watchers.deliver(clusterKey(topic));
  }

  watchCluster(topic: ClusterTopic, listener: () => void): Unsubscribe {
    this.checkOpen();
    return this.watchers.add(clusterKey(topic), listener);
  }

  async addUsage(name: string, delta: number, _ttlMs: number): Promise<number> {
    this.checkOpen();
    checkStoredNumber('usage delta of', name, delta);
    const total = (this.usage.get(name) ?? 0) + delta;
    this.usage.set(name, total);
    return total;
  }

  async whenWatchingCluster(topic: ClusterTopic): Promise<void> {
    this.checkOpen();
    assert(this.watchers.has(clusterKey(topic)), `whenWatchingCluster(${topic}) needs a watcher`);
  }

  async ping(): Promise<void> {
    this.checkOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watchers.clear();
  }

  private createGroup(tenantId: string, groupId: string): StoredGroup {
    let groups = this.tenants.get(tenantId);
    if (groups === undefined) this.tenants.set(tenantId, (groups = new Map<string, StoredGroup>()));
    const group: StoredGroup = {
      version: 0,
      document: '',
      liveness: new Map(),
      positions: new Map(),
    };
    groups.set(groupId, group);
    return group;
  }

  /** Drops expired tickets; the next sweep waits until the map doubles, so puts stay O(1). */
  private sweepTickets(): void {
    const nowMs = this.clock.monotonicMs();
    for (const [key, ticket] of this.tickets) {
      if (nowMs >= ticket.expiresAtMs) this.tickets.delete(key);
    }
    this.ticketSweepSize = Math.max(TICKET_SWEEP_SIZE_MIN, this.tickets.size * 2);
  }

  private checkOpen(): void {
    if (this.closed) throw new BrokerError('UNAVAILABLE', 'the coordinator is closed');
  }
}

// "\n" cannot appear in a tenant id (a uuid), so the two parts never run together.
const watchKey = (tenantId: string, groupId: string) => `${tenantId}\n${groupId}`;
const ticketKey = (tenantId: string, token: string) => `${tenantId}\n${token}`;
// Tenant ids are uuids: a key starting with "\n" is never a group's.
const clusterKey = (topic: ClusterTopic) => `\ncluster:${topic}`;
