// Every route class of the HTTP API, with what it answers while Postgres is away, while Redis
// is away, and when both are there: its normal answer when it does not need the service that is
// away (the metadata cache, the local logs and the other service serve it), else 503
// UNAVAILABLE, retriable, with Retry-After. outage.e2e-spec.ts calls them in each phase.
import { LIMITS } from '@tributary/common';
import { type Api, type Reply } from '../../apps/gateway/test/harness';

/** What a route answers while a service is away, or when all is well. */
export type Expected = number | 'unavailable';

export interface Route {
  name: string;
  call: () => Promise<Reply>;
  /** While Postgres is away / while Redis is away / when both are there. */
  expect: { postgresCut: Expected; redisCut: Expected; healthy: Expected };
}

export type Phase = keyof Route['expect'];

/** Resources that a route removing one uses up, one per call that succeeds. */
export type Spares = Record<'tenants' | 'keys' | 'topics' | 'groups' | 'members', string[]>;

export interface RouteContext {
  api: Api;
  /** The operator token, a tenant key with every right, the group member the routes use. */
  admin: string;
  key: string;
  member: string;
  spares: Spares;
  unique: (prefix: string) => string;
  /** Produce answers under an Idempotency-Key are kept in Postgres (else in the log). */
  idempotencyInPostgres: boolean;
  joinBody: () => object;
}

