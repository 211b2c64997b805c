// The Coordinator over Redis, shared by every gateway process of a cluster. Each group is four
// keys under its tenant, `${keyPrefix}t:${tenantId}:g:${groupId}:` + doc | ver | live | pos,
// plus the tenant's group index `${keyPrefix}t:${tenantId}:groups` (a set) that listGroups
// reads; tickets are `${keyPrefix}t:${tenantId}:ticket:${token}`. Every read or write that
// touches more than one key is one Lua script, so it is atomic and one round trip.
//
// Notifications are pub/sub on one channel per group, received on one subscriber connection
// per coordinator (opened on the first watch); the listeners of a group share one SUBSCRIBE.
// Notifications are hints: one lost while the subscriber reconnects costs a waiting poll its
// early wake-up, never correctness.
//
// Redis being down must answer UNAVAILABLE quickly rather than park requests: see
// REDIS_COORDINATOR_DEFAULTS for how each wait is bounded. Once a connection attempt has failed
// Redis is known to be away, and calls answer at once until a connection is ready again,
// instead of each waiting for the next attempt of the reconnect backoff.
import { assert, unavailable } from '@tributary/common';
import { Redis, type RedisOptions } from 'ioredis';
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
import { COORDINATION_UNAVAILABLE, coordinationOutage } from './redis-errors';

export const REDIS_COORDINATOR_DEFAULTS = {
  /** A TCP connect (or TLS handshake) that has not finished by then is abandoned and retried. */
  connectTimeoutMs: 2_000,
  /**
   * Hard bound on every command, counted from when it is issued, so also time spent queued
   * while disconnected; covers a server that accepts the connection but does not answer.
   */
  commandTimeoutMs: 5_000,
  /**
   * Commands queued while disconnected fail after this many failed reconnects (ioredis's
   * maxRetriesPerRequest). 1 rides out a single blip; a refused connection fails in ~100 ms.
   */
  reconnectsPerCommandMax: 1,
  /** Reconnects never stop (Redis coming back must heal the process); this caps the backoff. */
  reconnectDelayMsMax: 2_000,
  /**
   * How long a disconnected socket may take to close politely before it is destroyed. ioredis
   * waits 2 s by default, even for a socket that is already dead, and keeps the process alive
   * that long after close().
   */
  disconnectGraceMs: 500,
} as const;

const noop = () => undefined;

// KEYS: document, version, liveness, positions. Read-only.
const READ_GROUP = `
return {
  redis.call('GET', KEYS[1]),
  redis.call('GET', KEYS[2]),
  redis.call('HGETALL', KEYS[3]),
  redis.call('HGETALL', KEYS[4]),
}`;

// KEYS: document, version, liveness, positions, tenant's group index.
// ARGV: expectedVersion, groupId, 'put' | 'delete', document,
//       n, memberId x n (liveness to delete), n, (memberId, deadline) x n (liveness to set),
//       n, key x n (positions to delete).
// Returns the new version, 0 after a delete, -1 when the version moved.
// Fields are written one call each rather than with unpack(), which fails past Lua's stack limit
// (~8000 values) on a large group.
const WRITE_GROUP = `
local current = tonumber(redis.call('GET', KEYS[2]) or '0')
if current ~= tonumber(ARGV[1]) then return -1 end
if ARGV[3] == 'delete' then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
  redis.call('SREM', KEYS[5], ARGV[2])
  return 0
end
local version = current + 1
redis.call('SET', KEYS[1], ARGV[4])
redis.call('SET', KEYS[2], version)
redis.call('SADD', KEYS[5], ARGV[2])
local i = 5
local n = tonumber(ARGV[i])
for j = i + 1, i + n do redis.call('HDEL', KEYS[3], ARGV[j]) end
i = i + n + 1
n = tonumber(ARGV[i])
for j = i + 1, i + 2 * n, 2 do redis.call('HSET', KEYS[3], ARGV[j], ARGV[j + 1]) end
i = i + 2 * n + 1
n = tonumber(ARGV[i])
for j = i + 1, i + n do redis.call('HDEL', KEYS[4], ARGV[j]) end
return version`;

