// One suite for every Coordinator: the in-process one and the Redis one (a real Redis at
// TEST_REDIS_URL, under a key prefix of its own that is removed afterwards) must behave the
// same. Each test works in fresh tenants, so tests share one pair of coordinators.
//
// "a" and "b" are two coordinators on one store: for Redis two instances (two processes, as far
// as Redis can tell); in-process there is only one store, so both are the same instance.
import { randomUUID } from 'node:crypto';
import { ManualClock, waitUntil } from '@tributary/common';
import { Redis } from 'ioredis';
import { type Coordinator } from './coordinator';
import { InProcessCoordinator } from './in-process-coordinator';
import { RedisCoordinator } from './redis-coordinator';
import { FaultProxy } from '../../../test/support/fault-proxy';
import {
  deleteKeys,
  scanKeys,
  TEST_REDIS_URL as REDIS_URL,
  testRedis,
} from '../../../test/support/redis';

type TestCoordinator = Coordinator & {
  whenWatching(tenantId: string, groupId: string): Promise<void>;
};

interface Harness {
  a: TestCoordinator;
  b: TestCoordinator;
  /** A coordinator of its own on the same kind of store (to close it). */
  openSolo(): TestCoordinator;
  cleanup(): Promise<void>;
}

function openInProcess(): Harness {
  const coordinator = new InProcessCoordinator();
  return {
    a: coordinator,
    b: coordinator,
    openSolo: () => new InProcessCoordinator(),
    cleanup: () => coordinator.close(),
  };
}

function openRedis(): Harness {
  const keyPrefix = testPrefix();
  const opened: RedisCoordinator[] = [];
  const open = () => {
    const coordinator = new RedisCoordinator({ url: REDIS_URL, keyPrefix });
    opened.push(coordinator);
    return coordinator;
  };
  return {
    a: open(),
    b: open(),
    openSolo: open,
    cleanup: async () => {
      await Promise.all(opened.map((c) => c.close()));
      await deleteKeys(keyPrefix);
    },
  };
}

const testPrefix = () => testRedis().keyPrefix;

/** A listener and a way to wait for its next call (the event, not a sleep). */
function recorder() {
  let calls = 0;
  let waiting: { count: number; resolve: () => void }[] = [];
  const listener = () => {
    calls += 1;
    const ready = waiting.filter((w) => calls >= w.count);
    waiting = waiting.filter((w) => calls < w.count);
    for (const w of ready) w.resolve();
  };
  return {
    listener,
    get calls() {
      return calls;
    },
    /** Resolves when the listener has been called `count` times in all. */
    called(count = calls + 1): Promise<void> {
      if (calls >= count) return Promise.resolve();
      return new Promise((resolve) => waiting.push({ count, resolve }));
    },
  };
}

const UNAVAILABLE = { name: 'BrokerError', code: 'UNAVAILABLE', retriable: true };