export function outageRoutes(c: RouteContext): Route[] {
  const { api, admin, key, member, spares, unique } = c;
  const post = (route: string, body: unknown, token = key) => api.post(route, { token, body });
  return [
    // Operator routes: writes need Postgres; reads are served from the metadata cache.
    {
      name: 'create a tenant',
      call: () => post('/v1/admin/tenants', { name: unique('late') }, admin),
      expect: { postgresCut: 'unavailable', redisCut: 201, healthy: 201 },
    },
    {
      name: 'list tenants',
      call: () => api.get('/v1/admin/tenants', { token: admin }),
      expect: { postgresCut: 200, redisCut: 200, healthy: 200 },
    },
    {
      name: 'describe a tenant',
      call: () => api.get('/v1/admin/tenants/acme', { token: admin }),
      expect: { postgresCut: 200, redisCut: 200, healthy: 200 },
    },
    {
      name: 'set quotas',
      call: () => api.patch('/v1/admin/tenants/acme', { token: admin, body: { quotas: {} } }),
      expect: { postgresCut: 'unavailable', redisCut: 200, healthy: 200 },
    },
    {
      name: 'delete a tenant',
      call: () => api.delete(`/v1/admin/tenants/${spares.tenants[0]}`, { token: admin }),
      expect: { postgresCut: 'unavailable', redisCut: 204, healthy: 204 },
    },
    {
      name: 'create a key',
      call: () => post('/v1/admin/tenants/acme/keys', { name: unique('key') }, admin),
      expect: { postgresCut: 'unavailable', redisCut: 201, healthy: 201 },
    },
    {
      name: 'list keys',
      call: () => api.get('/v1/admin/tenants/acme/keys', { token: admin }),
      expect: { postgresCut: 200, redisCut: 200, healthy: 200 },
    },
    {
      name: 'revoke a key',
      call: () => api.delete(`/v1/admin/tenants/acme/keys/${spares.keys[0]}`, { token: admin }),
      expect: { postgresCut: 'unavailable', redisCut: 204, healthy: 204 },
    },
    // Topic administration: changes need Postgres; describe and offsets read the cache and logs.
    {
      name: 'create a topic',
      call: () => post('/v1/topics', { name: unique('new-topic') }),
      expect: { postgresCut: 'unavailable', redisCut: 201, healthy: 201 },
    },
    {
      name: 'list topics',
      call: () => api.get('/v1/topics', { token: key }),
      expect: { postgresCut: 200, redisCut: 200, healthy: 200 },
    },
    {
      name: 'describe a topic',
      call: () => api.get('/v1/topics/orders', { token: key }),
      expect: { postgresCut: 200, redisCut: 200, healthy: 200 },
    },
    {
      name: 'alter configs',
      call: () =>
        api.patch('/v1/topics/orders', {
          token: key,
          body: { configs: { 'retention.ms': '86400000' } },
        }),
      expect: { postgresCut: 'unavailable', redisCut: 200, healthy: 200 },
    },
    {
      name: 'add partitions',
      call: async () => {
        const now = (await api.get('/v1/topics/grow', { token: key })).body.partitions.length;
        return api.patch('/v1/topics/grow', { token: key, body: { partitions: now + 1 } });
      },
      expect: { postgresCut: 'unavailable', redisCut: 200, healthy: 200 },
    },
    {
      name: 'delete a topic',
      call: () => api.delete(`/v1/topics/${spares.topics[0]}`, { token: key }),
      expect: { postgresCut: 'unavailable', redisCut: 204, healthy: 204 },
    },
    {
      name: 'offset by time',
      call: () => api.get('/v1/topics/orders/partitions/0/offsets?at=latest', { token: key }),
      expect: { postgresCut: 200, redisCut: 200, healthy: 200 },
    },
    {
      // The records go (before offset 0: none); the audit entry needs Postgres, so the answer
      // is 503 — and repeating it is harmless.
      name: 'delete records',
      call: () => post('/v1/topics/orders/partitions/1/delete-records', { beforeOffset: 0 }),
      expect: { postgresCut: 'unavailable', redisCut: 200, healthy: 200 },
    },
    // Produce and fetch: served from the metadata cache and the local logs.
    {
      name: 'produce',
      call: () => post('/v1/topics/orders/records', { records: [{ key: 'k', value: 1 }] }),
      expect: { postgresCut: 200, redisCut: 200, healthy: 200 },
    },
    {
      name: 'produce NDJSON',
      call: () =>
        api.post('/v1/topics/orders/records', {
          token: key,
          raw: '{"value":1}\n{"value":2}\n',
          contentType: 'application/x-ndjson',
        }),
      expect: { postgresCut: 200, redisCut: 200, healthy: 200 },
    },
    {
      name: 'produce with an Idempotency-Key',
      call: () =>
        api.post('/v1/topics/orders/records', {
          token: key,
          body: { records: [{ value: 'once' }] },
          headers: { 'idempotency-key': unique('idem') },
        }),
      // Answers kept in Postgres need it; once they live in the partition log, they do not.
      expect: {
        postgresCut: c.idempotencyInPostgres ? 'unavailable' : 200,
        redisCut: 200,
        healthy: 200,
      },
    },
    {
      name: 'fetch',
      call: () => api.get('/v1/topics/orders/partitions/0/records?offset=0', { token: key }),
      expect: { postgresCut: 200, redisCut: 200, healthy: 200 },
    },
    // Consumer groups: membership and positions in Redis, committed offsets in Postgres.
    // Membership lives in Redis; committed offsets are read only at the first poll.
    {
      name: 'join a group',
      call: () => post(`/v1/groups/${unique('joiners')}/members`, c.joinBody()),
      expect: { postgresCut: 201, redisCut: 'unavailable', healthy: 201 },
    },
    {
      // Before reading, a poll commits what the previous one returned (autoCommit).
      name: 'poll',
      call: () => api.get(`/v1/groups/g1/members/${member}/records?maxWaitMs=0`, { token: key }),
      expect: { postgresCut: 'unavailable', redisCut: 'unavailable', healthy: 200 },
    },
    // A heartbeat touches the member in Redis only.
    {
      name: 'heartbeat',
      call: () => post(`/v1/groups/g1/members/${member}/heartbeat`, {}),
      expect: { postgresCut: 200, redisCut: 'unavailable', healthy: 200 },
    },
    // Ownership is checked in Redis, the offsets are written to Postgres.
    {
      name: 'commit',
      call: () =>
        post(`/v1/groups/g1/members/${member}/commit`, {
          offsets: [{ topic: 'orders', partition: 0, offset: 1 }],
        }),
      expect: { postgresCut: 'unavailable', redisCut: 'unavailable', healthy: 200 },
    },
    // The position lives in Redis; the offset comes from the local log.
    {
      name: 'seek',
      call: () =>
        post(`/v1/groups/g1/members/${member}/seek`, {
          topic: 'orders',
          partition: 1,
          at: 'latest',
        }),
      expect: { postgresCut: 200, redisCut: 'unavailable', healthy: 200 },
    },
    // A member that never polled has nothing to commit on leaving: only Redis is written.
    {
      name: 'leave',
      call: () => api.delete(`/v1/groups/leavers/members/${spares.members[0]}`, { token: key }),
      expect: { postgresCut: 204, redisCut: 'unavailable', healthy: 204 },
    },
    // Live groups come from Redis, groups with committed offsets from Postgres.
    {
      name: 'list groups',
      call: () => api.get('/v1/groups', { token: key }),
      expect: { postgresCut: 'unavailable', redisCut: 'unavailable', healthy: 200 },
    },
    // Members from Redis, committed offsets and lag from Postgres.
    {
      name: 'describe a group',
      call: () => api.get('/v1/groups/g1', { token: key }),
      expect: { postgresCut: 'unavailable', redisCut: 'unavailable', healthy: 200 },
    },
    // Emptiness is checked in Redis, the committed offsets are deleted in Postgres.
    {
      name: 'delete a group',
      call: () => api.delete(`/v1/groups/${spares.groups[0]}`, { token: key }),
      expect: { postgresCut: 'unavailable', redisCut: 'unavailable', healthy: 204 },
    },
    // The same: emptiness in Redis, the new offsets in Postgres.
    {
      name: 'reset offsets',
      call: () => post('/v1/groups/reset-me/offsets', { topic: 'orders', to: 'latest' }),
      expect: { postgresCut: 'unavailable', redisCut: 'unavailable', healthy: 200 },
    },
    // Tickets live in Redis.
    {
      name: 'issue a WebSocket ticket',
      call: () => post('/v1/ws/tickets', {}),
      expect: { postgresCut: 201, redisCut: 'unavailable', healthy: 201 },
    },
    {
      name: 'liveness',
      call: () => api.get('/healthz'),
      expect: { postgresCut: 200, redisCut: 200, healthy: 200 },
    },
  ];
}

export const UNAVAILABLE_REPLY = {
  status: 503,
  contentType: 'application/problem+json; charset=utf-8',
  retryAfter: String(LIMITS.retryAfterSecondsDefault),
  code: 'UNAVAILABLE',
  retriable: true,
};

/** What the assertions compare: the status, and for a problem its type, code and retry. */
export function summary(reply: Reply): Record<string, unknown> {
  if (reply.status < 400) return { status: reply.status };
  return {
    status: reply.status,
    contentType: reply.headers.get('content-type'),
    retryAfter: reply.headers.get('retry-after'),
    code: reply.body?.code,
    retriable: reply.body?.retriable,
  };
}