// KEYS: version, positions. ARGV: expectedVersion, 'any' | 'forward', (key, offset) x n.
// Returns 1 when written, 0 when the version moved or there is no document (version 0).
// 'forward': a position only moves forward.
const SET_POSITIONS = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current == 0 or current ~= tonumber(ARGV[1]) then return 0 end
local forward = ARGV[2] == 'forward'
for j = 3, #ARGV, 2 do
  local old = forward and redis.call('HGET', KEYS[2], ARGV[j])
  if not old or tonumber(ARGV[j + 1]) > tonumber(old) then
    redis.call('HSET', KEYS[2], ARGV[j], ARGV[j + 1])
  end
end
return 1`;

// KEYS: version, liveness. ARGV: memberId, deadline.
// Only while the group has a document: a heartbeat racing the group's deletion must not leave a
// liveness hash behind for the next group of that id to inherit.
const TOUCH_MEMBER = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1`;

// KEYS: lease. ARGV: owner, ttl ms. Takes a free lease or extends one the owner holds.
const ACQUIRE_LEASE = `
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

// KEYS: lease. ARGV: owner.
const RELEASE_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0`;

/** The commands defineCommand adds (ioredis cannot type them). */
interface ScriptCommands {
  trbAcquireLease(...keysAndArgs: string[]): Promise<unknown>;
  trbReleaseLease(...keysAndArgs: string[]): Promise<unknown>;
  trbReadGroup(...keys: string[]): Promise<unknown>;
  trbWriteGroup(...keysAndArgs: string[]): Promise<unknown>;
  trbSetPositions(...keysAndArgs: string[]): Promise<unknown>;
  trbTouchMember(...keysAndArgs: string[]): Promise<unknown>;
}

export interface RedisCoordinatorOptions {
  /** redis:// or rediss:// URL (credentials and database number included). */
  url: string;
  /** Put before every key and channel, e.g. "trb:"; lets several deployments share a Redis. */
  keyPrefix: string;
}

interface GroupKeys {
  document: string;
  version: string;
  liveness: string;
  positions: string;
  index: string;
  channel: string;
}

export class RedisCoordinator implements Coordinator {
  readonly kind = 'redis';
  private readonly client: Redis & ScriptCommands;
  private subscriber: Redis | undefined;
  /** channel -> the SUBSCRIBE's acknowledgement; absent when it failed and must be redone. */
  private readonly subscriptions = new Map<string, Promise<void>>();
  /** Channels whose last watcher left while the subscriber was disconnected. */
  private readonly leftWhileAway = new Set<string>();
  private readonly watchers = new GroupWatchers({
    first: (channel) => void this.subscribe(channel),
    last: (channel) => this.unsubscribe(channel),
  });
  private readonly keyPrefix: string;
  private closed = false;
  /** A connection attempt failed and none has succeeded since. */
  private away = false;

  constructor(options: RedisCoordinatorOptions) {
    this.keyPrefix = options.keyPrefix;
    const client = new Redis(options.url, redisOptions());
    // Connection errors reach callers as rejected commands (UNAVAILABLE); without a listener
    // ioredis would also print every reconnect failure to stderr. An error while not ready is
    // a connection attempt that failed; one on a ready connection may be a blip, which the
    // offline queue rides out.
    client.on('error', () => {
      if (client.status !== 'ready') this.away = true;
    });
    client.on('ready', () => (this.away = false));
    client.defineCommand('trbReadGroup', { lua: READ_GROUP, numberOfKeys: 4, readOnly: true });
    client.defineCommand('trbWriteGroup', { lua: WRITE_GROUP, numberOfKeys: 5 });
    client.defineCommand('trbSetPositions', { lua: SET_POSITIONS, numberOfKeys: 2 });
    client.defineCommand('trbTouchMember', { lua: TOUCH_MEMBER, numberOfKeys: 2 });
    client.defineCommand('trbAcquireLease', { lua: ACQUIRE_LEASE, numberOfKeys: 1 });
    client.defineCommand('trbReleaseLease', { lua: RELEASE_LEASE, numberOfKeys: 1 });
    this.client = client as Redis & ScriptCommands;
  }

  async readGroup(tenantId: string, groupId: string): Promise<GroupSnapshot> {
    checkGroup(tenantId, groupId);
    const k = this.groupKeys(tenantId, groupId);
    const reply = await this.run(() =>
      this.client.trbReadGroup(k.document, k.version, k.liveness, k.positions),
    );
    return parseSnapshot(reply);
  }

