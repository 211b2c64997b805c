// Every tenant route called with another tenant's key answers exactly as for a topic that
// never existed, and changes nothing of the owner's.
import { TEST_DATABASE_KINDS } from '@tributary/metadata';
import { type TestNode, startTestNode } from './harness';

interface RouteCase {
  name: string;
  method: string;
  path: (topic: string) => string;
  body?: unknown;
  /** A body that names the topic. */
  bodyFor?: (topic: string) => unknown;
}

const ROUTES: RouteCase[] = [
  { name: 'describe', method: 'GET', path: (t) => `/v1/topics/${t}` },
  {
    name: 'alter',
    method: 'PATCH',
    path: (t) => `/v1/topics/${t}`,
    body: { configs: { 'retention.ms': 1000 } },
  },
  {
    name: 'add partitions',
    method: 'PATCH',
    path: (t) => `/v1/topics/${t}`,
    body: { partitions: 5 },
  },
  { name: 'delete', method: 'DELETE', path: (t) => `/v1/topics/${t}` },
  {
    name: 'offsets',
    method: 'GET',
    path: (t) => `/v1/topics/${t}/partitions/0/offsets?at=earliest`,
  },
  {
    name: 'delete-records',
    method: 'POST',
    path: (t) => `/v1/topics/${t}/partitions/0/delete-records`,
    body: { beforeOffset: 1 },
  },
  {
    name: 'produce',
    method: 'POST',
    path: (t) => `/v1/topics/${t}/records`,
    body: { records: [{ value: 'intruder' }] },
  },
  { name: 'fetch', method: 'GET', path: (t) => `/v1/topics/${t}/partitions/0/records?offset=0` },
  {
    name: 'long-poll fetch',
    method: 'GET',
    path: (t) => `/v1/topics/${t}/partitions/0/records?offset=0&maxWaitMs=100`,
  },
  {
    name: 'join a group on it',
    method: 'POST',
    path: () => '/v1/groups/g-new/members',
    bodyFor: (t) => ({ topics: [t] }),
  },
  { name: 'live events', method: 'GET', path: (t) => `/v1/topics/${t}/events?from=earliest` },
];

/** Group routes, called on the owner's group and member, and on ones that never existed. */
const GROUP_ROUTES: {
  name: string;
  method: string;
  path: (g: string, m: string) => string;
  body?: unknown;
}[] = [
  { name: 'describe group', method: 'GET', path: (g) => `/v1/groups/${g}` },
  { name: 'delete group', method: 'DELETE', path: (g) => `/v1/groups/${g}` },
  { name: 'poll', method: 'GET', path: (g, m) => `/v1/groups/${g}/members/${m}/records` },
  { name: 'heartbeat', method: 'POST', path: (g, m) => `/v1/groups/${g}/members/${m}/heartbeat` },
  { name: 'commit', method: 'POST', path: (g, m) => `/v1/groups/${g}/members/${m}/commit` },
  {
    name: 'seek',
    method: 'POST',
    path: (g, m) => `/v1/groups/${g}/members/${m}/seek`,
    body: { topic: 'private', partition: 0, offset: 0 },
  },
  { name: 'leave', method: 'DELETE', path: (g, m) => `/v1/groups/${g}/members/${m}` },
];

describe.each(TEST_DATABASE_KINDS)('cross-tenant isolation (%s)', (kind) => {
  let t: TestNode;
  let owner: string;
  let intruder: string;

  beforeAll(async () => {
    t = await startTestNode(kind);
    owner = await t.tenant('owner');
    intruder = await t.tenant('intruder');
    await t.api.post('/v1/topics', { token: owner, body: { name: 'private', partitions: 2 } });
    await t.api.post('/v1/topics/private/records', {
      token: owner,
      body: { records: [{ value: 'secret' }] },
    });
  }, 60_000);
  afterAll(() => t.cleanup());

  let memberId: string;
  beforeAll(async () => {
    const joined = await t.api.post('/v1/groups/private-g/members', {
      token: owner,
      body: { topics: ['private'] },
    });
    memberId = joined.body.memberId;
  });

  test.each(GROUP_ROUTES)(
    "$name of another tenant's group answers as for a missing one",
    async (route) => {
      const call = (group: string, member: string) =>
        t.api.call(route.method, route.path(group, member), {
          token: intruder,
          ...(route.body === undefined ? {} : { body: route.body }),
        });
      const foreign = await call('private-g', memberId);
      const missing = await call('never-g', '00000000-0000-4000-8000-000000000000');
      expect(foreign.status).toBeGreaterThanOrEqual(400);
      expect({ status: foreign.status, code: foreign.body.code }).toEqual({
        status: missing.status,
        code: missing.body.code,
      });
    },
  );

  test("the owner's group is untouched and not listed for others", async () => {
    expect((await t.api.get('/v1/groups', { token: intruder })).body.groups).toEqual([]);
    const described = await t.api.get('/v1/groups/private-g', { token: owner });
    expect(described.body.members.map((m: { memberId: string }) => m.memberId)).toEqual([memberId]);
  });

  test.each(ROUTES)(
    "$name of another tenant's topic answers as for a missing one",
    async (route) => {
      const call = (topic: string) =>
        t.api.call(route.method, route.path(topic), {
          token: intruder,
          ...(route.body === undefined ? {} : { body: route.body }),
          ...(route.bodyFor === undefined ? {} : { body: route.bodyFor(topic) }),
        });
      const foreign = await call('private');
      const missing = await call('never-existed');
      expect(foreign.status).toBe(404);
      expect({ status: foreign.status, code: foreign.body.code }).toEqual({
        status: missing.status,
        code: missing.body.code,
      });
      expect(foreign.body.detail.replace('private', 'X')).toBe(
        missing.body.detail.replace('never-existed', 'X'),
      );
    },
  );

  test("the list shows only the caller's topics", async () => {
    expect((await t.api.get('/v1/topics', { token: intruder })).body.topics).toEqual([]);
    expect((await t.api.get('/v1/topics', { token: owner })).body.topics).toEqual([
      { name: 'private', partitions: 2, replicationFactor: 1 },
    ]);
  });

  test("an intruder can create a topic of the same name, separate from the owner's", async () => {
    expect(
      (await t.api.post('/v1/topics', { token: intruder, body: { name: 'private' } })).status,
    ).toBe(201);
    const mine = await t.api.get('/v1/topics/private/partitions/0/records?offset=0', {
      token: intruder,
    });
    expect(mine.body.records).toEqual([]);
    await t.api.delete('/v1/topics/private', { token: intruder });
  });

  test("the owner's topic is untouched", async () => {
    const topic = await t.api.get('/v1/topics/private', { token: owner });
    expect(topic.body.partitions).toHaveLength(2);
    expect(topic.body.configs['retention.ms']).toBe('604800000');
    const records = [0, 1].map((p) =>
      t.api.get(`/v1/topics/private/partitions/${p}/records?offset=0`, { token: owner }),
    );
    const values = (await Promise.all(records)).flatMap((r) =>
      r.body.records.map((x: { value: unknown }) => x.value),
    );
    expect(values).toEqual(['secret']);
  });
});
