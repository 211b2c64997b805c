// A real node whose Postgres and Redis go away. Both are reached through fault proxies, so the
// shared servers are never stopped: the node has its own schema, its own key prefix and its own
// application_name, and only its own connections are cut or killed. While a service is away
// every route class answers either what it answers normally (it does not need that service) or
// 503 UNAVAILABLE, retriable, with Retry-After — never 500 — and once the service is back the
// node serves everything again without a restart.
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { LIMITS, loadNodeConfig } from '@tributary/common';
import { prepareTestDatabase, type TestDatabaseTarget, testDatabaseUrl } from '@tributary/metadata';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import pino from 'pino';
import { Api, type Reply } from '../../apps/gateway/test/harness';
import { type RunningNode, startNode } from '../../apps/broker/src/node';
import { FaultProxy } from '../support/fault-proxy';
import { type Frame, SseReader, UpgradeRefused, within, WsClient } from '../support/live-clients';
import { TEST_REDIS_URL, testRedis, type TestRedis } from '../support/redis';
import {
  outageRoutes,
  type Phase,
  type Route,
  type Spares,
  summary,
  UNAVAILABLE_REPLY,
} from './outage-routes';

const RETRY_AFTER = String(LIMITS.retryAfterSecondsDefault);
const PARTITIONS = 2;
/** Spare resources of each kind: one per phase in which removing one succeeds, and more. */
const SPARES = 6;