  async writeGroup(
    tenantId: string,
    groupId: string,
    expectedVersion: number,
    write: GroupWrite,
  ): Promise<number | null> {
    checkGroup(tenantId, groupId);
    checkVersion(expectedVersion);
    const k = this.groupKeys(tenantId, groupId);
    const args = [k.document, k.version, k.liveness, k.positions, k.index];
    args.push(String(expectedVersion), groupId);
    if (write.document === null) {
      args.push('delete', '', '0', '0', '0');
    } else {
      const deleteLiveness = write.deleteLiveness ?? [];
      const setLiveness = [...(write.setLiveness ?? [])];
      const deletePositions = write.deletePositions ?? [];
      args.push('put', write.document);
      args.push(String(deleteLiveness.length), ...deleteLiveness);
      args.push(String(setLiveness.length));
      for (const [memberId, deadlineMs] of setLiveness) {
        checkStoredNumber('session deadline of', memberId, deadlineMs);
        args.push(memberId, String(deadlineMs));
      }
      args.push(String(deletePositions.length), ...deletePositions);
    }
    const reply = await this.run(() => this.client.trbWriteGroup(...args));
    assert(typeof reply === 'number', 'the writeGroup script answers a number');
    if (reply === -1) return null;
    assert(
      reply === (write.document === null ? 0 : expectedVersion + 1),
      () => `writeGroup at version ${expectedVersion} answered version ${reply}`,
    );
    return reply;
  }

  async touchMember(
    tenantId: string,
    groupId: string,
    memberId: string,
    deadlineMs: number,
  ): Promise<void> {
    checkGroup(tenantId, groupId);
    checkStoredNumber('session deadline of', memberId, deadlineMs);
    const k = this.groupKeys(tenantId, groupId);
    await this.run(() =>
      this.client.trbTouchMember(k.version, k.liveness, memberId, String(deadlineMs)),
    );
  }

  async setPositions(
    tenantId: string,
    groupId: string,
    expectedVersion: number,
    positions: ReadonlyMap<string, number>,
    options: { forwardOnly?: boolean } = {},
  ): Promise<boolean> {
    checkGroup(tenantId, groupId);
    checkVersion(expectedVersion);
    const k = this.groupKeys(tenantId, groupId);
    const mode = options.forwardOnly === true ? 'forward' : 'any';
    const args = [k.version, k.positions, String(expectedVersion), mode];
    for (const [key, offset] of positions) {
      checkStoredNumber('position', key, offset);
      args.push(key, String(offset));
    }
    const reply = await this.run(() => this.client.trbSetPositions(...args));
    assert(reply === 0 || reply === 1, 'the setPositions script answers 0 or 1');
    return reply === 1;
  }

  async listGroups(tenantId: string): Promise<string[]> {
    checkTenantId(tenantId);
    const groups = await this.run(() => this.client.smembers(this.tenantKey(tenantId, 'groups')));
    return groups.sort();
  }

  async notifyGroup(tenantId: string, groupId: string): Promise<void> {
    checkGroup(tenantId, groupId);
    const { channel } = this.groupKeys(tenantId, groupId);
    // The message is empty: a listener reads the group itself. This process's own watchers hear
    // it through the subscriber like everyone else's, so they are not woken twice.
    await this.run(() => this.client.publish(channel, ''));
  }

  watchGroup(tenantId: string, groupId: string, listener: () => void): Unsubscribe {
    this.checkOpen();
    checkGroup(tenantId, groupId);
    return this.watchers.add(this.groupKeys(tenantId, groupId).channel, listener);
  }

  /**
   * Resolves once notifications for the group reach this process's watchers, i.e. its
   * SUBSCRIBE is acknowledged (it retries one that failed). A caller that must not miss a
   * change between watching and reading awaits this before it reads.
   */
  async whenWatching(tenantId: string, groupId: string): Promise<void> {
    checkGroup(tenantId, groupId);
    const { channel } = this.groupKeys(tenantId, groupId);
    assert(this.watchers.has(channel), `whenWatching(${groupId}) needs a watcher of the group`);
    await this.run(() => this.subscriptions.get(channel) ?? this.subscribe(channel));
  }