describe.each([
  ['in-process', openInProcess],
  ['redis', openRedis],
])('%s coordinator', (_kind, open) => {
  let h: Harness;
  let a: TestCoordinator;
  let b: TestCoordinator;
  beforeAll(() => {
    h = open();
    ({ a, b } = h);
  });
  afterAll(() => h.cleanup());

  const tenant = () => randomUUID();
  const doc = (text: string) => ({ document: text });

  it('grants a lease to one owner at a time, extends it for its holder, and frees it when released or expired', async () => {
    const name = `lease-${randomUUID()}`;
    expect(await a.acquireLease(name, 'node-1', 60_000)).toBe(true);
    expect(await b.acquireLease(name, 'node-2', 60_000)).toBe(false);
    expect(await a.acquireLease(name, 'node-1', 60_000)).toBe(true); // renewal
    expect(await b.leaseHolders([name, `${name}-none`])).toEqual(['node-1', null]);
    await b.releaseLease(name, 'node-2'); // not its lease: nothing happens
    expect(await a.leaseHolders([name])).toEqual(['node-1']);
    await a.releaseLease(name, 'node-1');
    expect(await b.acquireLease(name, 'node-2', 50)).toBe(true);
    await waitUntil(
      async () => (await a.leaseHolders([name]))[0] === null,
      'the lease expired',
      5_000,
    );
    expect(await a.acquireLease(name, 'node-1', 60_000)).toBe(true);
  });

  it('adds usage to a shared counter and answers its total', async () => {
    const name = `usage-${randomUUID()}`;
    expect(await a.addUsage(name, 100, 60_000)).toBe(100);
    expect(await b.addUsage(name, 0, 60_000)).toBe(100);
    expect(await b.addUsage(name, 25, 60_000)).toBe(125);
  });

  it('delivers cluster notifications to every watcher, from any coordinator', async () => {
    const heard = recorder();
    const stop = b.watchCluster('metadata', heard.listener);
    await b.whenWatchingCluster('metadata');
    await a.notifyCluster('metadata');
    await heard.called(1);
    await a.notifyCluster('brokers'); // another topic: not heard
    await a.notifyCluster('metadata');
    await heard.called(2);
    stop();
    expect(heard.calls).toBe(2);
  });

  it('answers ping', async () => {
    await expect(a.ping()).resolves.toBeUndefined();
  });

  it('reads a group that was never written as version 0 with nothing in it', async () => {
    expect(await a.readGroup(tenant(), 'g')).toEqual({
      version: 0,
      document: null,
      liveness: new Map(),
      positions: new Map(),
    });
  });

  it('writes with compare-and-set, raising the version by one each time', async () => {
    const t = tenant();
    expect(await a.writeGroup(t, 'g', 0, doc('v1'))).toBe(1);
    expect(await b.writeGroup(t, 'g', 1, doc('v2'))).toBe(2);
    expect(await a.readGroup(t, 'g')).toMatchObject({ version: 2, document: 'v2' });
  });

  it('refuses a write at a stale version and changes nothing', async () => {
    const t = tenant();
    await a.writeGroup(t, 'g', 0, { document: 'v1', setLiveness: new Map([['m1', 100]]) });
    await a.writeGroup(t, 'g', 1, doc('v2'));
    expect(await b.writeGroup(t, 'g', 1, { document: 'lost', deleteLiveness: ['m1'] })).toBe(null);
    expect(await b.writeGroup(t, 'g', 0, doc('again'))).toBe(null);
    expect(await b.writeGroup(t, 'g', 3, { document: null })).toBe(null);
    expect(await a.readGroup(t, 'g')).toEqual({
      version: 2,
      document: 'v2',
      liveness: new Map([['m1', 100]]),
      positions: new Map(),
    });
  });

  it('lets exactly one of two concurrent writes at the same version win', async () => {
    const t = tenant();
    await a.writeGroup(t, 'g', 0, doc('base'));
    const results = await Promise.all([
      a.writeGroup(t, 'g', 1, doc('from a')),
      b.writeGroup(t, 'g', 1, doc('from b')),
    ]);
    expect(results.filter((r) => r === 2)).toHaveLength(1);
    expect(results.filter((r) => r === null)).toHaveLength(1);
    const winner = results[0] === 2 ? 'from a' : 'from b';
    expect(await b.readGroup(t, 'g')).toMatchObject({ version: 2, document: winner });
  });

  it('loses no increment when many writers retry on conflict', async () => {
    const t = tenant();
    const writers = 8;
    const increment = async (c: Coordinator) => {
      for (;;) {
        const snapshot = await c.readGroup(t, 'counter');
        const next = String(Number(snapshot.document ?? '0') + 1);
        if ((await c.writeGroup(t, 'counter', snapshot.version, doc(next))) !== null) return;
      }
    };
    await Promise.all(Array.from({ length: writers }, (_, i) => increment(i % 2 ? a : b)));
    expect(await a.readGroup(t, 'counter')).toMatchObject({
      version: writers,
      document: String(writers),
    });
  });

  it('sets and deletes liveness and deletes positions in a write', async () => {
    const t = tenant();
    const setLiveness = new Map([
      ['m1', 1_700_000_010_000],
      ['m2', 1_700_000_020_000],
    ]);
    await a.writeGroup(t, 'g', 0, { document: 'd', setLiveness });
    await a.setPositions(
      t,
      'g',
      1,
      new Map([
        ['topic:0', 5],
        ['topic:1', 7],
      ]),
    );
    expect(
      await a.writeGroup(t, 'g', 1, {
        document: 'd2',
        setLiveness: new Map([['m3', 1_700_000_030_000]]),
        deleteLiveness: ['m1', 'not-a-member'],
        deletePositions: ['topic:0'],
      }),
    ).toBe(2);
    expect(await b.readGroup(t, 'g')).toEqual({
      version: 2,
      document: 'd2',
      liveness: new Map([
        ['m2', 1_700_000_020_000],
        ['m3', 1_700_000_030_000],
      ]),
      positions: new Map([['topic:1', 7]]),
    });
  });

  it('touches a member without a version check or a version change', async () => {
    const t = tenant();
    await a.writeGroup(t, 'g', 0, { document: 'd', setLiveness: new Map([['m1', 10]]) });
    await b.touchMember(t, 'g', 'm1', 20);
    await b.touchMember(t, 'g', 'm2', 30);
    expect(await a.readGroup(t, 'g')).toMatchObject({
      version: 1,
      liveness: new Map([
        ['m1', 20],
        ['m2', 30],
      ]),
    });
  });

  it('does not let a heartbeat bring back liveness for a group without a document', async () => {
    const t = tenant();
    await a.touchMember(t, 'g', 'm1', 20);
    expect(await a.readGroup(t, 'g')).toMatchObject({ version: 0, liveness: new Map() });
    expect(await a.writeGroup(t, 'g', 0, doc('d'))).toBe(1);
    expect((await a.readGroup(t, 'g')).liveness).toEqual(new Map());
  });

  it('deletes document, liveness, positions and the index entry together', async () => {
    const t = tenant();
    await a.writeGroup(t, 'g', 0, { document: 'd', setLiveness: new Map([['m1', 10]]) });
    await a.setPositions(t, 'g', 1, new Map([['topic:0', 3]]));
    await a.writeGroup(t, 'other', 0, doc('stays'));
    expect(
      await b.writeGroup(t, 'g', 1, { document: null, setLiveness: new Map([['m2', 1]]) }),
    ).toBe(0);
    expect(await a.readGroup(t, 'g')).toEqual({
      version: 0,
      document: null,
      liveness: new Map(),
      positions: new Map(),
    });
    expect(await a.listGroups(t)).toEqual(['other']);
    // A group of the same id starts from nothing.
    expect(await a.writeGroup(t, 'g', 0, doc('new'))).toBe(1);
    expect(await a.readGroup(t, 'g')).toEqual({
      version: 1,
      document: 'new',
      liveness: new Map(),
      positions: new Map(),
    });
  });

  it('fences positions on the version the caller read', async () => {
    const t = tenant();
    await a.writeGroup(t, 'g', 0, doc('d'));
    const largest = Number.MAX_SAFE_INTEGER;
    expect(
      await a.setPositions(
        t,
        'g',
        1,
        new Map([
          ['topic:0', 0],
          ['topic:1', largest],
        ]),
      ),
    ).toBe(true);
    await b.writeGroup(t, 'g', 1, doc('reassigned'));
    expect(
      await a.setPositions(
        t,
        'g',
        1,
        new Map([
          ['topic:0', 99],
          ['topic:2', 1],
        ]),
      ),
    ).toBe(false);
    expect((await a.readGroup(t, 'g')).positions).toEqual(
      new Map([
        ['topic:0', 0],
        ['topic:1', largest],
      ]),
    );
    expect(await a.setPositions(t, 'g', 2, new Map([['topic:0', 12]]))).toBe(true);
    expect((await b.readGroup(t, 'g')).positions.get('topic:0')).toBe(12);
  });

  it('moves positions only forward when asked to, and anywhere otherwise', async () => {
    const t = tenant();
    await a.writeGroup(t, 'g', 0, doc('d'));
    const forward = { forwardOnly: true };
    expect(await a.setPositions(t, 'g', 1, new Map([['topic:0', 1348]]), forward)).toBe(true);
    // A slower poll that read earlier ends last: it cannot move topic:0 back; new keys are set.
    expect(
      await b.setPositions(
        t,
        'g',
        1,
        new Map([
          ['topic:0', 1347],
          ['topic:1', 5],
        ]),
        forward,
      ),
    ).toBe(true);
    expect((await a.readGroup(t, 'g')).positions).toEqual(
      new Map([
        ['topic:0', 1348],
        ['topic:1', 5],
      ]),
    );
    await b.setPositions(t, 'g', 1, new Map([['topic:0', 1350]]), forward);
    expect((await a.readGroup(t, 'g')).positions.get('topic:0')).toBe(1350);
    // A seek moves it anywhere.
    await a.setPositions(t, 'g', 1, new Map([['topic:0', 10]]));
    expect((await b.readGroup(t, 'g')).positions.get('topic:0')).toBe(10);
  });

  it('writes no positions for a group without a document', async () => {
    const t = tenant();
    expect(await a.setPositions(t, 'g', 0, new Map([['topic:0', 1]]))).toBe(false);
    expect(await a.readGroup(t, 'g')).toMatchObject({ version: 0, positions: new Map() });
    expect(await a.listGroups(t)).toEqual([]);
  });

  it('lists the groups with a document, sorted, per tenant', async () => {
    const [t1, t2] = [tenant(), tenant()];
    for (const g of ['orders', 'Audit', 'billing', 'b:with:colons']) {
      await a.writeGroup(t1, g, 0, doc(g));
    }
    await a.writeGroup(t2, 'zeta', 0, doc('z'));
    expect(await b.listGroups(t1)).toEqual(['Audit', 'b:with:colons', 'billing', 'orders']);
    expect(await b.listGroups(t2)).toEqual(['zeta']);
    expect(await b.listGroups(tenant())).toEqual([]);
  });

  it('keeps the same group id under two tenants apart', async () => {
    const [t1, t2] = [tenant(), tenant()];
    await a.writeGroup(t1, 'g', 0, { document: 'one', setLiveness: new Map([['m', 1]]) });
    await a.setPositions(t1, 'g', 1, new Map([['topic:0', 1]]));
    expect(await b.readGroup(t2, 'g')).toMatchObject({ version: 0, document: null });
    expect(await b.writeGroup(t2, 'g', 0, doc('two'))).toBe(1);
    expect(await b.writeGroup(t2, 'g', 1, { document: null })).toBe(0);
    expect(await a.readGroup(t1, 'g')).toEqual({
      version: 1,
      document: 'one',
      liveness: new Map([['m', 1]]),
      positions: new Map([['topic:0', 1]]),
    });
  });

  it('delivers a notification from one coordinator to a watcher on another', async () => {
    const t = tenant();
    const heard = recorder();
    const stop = b.watchGroup(t, 'g', heard.listener);
    await b.whenWatching(t, 'g');
    await a.notifyGroup(t, 'g');
    await heard.called(1);
    await a.notifyGroup(t, 'g');
    await heard.called(2);
    stop();
  });

  it('never runs a listener inside the notifying call', async () => {
    const t = tenant();
    const heard = recorder();
    const stop = a.watchGroup(t, 'g', heard.listener);
    await a.whenWatching(t, 'g');
    const notified = a.notifyGroup(t, 'g');
    expect(heard.calls).toBe(0);
    await notified;
    await heard.called(1);
    stop();
  });

  it('keeps delivering to the other listeners of a group when one unsubscribes', async () => {
    const t = tenant();
    const [first, second] = [recorder(), recorder()];
    const stopFirst = b.watchGroup(t, 'g', first.listener);
    const stopSecond = b.watchGroup(t, 'g', second.listener);
    await b.whenWatching(t, 'g');
    stopFirst();
    stopFirst(); // twice: must not take the second listener's share of the subscription
    await a.notifyGroup(t, 'g');
    await second.called(1);
    expect(first.calls).toBe(0);
    stopSecond();
  });

  it('stops delivery when the last listener of a group unsubscribes', async () => {
    const t = tenant();
    const [gone, marker] = [recorder(), recorder()];
    b.watchGroup(t, 'gone', gone.listener)();
    // Notifications reach b in the order a sent them, so once the marker group's arrives, the
    // one for the unsubscribed group would have arrived before it.
    const stopMarker = b.watchGroup(t, 'marker', marker.listener);
    await b.whenWatching(t, 'marker');
    await a.notifyGroup(t, 'gone');
    await a.notifyGroup(t, 'marker');
    await marker.called(1);
    expect(gone.calls).toBe(0);
    // Watching again after the unsubscribe works.
    const stopAgain = b.watchGroup(t, 'gone', gone.listener);
    await b.whenWatching(t, 'gone');
    await a.notifyGroup(t, 'gone');
    await gone.called(1);
    stopAgain();
    stopMarker();
  });

  it('keeps notifications of the same group id in two tenants apart', async () => {
    const [t1, t2] = [tenant(), tenant()];
    const [one, two] = [recorder(), recorder()];
    const stops = [b.watchGroup(t1, 'g', one.listener), b.watchGroup(t2, 'g', two.listener)];
    await Promise.all([b.whenWatching(t1, 'g'), b.whenWatching(t2, 'g')]);
    await a.notifyGroup(t1, 'g');
    await a.notifyGroup(t2, 'g');
    await two.called(1);
    await one.called(1);
    expect([one.calls, two.calls]).toEqual([1, 1]);
    for (const stop of stops) stop();
  });

  it('hands a ticket out once', async () => {
    const t = tenant();
    await a.putTicket(t, 'tok', 'value', 60_000);
    expect(await b.takeTicket(tenant(), 'tok')).toBe(null);
    expect(await b.takeTicket(t, 'tok')).toBe('value');
    expect(await a.takeTicket(t, 'tok')).toBe(null);
    expect(await a.takeTicket(t, 'never-put')).toBe(null);
  });

  it('refuses every call once closed', async () => {
    const solo = h.openSolo();
    await solo.ping();
    await solo.close();
    await solo.close();
    for (const call of [
      () => solo.ping(),
      () => solo.readGroup(tenant(), 'g'),
      () => solo.writeGroup(tenant(), 'g', 0, doc('d')),
      () => solo.takeTicket(tenant(), 'tok'),
    ]) {
      await expect(call()).rejects.toMatchObject(UNAVAILABLE);
    }
  });

  it('asserts what it is given', async () => {
    await expect(a.readGroup('with:colon', 'g')).rejects.toThrow(/tenant id/);
    await expect(a.writeGroup(tenant(), 'g', -1, doc('d'))).rejects.toThrow(/version/);
    await expect(a.setPositions(tenant(), 'g', 1, new Map([['topic:0', 1.5]]))).rejects.toThrow(
      /position topic:0/,
    );
    await expect(a.putTicket(tenant(), 'tok', 'v', 0)).rejects.toThrow(/ttl/);
  });
});