describe('a node whose Postgres or Redis goes away', () => {
  const applicationName = `trb_faults_${randomBytes(4).toString('hex')}`;
  let pgProxy: FaultProxy;
  let redisProxy: FaultProxy;
  let target: TestDatabaseTarget;
  let redis: TestRedis;
  let dataDir: string;
  let node: RunningNode;
  let api: Api;
  let admin: string;
  let key: string;
  let member: string;
  let routes: Route[] = [];
  const problems: unknown[] = [];
  const spares: Spares = {
    tenants: [],
    keys: [],
    topics: [],
    groups: [],
    members: [],
  };
  let sequence = 0;
  const unique = (prefix: string) => `${prefix}-${++sequence}`;
  const spare = (kind: keyof typeof spares) => {
    const next = spares[kind].shift();
    if (next === undefined) throw new Error(`the test ran out of spare ${kind}`);
    return next;
  };

  beforeAll(async () => {
    const pg = new URL(testDatabaseUrl());
    pgProxy = await FaultProxy.start({ host: pg.hostname, port: Number(pg.port || 5432) });
    const rd = new URL(TEST_REDIS_URL);
    redisProxy = await FaultProxy.start({ host: rd.hostname, port: Number(rd.port || 6379) });
    target = await prepareTestDatabase('postgres');
    redis = testRedis();
    dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tributary-faults-'));
    const databaseUrl = new URL(pgProxy.rewrite(target.options.databaseUrl!));
    databaseUrl.searchParams.set('application_name', applicationName);
    node = await startNode(
      {
        ...loadNodeConfig({
          PORT: '0',
          HOST: '127.0.0.1',
          DATA_DIR: dataDir,
          TRIBUTARY_RPC_PORT: '0',
        }),
        databaseUrl: databaseUrl.toString(),
        redisUrl: redisProxy.rewrite(redis.url),
        redisKeyPrefix: redis.keyPrefix,
      },
      {
        logger: problemLogger(problems),
        databaseSchema: target.options.schema!,
        onFatal: (error) => problems.push({ fatal: String(error) }),
      },
    );
    api = new Api(node.url);
    admin = node.adminToken;
    await fixtures();
    routes = outageRoutes({
      api,
      admin,
      key,
      member,
      spares,
      unique,
      // The store keeps them while it has a repository for them.
      idempotencyInPostgres: 'idempotency' in node.metadata,
      joinBody,
    });
  }, 60_000);

  afterAll(async () => {
    if (pgProxy.isCut) await pgProxy.restore();
    if (redisProxy.isCut) await redisProxy.restore();
    await node.close();
    await target.cleanup();
    await redis.cleanup();
    await pgProxy.close();
    await redisProxy.close();
    await fsp.rm(dataDir, { recursive: true, force: true });
  });

  // Nothing reached the log as a bug (level error or fatal), no invariant broke.
  afterEach(() => expect(problems).toEqual([]));

  async function fixtures(): Promise<void> {
    await ok(api.post('/v1/admin/tenants', { token: admin, body: { name: 'acme' } }), 201);
    key = (await ok(post('/v1/admin/tenants/acme/keys', { name: 'all' }, admin), 201)).body.key;
    for (const name of ['orders', 'grow']) {
      await ok(post('/v1/topics', { name, partitions: PARTITIONS }), 201);
    }
    for (let i = 0; i < SPARES; i++) {
      const tenant = unique('spare');
      await ok(post('/v1/admin/tenants', { name: tenant }, admin), 201);
      spares.tenants.push(tenant);
      const spareKey = await ok(post('/v1/admin/tenants/acme/keys', { name: unique('k') }, admin));
      spares.keys.push(spareKey.body.id);
      const topic = unique('spare-topic');
      await ok(post('/v1/topics', { name: topic }), 201);
      spares.topics.push(topic);
      // A group with committed offsets and no members: one that DELETE removes.
      const group = unique('spare-group');
      await ok(post(`/v1/groups/${group}/offsets`, { topic: 'orders', to: 'earliest' }), 200);
      spares.groups.push(group);
      // A member that never polls: leaving needs no commit, only the group (in Redis).
      spares.members.push((await ok(post('/v1/groups/leavers/members', joinBody()))).body.memberId);
    }
    await ok(post('/v1/groups/reset-me/offsets', { topic: 'orders', to: 'earliest' }), 200);
    await produce(5);
    // The member whose calls the routes make. Its poll leaves positions not yet committed,
    // which its next poll commits first (autoCommit): that poll needs Postgres.
    member = (await ok(post('/v1/groups/g1/members', joinBody()))).body.memberId;
    const polled = await ok(
      api.get(`/v1/groups/g1/members/${member}/records`, { token: key }),
      200,
    );
    expect(polled.body.records.length).toBe(5);
  }

  /** Calls every route one after another and checks each answer against the phase. */
  async function checkRoutes(phase: Phase): Promise<void> {
    for (const route of routes) {
      const reply = await route.call();
      const expected = route.expect[phase];
      expect({ route: route.name, reply: summary(reply) }).toEqual({
        route: route.name,
        reply: expected === 'unavailable' ? UNAVAILABLE_REPLY : { status: expected },
      });
      if (reply.status < 300) consumeSpare(route.name);
    }
  }

  /** A route that succeeded used up its spare resource. */
  function consumeSpare(name: string): void {
    const used: Record<string, keyof typeof spares> = {
      'delete a tenant': 'tenants',
      'revoke a key': 'keys',
      'delete a topic': 'topics',
      'delete a group': 'groups',
      leave: 'members',
    };
    const kind = used[name];
    if (kind !== undefined) spare(kind);
  }

  async function checkReadiness(checks: Record<string, boolean>): Promise<void> {
    const ready = Object.values(checks).every(Boolean);
    const reply = await api.get('/readyz');
    expect(reply.status).toBe(ready ? 200 : 503);
    expect(reply.body).toEqual({ status: ready ? 'ready' : 'not ready', checks });
  }

  it('answers every route while Postgres refuses connections: 503 UNAVAILABLE where it needs Postgres', async () => {
    await pgProxy.cut('refuse');
    await checkRoutes('postgresCut');
    await checkReadiness({ metadata: false, storage: true, coordination: true });
    // WebSocket: a plain subscription and produce need neither service; a group member's
    // first poll reads the group's committed offsets, and gets an error frame.
    await checkWebSocket({ groupFails: 'after subscribing' });
    // SSE: the same; a group stream has started when its first poll fails, so the failure
    // is an `event: error`.
    await checkEventStreams({ groupFails: 'in the stream' });
  }, 60_000);

  it('serves everything again once Postgres is back, without a restart', async () => {
    await pgProxy.restore();
    // The node reloads its metadata cache by itself once Postgres answers again.
    await untilReady();
    await checkRoutes('healthy');
    await checkWebSocket({ groupFails: 'never' });
    await checkEventStreams({ groupFails: 'never' });
  }, 60_000);

  it('answers 503 or serves, never 500, after its Postgres backends are terminated', async () => {
    const pg = new Client({ connectionString: testDatabaseUrl() });
    await pg.connect();
    try {
      const { rowCount } = await pg.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
        [applicationName],
      );
      expect(rowCount).toBeGreaterThan(0);
    } finally {
      await pg.end();
    }
    await eachUntilServed([
      () => post('/v1/admin/tenants', { name: unique('after-kill') }, admin),
      () => post('/v1/topics', { name: unique('after-kill') }),
      () => api.get('/v1/groups/g1', { token: key }),
    ]);
    await untilReady();
  }, 60_000);

  it('answers every route while Redis refuses connections: 503 UNAVAILABLE where it needs Redis', async () => {
    const ticket = (await ok(post('/v1/ws/tickets', {}), 201)).body.ticket;
    await redisProxy.cut('refuse');
    await checkRoutes('redisCut');
    await checkReadiness({ metadata: true, storage: true, coordination: false });
    await checkWebSocket({ groupFails: 'at subscribe' });
    await checkEventStreams({ groupFails: 'before the stream' });
    // A ticket is redeemed in Redis: the upgrade is refused as an HTTP answer.
    const refused = await WsClient.connect(wsUrl(`?ticket=${ticket}`)).then(
      (client) => {
        client.close();
        return undefined;
      },
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(UpgradeRefused);
    expect(refused).toMatchObject({
      status: 503,
      headers: { 'retry-after': RETRY_AFTER },
      body: { code: 'UNAVAILABLE', retriable: true },
    });
  }, 60_000);

  it('serves everything again once Redis is back, without a restart', async () => {
    await redisProxy.restore();
    await untilReady();
    await checkRoutes('healthy');
    await checkWebSocket({ groupFails: 'never' });
    await checkEventStreams({ groupFails: 'never' });
  }, 60_000);

  it('answers 503 or serves, never 500, after its Redis connections are killed', async () => {
    // The addresses Redis sees for this node's connections are the proxy's upstream sockets.
    const addresses = redisProxy.upstreamAddresses();
    expect(addresses.length).toBeGreaterThan(0);
    const direct = new Redis(TEST_REDIS_URL);
    try {
      for (const address of addresses) await direct.client('KILL', 'ADDR', address);
    } finally {
      direct.disconnect();
    }
    await eachUntilServed([
      () => post(`/v1/groups/g1/members/${member}/heartbeat`, {}),
      () => post(`/v1/groups/${unique('after-kill')}/members`, joinBody()),
      () => api.get('/v1/groups', { token: key }),
    ]);
  }, 60_000);

  // The connect, statement and command timeouts bound every wait: these calls fail well
  // within this test's timeout instead of hanging.
  it('answers 503 when Postgres and Redis stop answering, then recovers', async () => {
    await pgProxy.cut('blackhole');
    await redisProxy.cut('blackhole');
    const replies = await Promise.all([
      post('/v1/topics', { name: unique('dark') }),
      post(`/v1/groups/${unique('dark')}/members`, joinBody()),
      post('/v1/topics/orders/records', { records: [{ value: 'still' }] }),
    ]);
    expect(replies.map(summary)).toEqual([UNAVAILABLE_REPLY, UNAVAILABLE_REPLY, { status: 200 }]);
    await pgProxy.restore();
    await redisProxy.restore();
    await untilReady();
    await checkRoutes('healthy');
  }, 90_000);

  async function checkWebSocket(options: {
    groupFails: 'never' | 'at subscribe' | 'after subscribing';
  }): Promise<void> {
    const client = await WsClient.connect(wsUrl(), { authorization: `Bearer ${key}` });
    try {
      client.send({ op: 'produce', id: 'p', topic: 'orders', records: [{ value: 'ws' }] });
      expect(await client.op('ack')).toMatchObject({ id: 'p', offsets: [expect.anything()] });
      client.send({ op: 'subscribe', id: 's', topic: 'orders', from: 'earliest' });
      const subscribed = await client.op('subscribed');
      const records = await client.next(
        (f) => f.op === 'records' && f.subscription === subscribed.subscription,
        'records',
      );
      expect(records.records.length).toBeGreaterThan(0);
      const group = unique('ws-group');
      client.send({ op: 'subscribe', id: 'g', topic: 'orders', group, from: 'earliest' });
      if (options.groupFails === 'never') {
        const joined = await client.next((f) => f.op === 'subscribed' && f.id === 'g', 'join');
        await client.next(
          (f) => f.op === 'records' && f.subscription === joined.subscription,
          'group records',
        );
        return;
      }
      if (options.groupFails === 'after subscribing') {
        await client.next((f) => f.op === 'subscribed' && f.id === 'g', 'join');
      }
      const error = await client.op('error');
      expectUnavailableFrame(error, options.groupFails === 'at subscribe' ? 'g' : undefined);
    } finally {
      client.close();
    }
  }

  async function checkEventStreams(options: {
    groupFails: 'never' | 'before the stream' | 'in the stream';
  }): Promise<void> {
    const plain = await SseReader.open(events('?from=earliest'), key);
    try {
      expect(plain.response.status).toBe(200);
      await plain.next('message');
    } finally {
      plain.close();
    }
    const stream = await SseReader.open(events(`?group=${unique('sse')}&from=earliest`), key);
    try {
      if (options.groupFails === 'before the stream') {
        const reply = { status: stream.response.status, headers: stream.response.headers };
        const body: unknown = await stream.response.json();
        expect(summary({ ...reply, body, text: '' })).toEqual(UNAVAILABLE_REPLY);
        return;
      }
      expect(stream.response.status).toBe(200);
      await stream.next('assignment');
      if (options.groupFails === 'never') {
        await stream.next('message');
        return;
      }
      const error = await stream.next('error');
      expect(error.data).toMatchObject({ code: 'UNAVAILABLE', retriable: true, status: 503 });
    } finally {
      stream.close();
    }
  }

  /**
   * Right after its connections were killed a node may meet one dead connection per call
   * before it reconnects: each call answers 503 UNAVAILABLE or serves, and is repeated until
   * it serves (a few times at most).
   */
  async function eachUntilServed(calls: (() => Promise<Reply>)[]): Promise<void> {
    for (const call of calls) {
      let reply = await call();
      for (let attempt = 1; reply.status >= 300 && attempt < 20; attempt++) {
        expect(summary(reply)).toEqual(UNAVAILABLE_REPLY);
        reply = await call();
      }
      expect(reply.status).toBeLessThan(300);
    }
  }

  /**
   * Waits for the node to report ready: each round waits for its metadata reload (an event),
   * then asks /readyz, whose Redis ping waits for the client's next reconnect attempt.
   */
  async function untilReady(): Promise<void> {
    for (let round = 0; round < 20; round++) {
      await within(node.metadata.whenRecovered(), 'metadata reload');
      const reply = await api.get('/readyz');
      if (reply.status === 200) break;
    }
    await checkReadiness({ metadata: true, storage: true, coordination: true });
  }

  function post(route: string, body: unknown, token = key): Promise<Reply> {
    return api.post(route, { token, body });
  }

  async function ok(pending: Promise<Reply>, status = 201): Promise<Reply> {
    const reply = await pending;
    if (reply.status !== status) throw new Error(`expected ${status}, got ${reply.text}`);
    return reply;
  }

  async function produce(count: number): Promise<void> {
    const records = Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: i }));
    await ok(post('/v1/topics/orders/records', { records }), 200);
  }

  function joinBody() {
    return {
      topics: ['orders'],
      autoOffsetReset: 'earliest',
      sessionTimeoutMs: LIMITS.sessionTimeoutMsMax,
    };
  }

  function wsUrl(query = ''): string {
    return `${node.url.replace('http', 'ws')}/v1/ws${query}`;
  }

  function events(query: string): string {
    return `${node.url}/v1/topics/orders/events${query}`;
  }
});

function expectUnavailableFrame(frame: Frame, id: string | undefined): void {
  expect(frame).toMatchObject({
    op: 'error',
    ...(id === undefined ? {} : { id }),
    problem: { code: 'UNAVAILABLE', retriable: true, status: 503 },
  });
}

/** A logger that keeps what would point at a bug: entries at level error and above. */
function problemLogger(problems: unknown[]) {
  return pino(
    { level: 'error' },
    {
      write(line: string) {
        const entry = JSON.parse(line) as { msg?: string; err?: { message?: string } };
        problems.push({ msg: entry.msg, err: entry.err?.message });
      },
    },
  );
}