  async putTicket(tenantId: string, token: string, value: string, ttlMs: number): Promise<void> {
    checkTicket(tenantId, token, ttlMs);
    const key = this.tenantKey(tenantId, `ticket:${token}`);
    await this.run(() => this.client.set(key, value, 'PX', ttlMs));
  }

  async takeTicket(tenantId: string, token: string): Promise<string | null> {
    checkTicket(tenantId, token);
    const key = this.tenantKey(tenantId, `ticket:${token}`);
    return this.run(() => this.client.getdel(key));
  }

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    checkLease(name, owner, ttlMs);
    const key = this.leaseKey(name);
    const reply = await this.run(() => this.client.trbAcquireLease(key, owner, String(ttlMs)));
    assert(reply === 0 || reply === 1, 'the acquireLease script answers 0 or 1');
    return reply === 1;
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    await this.run(() => this.client.trbReleaseLease(this.leaseKey(name), owner));
  }

  async leaseHolders(names: readonly string[]): Promise<(string | null)[]> {
    if (names.length === 0) return [];
    return this.run(() => this.client.mget(...names.map((name) => this.leaseKey(name))));
  }

  async addUsage(name: string, delta: number, ttlMs: number): Promise<number> {
    checkStoredNumber('usage delta of', name, delta);
    const key = `${this.keyPrefix}usage:${name}`;
    const replies = await this.run(() =>
      this.client.multi().incrby(key, delta).pexpire(key, ttlMs).exec(),
    );
    const [error, total] = replies?.[0] ?? [new Error('no reply'), undefined];
    if (error !== null) throw coordinationOutage(error) ?? error;
    assert(typeof total === 'number', 'INCRBY answers a number');
    return total;
  }

  async notifyCluster(topic: ClusterTopic): Promise<void> {
    await this.run(() => this.client.publish(this.clusterChannel(topic), ''));
  }

  watchCluster(topic: ClusterTopic, listener: () => void): Unsubscribe {
    this.checkOpen();
    return this.watchers.add(this.clusterChannel(topic), listener);
  }

  async whenWatchingCluster(topic: ClusterTopic): Promise<void> {
    const channel = this.clusterChannel(topic);
    assert(this.watchers.has(channel), `whenWatchingCluster(${topic}) needs a watcher`);
    await this.run(() => this.subscriptions.get(channel) ?? this.subscribe(channel));
  }

  /** Waits for Redis's own answer even while it is known away: a probe reports what is now. */
  async ping(): Promise<void> {
    await this.run(() => this.client.ping(), false);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watchers.clear();
    this.subscriptions.clear();
    this.leftWhileAway.clear();
    await Promise.all([closeClient(this.client), closeClient(this.subscriber)]);
  }

  private subscriberClient(): Redis {
    if (this.subscriber !== undefined) return this.subscriber;
    const subscriber = this.client.duplicate();
    subscriber.on('error', noop);
    subscriber.on('message', (channel: string) => this.watchers.deliver(channel));
    // ioredis emits 'ready' before it resubscribes what was acknowledged earlier
    // (autoResubscribe) and sends its offline queue; running after those keeps our commands
    // behind theirs on the connection.
    subscriber.on('ready', () => queueMicrotask(() => this.reconcileSubscriptions()));
    this.subscriber = subscriber;
    return subscriber;
  }

  /**
   * After a (re)connect: redoes the SUBSCRIBEs that failed while Redis was away, so no watcher
   * stays deaf, and drops the channels left while it was away, which ioredis has just
   * resubscribed.
   */
  private reconcileSubscriptions(): void {
    if (this.closed || this.subscriber?.status !== 'ready') return;
    for (const channel of this.watchers.keys()) {
      if (!this.subscriptions.has(channel)) void this.subscribe(channel);
    }
    for (const channel of this.leftWhileAway) {
      if (!this.watchers.has(channel)) void this.subscriber.unsubscribe(channel).catch(noop);
    }
    this.leftWhileAway.clear();
  }

  /** The returned promise is already handled: callers may drop it or await it. */
  private subscribe(channel: string): Promise<void> {
    const acked = this.subscriberClient()
      .subscribe(channel)
      .then(() => undefined);
    this.subscriptions.set(channel, acked);
    void acked.catch(() => {
      if (this.subscriptions.get(channel) === acked) this.subscriptions.delete(channel);
    });
    return acked;
  }

  private unsubscribe(channel: string): void {
    this.subscriptions.delete(channel);
    const subscriber = this.subscriber;
    if (subscriber === undefined) return;
    if (subscriber.status !== 'ready') {
      // Queued, it would wait out the outage (and outlive close); the next ready sends it.
      this.leftWhileAway.add(channel);
      return;
    }
    // A failed UNSUBSCRIBE leaves a subscription whose messages find no watcher and are dropped.
    void subscriber.unsubscribe(channel).catch(noop);
  }

  /** Runs one Redis call, turning "Redis is not there" into UNAVAILABLE. */
  private async run<T>(call: () => Promise<T>, failFast = true): Promise<T> {
    this.checkOpen();
    if (failFast && this.away && this.client.status !== 'ready') {
      throw unavailable(COORDINATION_UNAVAILABLE);
    }
    try {
      return await call();
    } catch (error) {
      throw coordinationOutage(error) ?? error;
    }
  }

  private checkOpen(): void {
    if (this.closed) throw unavailable('the coordinator is closed');
  }

  private leaseKey(name: string): string {
    return `${this.keyPrefix}lease:${name}`;
  }

  private clusterChannel(topic: ClusterTopic): string {
    return `${this.keyPrefix}cluster:${topic}`;
  }

  private tenantKey(tenantId: string, rest: string): string {
    return `${this.keyPrefix}t:${tenantId}:${rest}`;
  }

  private groupKeys(tenantId: string, groupId: string): GroupKeys {
    // The group id may hold any character: the fixed suffix after it keeps keys unambiguous.
    const group = this.tenantKey(tenantId, `g:${groupId}:`);
    return {
      document: `${group}doc`,
      version: `${group}ver`,
      liveness: `${group}live`,
      positions: `${group}pos`,
      index: this.tenantKey(tenantId, 'groups'),
      channel: `${group}changed`,
    };
  }
}

