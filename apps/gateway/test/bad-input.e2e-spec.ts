// Bad input is answered with the exact status and code, never 5xx, and writes nothing.
import * as http from 'node:http';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { TEST_DATABASE_KINDS } from '@tributary/metadata';
import { type TestNode, startTestNode } from './harness';

type Who = 'none' | 'operator' | 'tenant';

interface Case {
  name: string;
  method: string;
  path: string;
  who: Who;
  body?: unknown;
  raw?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
  status: number;
  code: string;
}

const produce = (body: unknown, query = ''): Pick<Case, 'method' | 'path' | 'who' | 'body'> => ({
  method: 'POST',
  path: `/v1/topics/t/records${query}`,
  who: 'tenant',
  body,
});
/** JSON text of `inner` inside `levels` arrays (JSON.stringify itself fails on deep values). */
const nested = (levels: number, inner = '1') => '['.repeat(levels) + inner + ']'.repeat(levels);
/** A produce body as text, its one record's fields given as JSON text. */
const produceText = (record: string, envelope = '') => `{${envelope}"records":[{${record}}]}`;
const compressed = (encoding: string, raw: string | Buffer): Pick<Case, 'raw' | 'headers'> => ({
  raw,
  headers: { 'content-encoding': encoding },
});
const fetchAt = (query: string): Pick<Case, 'method' | 'path' | 'who'> => ({
  method: 'GET',
  path: `/v1/topics/t/partitions/0/records?${query}`,
  who: 'tenant',
});