describe('in-process coordinator tickets', () => {
  it('expire by the clock it was given', async () => {
    const clock = new ManualClock();
    const coordinator = new InProcessCoordinator({ clock });
    const t = randomUUID();
    await coordinator.putTicket(t, 'early', 'e', 1_000);
    await coordinator.putTicket(t, 'late', 'l', 1_000);
    clock.advance(999);
    expect(await coordinator.takeTicket(t, 'early')).toBe('e');
    clock.advance(1);
    expect(await coordinator.takeTicket(t, 'late')).toBe(null);
    await coordinator.close();
  });
});

describe('redis coordinator specifics', () => {
  const keyPrefix = testPrefix();
  let coordinator: RedisCoordinator;
  let admin: Redis;
  beforeAll(() => {
    coordinator = new RedisCoordinator({ url: REDIS_URL, keyPrefix });
    admin = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await coordinator.close();
    await admin.quit();
    await deleteKeys(keyPrefix);
  });

  it('keeps a group in four keys under its tenant, positions as strings', async () => {
    const t = randomUUID();
    const base = `${keyPrefix}t:${t}:`;
    await coordinator.writeGroup(t, 'g', 0, { document: 'd', setLiveness: new Map([['m', 5]]) });
    await coordinator.setPositions(t, 'g', 1, new Map([['topic:0', 42]]));
    expect(await scanKeys(admin, base)).toEqual([
      `${base}g:g:doc`,
      `${base}g:g:live`,
      `${base}g:g:pos`,
      `${base}g:g:ver`,
      `${base}groups`,
    ]);
    expect(await admin.hgetall(`${base}g:g:pos`)).toEqual({ 'topic:0': '42' });
    await coordinator.writeGroup(t, 'g', 1, { document: null });
    expect(await scanKeys(admin, base)).toEqual([]);
  });

  it('stores a ticket under its tenant with the ttl in milliseconds', async () => {
    const t = randomUUID();
    await coordinator.putTicket(t, 'tok', 'v', 30_000);
    const ttlMs = await admin.pttl(`${keyPrefix}t:${t}:ticket:tok`);
    expect(ttlMs).toBeGreaterThan(0);
    expect(ttlMs).toBeLessThanOrEqual(30_000);
  });
  it('heals its subscriptions after the subscriber connection is killed', async () => {
    const t = randomUUID();
    const channel = (g: string) => `${keyPrefix}t:${t}:g:${g}:changed`;
    const [kept, left] = [recorder(), recorder()];
    const stopKept = coordinator.watchGroup(t, 'kept', kept.listener);
    const stopLeft = coordinator.watchGroup(t, 'left', left.listener);
    await Promise.all([coordinator.whenWatching(t, 'kept'), coordinator.whenWatching(t, 'left')]);
    // White-box: the subscriber connection is private; the test kills it from outside.
    const subscriber = (coordinator as any).subscriber as Redis;
    const id = await subscriber.client('ID');
    // 'left' loses its last watcher while the connection is down; ioredis resubscribes it on
    // reconnect anyway, and the coordinator must drop it again.
    const away = new Promise<void>((resolve) =>
      subscriber.once('reconnecting', () => {
        stopLeft();
        resolve();
      }),
    );
    const back = new Promise<void>((resolve) => subscriber.once('ready', resolve));
    await admin.client('KILL', 'ID', id);
    await away;
    await back;
    // Commands on one connection run in order: once this SUBSCRIBE is acknowledged, the
    // reconnect's own SUBSCRIBEs and UNSUBSCRIBEs have run.
    const stopProbe = coordinator.watchGroup(t, 'probe', () => undefined);
    await coordinator.whenWatching(t, 'probe');
    expect(await admin.pubsub('NUMSUB', channel('kept'), channel('left'))).toEqual([
      channel('kept'),
      1,
      channel('left'),
      0,
    ]);
    await coordinator.notifyGroup(t, 'kept');
    await kept.called(1);
    stopKept();
    stopProbe();
  });
});