function redisOptions(): RedisOptions {
  const d = REDIS_COORDINATOR_DEFAULTS;
  return {
    // Connect on the first command, so constructing a coordinator does no I/O.
    lazyConnect: true,
    connectTimeout: d.connectTimeoutMs,
    commandTimeout: d.commandTimeoutMs,
    maxRetriesPerRequest: d.reconnectsPerCommandMax,
    // Kept on (the default) so commands issued while the first connection or a quick reconnect
    // is under way wait for it instead of failing; commandTimeout and maxRetriesPerRequest
    // bound that wait.
    enableOfflineQueue: true,
    retryStrategy: (attempt) => Math.min(attempt * 100, d.reconnectDelayMsMax),
    disconnectTimeout: d.disconnectGraceMs,
  };
}

async function closeClient(client: Redis | undefined): Promise<void> {
  if (client === undefined || client.status === 'end') return;
  if (client.status !== 'ready') {
    // Nothing to flush politely; disconnect also stops the reconnect timer.
    client.disconnect();
    return;
  }
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

function parseSnapshot(reply: unknown): GroupSnapshot {
  assert(
    Array.isArray(reply) && reply.length === 4,
    'the readGroup script answers [document, version, liveness, positions]',
  );
  const [document, version, liveness, positions] = reply as unknown[];
  assert(document === null || typeof document === 'string', 'a group document is a string');
  assert(version === null || typeof version === 'string', 'a group version is a string');
  const parsedVersion = version === null ? 0 : Number(version);
  checkVersion(parsedVersion);
  assert(
    (document === null) === (parsedVersion === 0),
    () => `a group has a document exactly when its version is above 0 (version ${version})`,
  );
  return {
    version: parsedVersion,
    document,
    liveness: parseNumbers('session deadline of', liveness),
    positions: parseNumbers('position', positions),
  };
}

/** HGETALL's flat [field, value, ...] answer, values parsed back to numbers. */
function parseNumbers(what: string, reply: unknown): Map<string, number> {
  assert(Array.isArray(reply) && reply.length % 2 === 0, 'HGETALL answers field-value pairs');
  const fields = reply as unknown[];
  const parsed = new Map<string, number>();
  for (let i = 0; i < fields.length; i += 2) {
    const field = fields[i];
    const value = fields[i + 1];
    assert(typeof field === 'string' && typeof value === 'string', 'hash fields are strings');
    const number = Number(value);
    checkStoredNumber(what, field, number);
    parsed.set(field, number);
  }
  return parsed;
}