const CASES: Case[] = [
  // auth
  {
    name: 'no credential',
    method: 'GET',
    path: '/v1/topics',
    who: 'none',
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'not a bearer header',
    method: 'GET',
    path: '/v1/topics',
    who: 'none',
    headers: { authorization: 'Basic abc' },
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'unknown key',
    method: 'GET',
    path: '/v1/topics',
    who: 'none',
    headers: { authorization: 'Bearer trb_nope' },
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'operator on data',
    method: 'GET',
    path: '/v1/topics',
    who: 'operator',
    status: 403,
    code: 'FORBIDDEN',
  },
  {
    name: 'tenant on admin',
    method: 'GET',
    path: '/v1/admin/tenants',
    who: 'tenant',
    status: 403,
    code: 'FORBIDDEN',
  },
  // routes and media types
  {
    name: 'unknown route',
    method: 'GET',
    path: '/v1/nothing-here',
    who: 'tenant',
    status: 404,
    code: 'ROUTE_NOT_FOUND',
  },
  {
    name: 'body not JSON',
    method: 'POST',
    path: '/v1/topics',
    who: 'tenant',
    raw: '{"name":',
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'text/plain body',
    method: 'POST',
    path: '/v1/topics',
    who: 'tenant',
    raw: 'name=x',
    contentType: 'text/plain',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'NDJSON outside produce',
    method: 'POST',
    path: '/v1/topics',
    who: 'tenant',
    raw: '{}',
    contentType: 'application/x-ndjson',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'body is an array',
    method: 'POST',
    path: '/v1/topics',
    who: 'tenant',
    body: [],
    status: 400,
    code: 'INVALID_REQUEST',
  },
  // compressed bodies that are not what their Content-Encoding says
  {
    name: 'gzip body that is not gzip (general pipeline)',
    method: 'POST',
    path: '/v1/topics',
    who: 'tenant',
    ...compressed('gzip', '{"name":"z1"}'),
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'gzip body that is not gzip (produce)',
    ...produce(undefined),
    ...compressed('gzip', produceText('"value":1')),
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'gzip body cut short',
    ...produce(undefined),
    ...compressed('gzip', gzipSync(produceText('"value":1')).subarray(0, 20)),
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'deflate body that is not deflate',
    method: 'PATCH',
    path: '/v1/topics/t',
    who: 'tenant',
    ...compressed('deflate', '{"partitions":2}'),
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'br body that is not brotli',
    method: 'POST',
    path: '/v1/groups/g/members',
    who: 'tenant',
    ...compressed('br', Buffer.from([0xff, 0xfe, 0xfd, 0xfc, 0x00, 0x01])),
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'valid deflate of bad JSON',
    method: 'POST',
    path: '/v1/topics',
    who: 'tenant',
    ...compressed('deflate', deflateSync('{"name":')),
    status: 400,
    code: 'INVALID_REQUEST',
  },
  // JSON nested past LIMITS.jsonDepthMax (64 levels)
  {
    name: 'value nested 65 levels',
    ...produce(undefined),
    raw: produceText(`"value":${nested(65)}`),
    status: 400,
    code: 'INVALID_RECORD',
  },
  {
    name: 'value nested 5000 levels',
    ...produce(undefined),
    raw: produceText(`"value":${nested(5000)}`),
    status: 400,
    code: 'INVALID_RECORD',
  },
  {
    name: 'object value nested 100000 levels',
    ...produce(undefined),
    raw: produceText(`"value":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`),
    status: 400,
    code: 'INVALID_RECORD',
  },
  {
    name: 'json key nested 5000 levels',
    ...produce(undefined),
    raw: produceText(`"key":${nested(5000)},"value":1`, '"keyFormat":"json",'),
    status: 400,
    code: 'INVALID_RECORD',
  },
  {
    name: 'deep value, gzip (general pipeline)',
    ...produce(undefined),
    ...compressed('gzip', gzipSync(produceText(`"value":${nested(5000)}`))),
    status: 400,
    code: 'INVALID_RECORD',
  },
  {
    name: 'deep value, br (general pipeline)',
    ...produce(undefined),
    ...compressed('br', brotliCompressSync(produceText(`"value":${nested(5000)}`))),
    status: 400,
    code: 'INVALID_RECORD',
  },
  {
    name: 'deep value in NDJSON',
    ...produce(undefined),
    raw: `{"value":1}\n{"value":${nested(5000)}}\n`,
    contentType: 'application/x-ndjson',
    status: 400,
    code: 'INVALID_RECORD',
  },
  {
    name: 'deep value with an Idempotency-Key',
    ...produce(undefined),
    raw: produceText(`"value":${nested(5000)}`),
    headers: { 'idempotency-key': 'deep-1' },
    status: 400,
    code: 'INVALID_RECORD',
  },
  {
    name: 'deep configs',
    method: 'POST',
    path: '/v1/topics',
    who: 'tenant',
    raw: `{"name":"deep","configs":${nested(5000)}}`,
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'deep commit offsets',
    method: 'POST',
    path: '/v1/groups/g/members/m/commit',
    who: 'tenant',
    raw: `{"offsets":[{"topic":"t","partition":0,"offset":0,"metadata":${nested(5000, '"x"')}}]}`,
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'deep permissions',
    method: 'POST',
    path: '/v1/admin/tenants/bad/keys',
    who: 'operator',
    raw: `{"name":"k","permissions":${nested(5000)}}`,
    status: 400,
    code: 'INVALID_REQUEST',
  },
  // tenants and keys
  {
    name: 'tenant name with capitals',
    method: 'POST',
    path: '/v1/admin/tenants',
    who: 'operator',
    body: { name: 'Acme' },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'tenant name missing',
    method: 'POST',
    path: '/v1/admin/tenants',
    who: 'operator',
    body: {},
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'negative quota',
    method: 'POST',
    path: '/v1/admin/tenants',
    who: 'operator',
    body: { name: 'q', quotas: { maxTopics: -1 } },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'unknown quota',
    method: 'POST',
    path: '/v1/admin/tenants',
    who: 'operator',
    body: { name: 'q', quotas: { speed: 1 } },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'unknown tenant',
    method: 'GET',
    path: '/v1/admin/tenants/ghost',
    who: 'operator',
    status: 404,
    code: 'UNKNOWN_TENANT',
  },
  {
    name: 'bad permission operation',
    method: 'POST',
    path: '/v1/admin/tenants/bad/keys',
    who: 'operator',
    body: {
      name: 'k',
      permissions: [{ operation: 'fly', resource: 'topic', pattern: 'x', patternType: 'literal' }],
    },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  // names: 1-255 characters of well-formed Unicode, no control characters
  ...[
    ['NUL', 'a\u0000b'],
    ['a line break', 'a\nb'],
    ['a C1 control', 'a\u0085b'],
    ['an unpaired surrogate', 'a\ud800b'],
    ['256 characters', 'k'.repeat(256)],
    ['nothing', ''],
  ].flatMap(([what, name]): Case[] => [
    {
      name: `key name with ${what}`,
      method: 'POST',
      path: '/v1/admin/tenants/bad/keys',
      who: 'operator',
      body: { name },
      status: 400,
      code: 'INVALID_REQUEST',
    },
    {
      name: `permission pattern with ${what}`,
      method: 'POST',
      path: '/v1/admin/tenants/bad/keys',
      who: 'operator',
      body: {
        name: 'k',
        permissions: [
          { operation: 'read', resource: 'group', pattern: name, patternType: 'literal' },
        ],
      },
      status: 400,
      code: 'INVALID_REQUEST',
    },
    {
      name: `header key with ${what}`,
      ...produce({ records: [{ value: 1, headers: [{ key: name, value: 'v' }] }] }),
      status: 400,
      code: 'INVALID_RECORD',
    },
  ]),
  ...[
    ['NUL', '%00'],
    ['a control character', 'g%01'],
    ['DEL', 'g%7F'],
    ['256 characters', 'g'.repeat(256)],
  ].flatMap(([what, group]): Case[] => [
    {
      name: `join a group named with ${what}`,
      method: 'POST',
      path: `/v1/groups/${group}/members`,
      who: 'tenant',
      body: { topics: ['t'] },
      status: 400,
      code: 'INVALID_REQUEST',
    },
    {
      name: `poll a group named with ${what}`,
      method: 'GET',
      path: `/v1/groups/${group}/members/m/records`,
      who: 'tenant',
      status: 400,
      code: 'INVALID_REQUEST',
    },
    {
      name: `describe a group named with ${what}`,
      method: 'GET',
      path: `/v1/groups/${group}`,
      who: 'tenant',
      status: 400,
      code: 'INVALID_REQUEST',
    },
    {
      name: `delete a group named with ${what}`,
      method: 'DELETE',
      path: `/v1/groups/${group}`,
      who: 'tenant',
      status: 400,
      code: 'INVALID_REQUEST',
    },
    {
      name: `reset offsets of a group named with ${what}`,
      method: 'POST',
      path: `/v1/groups/${group}/offsets`,
      who: 'tenant',
      body: { topic: 't', to: 'earliest' },
      status: 400,
      code: 'INVALID_REQUEST',
    },
    {
      name: `stream events as a group named with ${what}`,
      method: 'GET',
      path: `/v1/topics/t/events?group=${group}`,
      who: 'tenant',
      status: 400,
      code: 'INVALID_REQUEST',
    },
  ]),
  {
    name: 'static member instance id with NUL',
    method: 'POST',
    path: '/v1/groups/g/members',
    who: 'tenant',
    body: { topics: ['t'], instanceId: 'a\u0000' },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'header key not a string',
    ...produce({ records: [{ value: 1, headers: [{ key: 5, value: 'v' }] }] }),
    status: 400,
    code: 'INVALID_RECORD',
  },
  // topics
  {
    name: 'topic name with a slash',
    method: 'POST',
    path: '/v1/topics',
    who: 'tenant',
    body: { name: 'a/b' },
    status: 400,
    code: 'INVALID_TOPIC',
  },
  {
    name: 'topic name ..',
    method: 'POST',
    path: '/v1/topics',
    who: 'tenant',
    body: { name: '..' },
    status: 400,
    code: 'INVALID_TOPIC',
  },
  {
    name: 'topic name too long',
    method: 'POST',
    path: '/v1/topics',
    who: 'tenant',
    body: { name: 'x'.repeat(250) },
    status: 400,
    code: 'INVALID_TOPIC',
  },
  {
    name: 'zero partitions',
    method: 'POST',
    path: '/v1/topics',
    who: 'tenant',
    body: { name: 'p0', partitions: 0 },
    status: 400,
    code: 'INVALID_PARTITIONS',
  },
  {
    name: 'replication factor over the nodes alive',
    method: 'POST',
    path: '/v1/topics',
    who: 'tenant',
    body: { name: 'rf', replicationFactor: 3 },
    status: 400,
    code: 'INVALID_REPLICATION_FACTOR',
  },
  {
    name: 'unknown config',
    method: 'POST',
    path: '/v1/topics',
    who: 'tenant',
    body: { name: 'c1', configs: { 'compression.speed': 1 } },
    status: 400,
    code: 'INVALID_CONFIG',
  },
  {
    name: 'retention.ms zero',
    method: 'POST',
    path: '/v1/topics',
    who: 'tenant',
    body: { name: 'c2', configs: { 'retention.ms': 0 } },
    status: 400,
    code: 'INVALID_CONFIG',
  },
  {
    name: 'segment.bytes too small',
    method: 'POST',
    path: '/v1/topics',
    who: 'tenant',
    body: { name: 'c3', configs: { 'segment.bytes': 1 } },
    status: 400,
    code: 'INVALID_CONFIG',
  },
  {
    name: 'cleanup.policy compact',
    method: 'POST',
    path: '/v1/topics',
    who: 'tenant',
    body: { name: 'c4', configs: { 'cleanup.policy': 'compact' } },
    status: 400,
    code: 'INVALID_CONFIG',
  },
  {
    name: 'durability unknown',
    method: 'POST',
    path: '/v1/topics',
    who: 'tenant',
    body: { name: 'c5', configs: { durability: 'memory' } },
    status: 400,
    code: 'INVALID_CONFIG',
  },
  {
    name: 'min.insync.replicas zero',
    method: 'PATCH',
    path: '/v1/topics/t',
    who: 'tenant',
    body: { configs: { 'min.insync.replicas': 0 } },
    status: 400,
    code: 'INVALID_CONFIG',
  },
  {
    name: 'max.message.bytes huge',
    method: 'PATCH',
    path: '/v1/topics/t',
    who: 'tenant',
    body: { configs: { 'max.message.bytes': 2 ** 40 } },
    status: 400,
    code: 'INVALID_CONFIG',
  },
  {
    name: 'shrinking partitions',
    method: 'PATCH',
    path: '/v1/topics/t',
    who: 'tenant',
    body: { partitions: 1 },
    status: 400,
    code: 'INVALID_PARTITIONS',
  },
  {
    name: 'duplicate topic',
    method: 'POST',
    path: '/v1/topics',
    who: 'tenant',
    body: { name: 't' },
    status: 409,
    code: 'TOPIC_ALREADY_EXISTS',
  },
  {
    name: 'unknown topic',
    method: 'GET',
    path: '/v1/topics/missing',
    who: 'tenant',
    status: 404,
    code: 'UNKNOWN_TOPIC_OR_PARTITION',
  },
  {
    name: 'unknown partition',
    method: 'GET',
    path: '/v1/topics/t/partitions/9/offsets',
    who: 'tenant',
    status: 404,
    code: 'UNKNOWN_TOPIC_OR_PARTITION',
  },
  {
    name: 'partition not a number',
    method: 'GET',
    path: '/v1/topics/t/partitions/x/offsets',
    who: 'tenant',
    status: 404,
    code: 'UNKNOWN_TOPIC_OR_PARTITION',
  },
  {
    name: 'offsets at garbage',
    method: 'GET',
    path: '/v1/topics/t/partitions/0/offsets?at=yesterday',
    who: 'tenant',
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'delete-records past the end',
    method: 'POST',
    path: '/v1/topics/t/partitions/0/delete-records',
    who: 'tenant',
    body: { beforeOffset: 999 },
    status: 416,
    code: 'OFFSET_OUT_OF_RANGE',
  },
  {
    name: 'delete-records without offset',
    method: 'POST',
    path: '/v1/topics/t/partitions/0/delete-records',
    who: 'tenant',
    body: {},
    status: 400,
    code: 'INVALID_REQUEST',
  },
  // produce
  { name: 'records missing', ...produce({}), status: 400, code: 'INVALID_REQUEST' },
  { name: 'records empty', ...produce({ records: [] }), status: 400, code: 'INVALID_RECORD' },
  {
    name: 'record without value',
    ...produce({ records: [{ key: 'k' }] }),
    status: 400,
    code: 'INVALID_RECORD',
  },
  {
    name: 'record not an object',
    ...produce({ records: [42] }),
    status: 400,
    code: 'INVALID_RECORD',
  },
  {
    name: 'record with unknown field',
    ...produce({ records: [{ value: 1, offset: 3 }] }),
    status: 400,
    code: 'INVALID_RECORD',
  },
  {
    name: 'binary value not base64',
    ...produce({ valueFormat: 'binary', records: [{ value: 'not base64!' }] }),
    status: 400,
    code: 'INVALID_RECORD',
  },
  {
    name: 'string key not a string',
    ...produce({ records: [{ key: 5, value: 1 }] }),
    status: 400,
    code: 'INVALID_RECORD',
  },
  {
    name: 'unknown format',
    ...produce({ valueFormat: 'xml', records: [{ value: 1 }] }),
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'header value a number',
    ...produce({ records: [{ value: 1, headers: { a: 1 } }] }),
    status: 400,
    code: 'INVALID_RECORD',
  },
  {
    name: 'negative timestamp',
    ...produce({ records: [{ value: 1, timestamp: -5 }] }),
    status: 400,
    code: 'INVALID_RECORD',
  },
  {
    name: 'partition out of range',
    ...produce({ records: [{ value: 1, partition: 7 }] }),
    status: 404,
    code: 'UNKNOWN_TOPIC_OR_PARTITION',
  },
  {
    name: 'acks=2',
    ...produce({ records: [{ value: 1 }] }, '?acks=2'),
    status: 400,
    code: 'INVALID_REQUIRED_ACKS',
  },
  {
    name: 'batch over max.message.bytes',
    ...produce({ records: [{ value: 'x'.repeat(1_100_000) }] }),
    status: 413,
    code: 'MESSAGE_TOO_LARGE',
  },
  {
    name: 'produce to a missing topic',
    method: 'POST',
    path: '/v1/topics/missing/records',
    who: 'tenant',
    body: { records: [{ value: 1 }] },
    status: 404,
    code: 'UNKNOWN_TOPIC_OR_PARTITION',
  },
  {
    name: 'NDJSON line not JSON',
    method: 'POST',
    path: '/v1/topics/t/records',
    who: 'tenant',
    raw: '{"value":1}\n{oops',
    contentType: 'application/x-ndjson',
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'bad Idempotency-Key',
    ...produce({ records: [{ value: 1 }] }),
    headers: { 'idempotency-key': 'has space' },
    status: 400,
    code: 'INVALID_REQUEST',
  },
  // fetch
  { name: 'fetch without offset', ...fetchAt(''), status: 400, code: 'INVALID_REQUEST' },
  { name: 'fetch offset negative', ...fetchAt('offset=-1'), status: 400, code: 'INVALID_REQUEST' },
  {
    name: 'fetch offset not a number',
    ...fetchAt('offset=abc'),
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'fetch offset past the end',
    ...fetchAt('offset=50'),
    status: 416,
    code: 'OFFSET_OUT_OF_RANGE',
  },
  {
    name: 'maxRecords zero',
    ...fetchAt('offset=0&maxRecords=0'),
    status: 400,
    code: 'INVALID_FETCH_SIZE',
  },
  {
    name: 'maxBytes too large',
    ...fetchAt('offset=0&maxBytes=999999999'),
    status: 400,
    code: 'INVALID_FETCH_SIZE',
  },
  {
    name: 'maxWaitMs over 30 s',
    ...fetchAt('offset=0&maxWaitMs=30001'),
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'offset given twice',
    ...fetchAt('offset=0&offset=1'),
    status: 400,
    code: 'INVALID_REQUEST',
  },
  {
    name: 'unknown valueFormat',
    ...fetchAt('offset=0&valueFormat=yaml'),
    status: 400,
    code: 'INVALID_REQUEST',
  },
];

describe.each(TEST_DATABASE_KINDS)('bad input (%s)', (kind) => {
  let t: TestNode;
  let key: string;

  beforeAll(async () => {
    t = await startTestNode(kind);
    key = await t.tenant('bad');
    const created = await t.api.post('/v1/topics', {
      token: key,
      body: { name: 't', partitions: 2 },
    });
    expect(created.status).toBe(201);
  }, 60_000);
  afterAll(() => t.cleanup());

  test(`the table holds at least 30 cases (${CASES.length})`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
  });

  test.each(CASES)('$name -> $status $code', async (c) => {
    const token = c.who === 'operator' ? t.admin : c.who === 'tenant' ? key : undefined;
    const reply = await t.api.call(c.method, c.path, {
      token,
      ...(c.body === undefined ? {} : { body: c.body }),
      ...(c.raw === undefined ? {} : { raw: c.raw }),
      ...(c.contentType === undefined ? {} : { contentType: c.contentType }),
      ...(c.headers === undefined ? {} : { headers: c.headers }),
    });
    expect({ status: reply.status, code: reply.body?.code }).toEqual({
      status: c.status,
      code: c.code,
    });
    expect(reply.headers.get('content-type')).toContain('application/problem+json');
    expect(reply.body.requestId).toBe(reply.headers.get('x-request-id'));
  });

  test('nothing was written by the bad requests', async () => {
    const topic = await t.api.get('/v1/topics/t', { token: key });
    expect(topic.body.partitions.map((p: { highWatermark: number }) => p.highWatermark)).toEqual([
      0, 0,
    ]);
  });

  test('JSON nested to the limit is accepted; a deeper stored value is fetched as base64', async () => {
    const created = await t.api.post('/v1/topics', { token: key, body: { name: 'nesting' } });
    expect(created.status).toBe(201);
    const atLimit = nested(64);
    const tooDeep = nested(5000);
    const json = await t.api.post('/v1/topics/nesting/records', {
      token: key,
      raw: produceText(`"key":${atLimit},"value":${atLimit}`, '"keyFormat":"json",'),
    });
    expect(json.status).toBe(200);
    // As a string it is stored as is; shown as JSON it would overflow the answer's encoder.
    const text = await t.api.post('/v1/topics/nesting/records', {
      token: key,
      body: { valueFormat: 'string', records: [{ value: tooDeep }] },
    });
    expect(text.status).toBe(200);
    for (const method of ['GET', 'HEAD']) {
      const fetched = await t.api.call(method, '/v1/topics/nesting/partitions/0/records?offset=0', {
        token: key,
      });
      expect(fetched.status).toBe(200);
    }
    const fetched = await t.api.get(
      '/v1/topics/nesting/partitions/0/records?offset=0&keyFormat=json',
      {
        token: key,
      },
    );
    expect(fetched.body.records[0]).toMatchObject({
      key: JSON.parse(atLimit),
      value: JSON.parse(atLimit),
    });
    expect(fetched.body.records[1]).toMatchObject({
      value: Buffer.from(tooDeep).toString('base64'),
      valueFormat: 'binary',
    });
  });

  test('commit metadata may be any text but NUL, which the store cannot hold', async () => {
    const joined = await t.api.post('/v1/groups/meta/members', {
      token: key,
      body: { topics: ['t'] },
    });
    expect(joined.status).toBe(201);
    const commit = (metadata: string) =>
      t.api.post(`/v1/groups/meta/members/${joined.body.memberId}/commit`, {
        token: key,
        body: { offsets: [{ topic: 't', partition: 0, offset: 0, metadata }] },
      });
    const refused = await commit('a\u0000b');
    expect([refused.status, refused.body.code]).toEqual([400, 'INVALID_REQUEST']);
    const accepted = await commit('any text: tabs\t, line\nbreaks, 日本');
    expect(accepted.status).toBe(200);
  });

  test('a body over the limit is refused from its Content-Length before it is sent', async () => {
    const url = new URL(t.node.url);
    const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = http.request({
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: '/v1/topics/t/records',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          'content-length': String(64 * 1024 * 1024),
        },
      });
      request.on('response', (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      request.on('error', reject);
      request.write('{"records":['); // a few bytes of the promised 64 MiB, then nothing
    });
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body).code).toBe('RECORD_LIST_TOO_LARGE');
  });
});