describe('redis coordinator without a Redis', () => {
  // Port 1 refuses connections: every call must fail with UNAVAILABLE, bounded by this test's
  // timeout (the reconnect and command limits decide how fast; see REDIS_COORDINATOR_DEFAULTS).
  it('rejects every call with UNAVAILABLE instead of waiting', async () => {
    const coordinator = new RedisCoordinator({ url: 'redis://127.0.0.1:1', keyPrefix: 'x:' });
    const t = randomUUID();
    const stop = coordinator.watchGroup(t, 'g', () => undefined);
    const calls = [
      coordinator.ping(),
      coordinator.readGroup(t, 'g'),
      coordinator.writeGroup(t, 'g', 0, { document: 'd' }),
      coordinator.setPositions(t, 'g', 1, new Map([['topic:0', 1]])),
      coordinator.touchMember(t, 'g', 'm', 1),
      coordinator.listGroups(t),
      coordinator.notifyGroup(t, 'g'),
      coordinator.whenWatching(t, 'g'),
      coordinator.putTicket(t, 'tok', 'v', 1_000),
      coordinator.takeTicket(t, 'tok'),
    ];
    // Settled together, so that no rejection waits unhandled while another is checked.
    const outcomes = await Promise.allSettled(calls);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ status: 'rejected', reason: UNAVAILABLE });
    }
    stop();
    await coordinator.close();
  }, 15_000);
});

describe('redis coordinator while its Redis goes away', () => {
  const keyPrefix = testPrefix();
  let proxy: FaultProxy;
  let coordinator: RedisCoordinator;

  beforeAll(async () => {
    const server = new URL(REDIS_URL);
    proxy = await FaultProxy.start({ host: server.hostname, port: Number(server.port || 6379) });
    coordinator = new RedisCoordinator({ url: proxy.rewrite(REDIS_URL), keyPrefix });
  });
  afterAll(async () => {
    if (proxy.isCut) await proxy.restore();
    await coordinator.close();
    await proxy.close();
    await deleteKeys(keyPrefix);
  });

  // Once a reconnect has failed, calls answer without waiting for the next attempt; the probe
  // (ping) still asks Redis, and the first connection that succeeds ends the outage.
  it('answers UNAVAILABLE while it is away and serves again once it is back', async () => {
    const t = randomUUID();
    await coordinator.writeGroup(t, 'g', 0, { document: 'before' });
    await proxy.cut('refuse');
    await expect(coordinator.ping()).rejects.toMatchObject(UNAVAILABLE);
    const outcomes = await Promise.allSettled([
      coordinator.readGroup(t, 'g'),
      coordinator.writeGroup(t, 'g', 1, { document: 'during' }),
      coordinator.listGroups(t),
      coordinator.takeTicket(t, 'tok'),
    ]);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ status: 'rejected', reason: UNAVAILABLE });
    }
    await proxy.restore();
    // Each ping waits for a reconnect attempt; one made just before the restore may still fail.
    let pinged = false;
    for (let attempt = 0; attempt < 5 && !pinged; attempt++) {
      pinged = await coordinator.ping().then(
        () => true,
        () => false,
      );
    }
    expect(pinged).toBe(true);
    expect((await coordinator.readGroup(t, 'g')).document).toBe('before');
  }, 30_000);
});
