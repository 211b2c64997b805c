// Operator and topic administration over real HTTP, against Postgres and embedded PGlite.
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { TEST_DATABASE_KINDS } from '@tributary/metadata';
import { logDir, type TestNode, startTestNode } from './harness';

async function exists(file: string): Promise<boolean> {
  return fsp.stat(file).then(
    () => true,
    () => false,
  );
}

describe.each(TEST_DATABASE_KINDS)('administration over HTTP (%s)', (kind) => {
  let t: TestNode;

  beforeAll(async () => {
    t = await startTestNode(kind);
  }, 60_000);
  afterAll(() => t.cleanup());

  test('the operator creates, lists, describes, updates and deletes tenants', async () => {
    const created = await t.api.post('/v1/admin/tenants', {
      token: t.admin,
      body: { name: 'tenant-a', quotas: { maxTopics: 5 } },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'tenant-a', quotas: { maxTopics: 5 } });
    const duplicate = await t.api.post('/v1/admin/tenants', {
      token: t.admin,
      body: { name: 'tenant-a' },
    });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.code).toBe('TENANT_ALREADY_EXISTS');
    const list = await t.api.get('/v1/admin/tenants', { token: t.admin });
    expect(list.body.tenants.map((x: { name: string }) => x.name)).toContain('tenant-a');
    const patched = await t.api.patch('/v1/admin/tenants/tenant-a', {
      token: t.admin,
      body: { quotas: { maxPartitions: 10 } },
    });
    expect(patched.body.quotas).toEqual({ maxPartitions: 10 });
    expect((await t.api.get('/v1/admin/tenants/tenant-a', { token: t.admin })).body.quotas).toEqual(
      {
        maxPartitions: 10,
      },
    );
    expect((await t.api.delete('/v1/admin/tenants/tenant-a', { token: t.admin })).status).toBe(204);
    const gone = await t.api.get('/v1/admin/tenants/tenant-a', { token: t.admin });
    expect(gone.status).toBe(404);
    expect(gone.body.code).toBe('UNKNOWN_TENANT');
  });

  test('a key is shown once, listed without its secret, and revoked at once', async () => {
    await t.api.post('/v1/admin/tenants', { token: t.admin, body: { name: 'keys' } });
    const created = await t.api.post('/v1/admin/tenants/keys/keys', {
      token: t.admin,
      body: { name: 'ci' },
    });
    expect(created.status).toBe(201);
    const { id, key } = created.body;
    expect(key).toMatch(/^trb_/);
    const listed = await t.api.get('/v1/admin/tenants/keys/keys', { token: t.admin });
    expect(listed.body.keys).toEqual([
      expect.objectContaining({ id, name: 'ci', revokedAt: null }),
    ]);
    expect(listed.text).not.toContain(key);
    expect((await t.api.get('/v1/topics', { token: key })).status).toBe(200);
    expect(
      (await t.api.delete(`/v1/admin/tenants/keys/keys/${id}`, { token: t.admin })).status,
    ).toBe(204);
    const after = await t.api.get('/v1/topics', { token: key });
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('UNAUTHENTICATED');
    expect(after.headers.get('www-authenticate')).toBe('Bearer');
    const unknown = await t.api.delete(
      '/v1/admin/tenants/keys/keys/00000000-0000-4000-8000-000000000000',
      {
        token: t.admin,
      },
    );
    expect(unknown.body.code).toBe('UNKNOWN_API_KEY');
  });

  test('the operator has no data-plane rights and a tenant key no operator rights', async () => {
    const key = await t.tenant('planes');
    const operatorOnData = await t.api.get('/v1/topics', { token: t.admin });
    expect(operatorOnData.status).toBe(403);
    expect(operatorOnData.body.code).toBe('FORBIDDEN');
    const tenantOnAdmin = await t.api.get('/v1/admin/tenants', { token: key });
    expect(tenantOnAdmin.status).toBe(403);
    expect((await t.api.get('/v1/admin/tenants', { token: 'trb_wrong-token-123456' })).status).toBe(
      401,
    );
    expect((await t.api.get('/v1/admin/tenants')).status).toBe(401);
  });

  test('scoped permissions: read-only and prefixed keys', async () => {
    const admin = await t.tenant('scoped');
    for (const name of ['logs.app', 'logs.db', 'billing']) {
      expect((await t.api.post('/v1/topics', { token: admin, body: { name } })).status).toBe(201);
    }
    const created = await t.api.post('/v1/admin/tenants/scoped/keys', {
      token: t.admin,
      body: {
        name: 'reader',
        permissions: [
          { operation: 'read', resource: 'topic', pattern: 'logs.', patternType: 'prefixed' },
        ],
      },
    });
    const reader = created.body.key as string;
    const listed = await t.api.get('/v1/topics', { token: reader });
    expect(listed.body.topics.map((x: { name: string }) => x.name)).toEqual([
      'logs.app',
      'logs.db',
    ]);
    expect(
      (await t.api.get('/v1/topics/logs.app/partitions/0/records?offset=0', { token: reader }))
        .status,
    ).toBe(200);
    const write = await t.api.post('/v1/topics/logs.app/records', {
      token: reader,
      body: { records: [{ value: 1 }] },
    });
    expect(write.status).toBe(403);
    expect((await t.api.get('/v1/topics/billing', { token: reader })).status).toBe(403);
    // No rights on a name: 403 whether or not it exists, so existence does not leak.
    expect((await t.api.get('/v1/topics/no-such', { token: reader })).status).toBe(403);
    expect(
      (await t.api.post('/v1/topics', { token: reader, body: { name: 'logs.new' } })).status,
    ).toBe(403);
  });

  test('topics: create, describe, alter configs, add partitions, delete with their data', async () => {
    const key = await t.tenant('topics');
    const created = await t.api.post('/v1/topics', {
      token: key,
      body: {
        name: 'events',
        partitions: 2,
        configs: { 'retention.ms': 3600000, durability: 'replicated' },
      },
    });
    expect(created.status).toBe(201);
    expect(created.body.partitions).toHaveLength(2);
    expect(created.body.configs).toMatchObject({
      'retention.ms': '3600000',
      durability: 'replicated',
    });
    expect(created.body.partitions[0]).toEqual({
      partition: 0,
      leader: 1,
      leaderEpoch: 0,
      replicas: [1],
      isr: [1],
      logStartOffset: 0,
      highWatermark: 0,
      logEndOffset: 0,
    });
    const altered = await t.api.patch('/v1/topics/events', {
      token: key,
      body: { partitions: 4, configs: { 'retention.ms': null, 'segment.bytes': '1048576' } },
    });
    expect(altered.status).toBe(200);
    expect(altered.body.partitions).toHaveLength(4);
    expect(altered.body.configs['retention.ms']).toBe('604800000');
    expect(altered.body.configs['segment.bytes']).toBe('1048576');
    const shrink = await t.api.patch('/v1/topics/events', { token: key, body: { partitions: 1 } });
    expect(shrink.body.code).toBe('INVALID_PARTITIONS');
    const produced = await t.api.post('/v1/topics/events/records', {
      token: key,
      body: { records: [{ value: 1, partition: 3 }] },
    });
    expect(produced.status).toBe(200);

    const tenantId = (await t.api.get('/v1/admin/tenants/topics', { token: t.admin })).body
      .id as string;
    const tenantLogs = path.join(logDir(t.dataDir), tenantId);
    expect((await fsp.readdir(tenantLogs)).length).toBe(4);
    expect((await t.api.delete('/v1/topics/events', { token: key })).status).toBe(204);
    expect(await fsp.readdir(tenantLogs)).toEqual([]);
    expect((await t.api.get('/v1/topics/events', { token: key })).status).toBe(404);
    // The name is free again, and the new topic starts empty.
    const again = await t.api.post('/v1/topics', { token: key, body: { name: 'events' } });
    expect(again.body.partitions[0].highWatermark).toBe(0);
  });

  test('offsets by earliest, latest and timestamp; delete-records moves the log start', async () => {
    const key = await t.tenant('offsets');
    await t.api.post('/v1/topics', { token: key, body: { name: 'timeline' } });
    const records = [1000, 2000, 3000, 4000].map((timestamp, i) => ({ value: i, timestamp }));
    await t.api.post('/v1/topics/timeline/records', { token: key, body: { records } });
    const at = async (spec: string) =>
      (await t.api.get(`/v1/topics/timeline/partitions/0/offsets?at=${spec}`, { token: key })).body;
    expect(await at('earliest')).toEqual({ partition: 0, offset: 0 });
    expect(await at('latest')).toEqual({ partition: 0, offset: 4 });
    expect(await at('2500')).toEqual({ partition: 0, offset: 2, timestamp: 3000 });
    expect(await at('9999')).toEqual({ partition: 0, offset: 4 });
    const deleted = await t.api.post('/v1/topics/timeline/partitions/0/delete-records', {
      token: key,
      body: { beforeOffset: 2 },
    });
    expect(deleted.body).toEqual({ partition: 0, logStartOffset: 2 });
    expect(await at('earliest')).toEqual({ partition: 0, offset: 2 });
    const below = await t.api.get('/v1/topics/timeline/partitions/0/records?offset=0', {
      token: key,
    });
    expect(below.status).toBe(416);
    expect(below.body).toMatchObject({ logStartOffset: 2, highWatermark: 4 });
  });

  test('count quotas answer 429 with Retry-After', async () => {
    const key = await t.tenant('small', { maxTopics: 1, maxPartitions: 3 });
    expect(
      (await t.api.post('/v1/topics', { token: key, body: { name: 'one', partitions: 2 } })).status,
    ).toBe(201);
    const second = await t.api.post('/v1/topics', { token: key, body: { name: 'two' } });
    expect(second.status).toBe(429);
    expect(second.body.code).toBe('QUOTA_EXCEEDED');
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
    const grow = await t.api.patch('/v1/topics/one', { token: key, body: { partitions: 4 } });
    expect(grow.status).toBe(429);
  });

  test('the produce byte-rate quota answers 429 with Retry-After once spent', async () => {
    const key = await t.tenant('slow', { produceBytesPerSec: 1000 });
    await t.api.post('/v1/topics', { token: key, body: { name: 'slow' } });
    const big = { records: [{ value: 'x'.repeat(3000) }] };
    expect((await t.api.post('/v1/topics/slow/records', { token: key, body: big })).status).toBe(
      200,
    );
    const throttled = await t.api.post('/v1/topics/slow/records', { token: key, body: big });
    expect(throttled.status).toBe(429);
    expect(throttled.body.code).toBe('QUOTA_EXCEEDED');
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(2);
  });

  test('the fetch byte-rate and storage quotas answer 429', async () => {
    const key = await t.tenant('capped', { fetchBytesPerSec: 500, maxStorageBytes: 5000 });
    await t.api.post('/v1/topics', { token: key, body: { name: 'capped' } });
    const big = { records: [{ value: 'y'.repeat(3000) }] };
    expect((await t.api.post('/v1/topics/capped/records', { token: key, body: big })).status).toBe(
      200,
    );
    expect((await t.api.post('/v1/topics/capped/records', { token: key, body: big })).status).toBe(
      200,
    );
    const full = await t.api.post('/v1/topics/capped/records', { token: key, body: big });
    expect(full.status).toBe(429);
    expect(full.body.detail).toContain('storage quota');
    const read = '/v1/topics/capped/partitions/0/records?offset=0';
    expect((await t.api.get(read, { token: key })).status).toBe(200);
    const throttled = await t.api.get(read, { token: key });
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  test('deleting a tenant removes its topics from disk', async () => {
    const key = await t.tenant('doomed');
    await t.api.post('/v1/topics', { token: key, body: { name: 'data', partitions: 2 } });
    await t.api.post('/v1/topics/data/records', { token: key, body: { records: [{ value: 1 }] } });
    const tenantId = (await t.api.get('/v1/admin/tenants/doomed', { token: t.admin })).body
      .id as string;
    const dir = path.join(logDir(t.dataDir), tenantId);
    expect((await fsp.readdir(dir)).length).toBe(2);
    expect((await t.api.delete('/v1/admin/tenants/doomed', { token: t.admin })).status).toBe(204);
    expect(await fsp.readdir(dir)).toEqual([]);
    expect((await t.api.get('/v1/topics', { token: key })).status).toBe(401);
  });

  test('the operator token is generated into DATA_DIR/admin-token with mode 0600', async () => {
    const stat = await fsp.stat(path.join(t.dataDir, 'admin-token'));
    expect(stat.mode & 0o777).toBe(0o600);
    expect((await fsp.readFile(path.join(t.dataDir, 'admin-token'), 'utf8')).trim()).toBe(t.admin);
    expect(await exists(path.join(t.dataDir, 'logs'))).toBe(true);
  });

  test('readyz answers 503 while the log directory cannot be written', async () => {
    const logs = logDir(t.dataDir);
    await fsp.rename(logs, `${logs}.away`);
    try {
      const down = await t.api.get('/readyz');
      expect(down.status).toBe(503);
      expect(down.body).toEqual({
        status: 'not ready',
        checks: { metadata: true, storage: false, coordination: true },
      });
    } finally {
      await fsp.rename(`${logs}.away`, logs);
    }
    expect((await t.api.get('/readyz')).status).toBe(200);
  });

  test('service routes: healthz, readyz, metrics, docs and openapi.json', async () => {
    expect((await t.api.get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await t.api.get('/readyz')).body).toEqual({
      status: 'ready',
      checks: { metadata: true, storage: true, coordination: true },
    });
    const metrics = await t.api.get('/metrics');
    expect(metrics.text).toContain('tributary_http_request_duration_seconds_bucket');
    expect(metrics.text).toMatch(
      /tributary_produce_records_total\{tenant="offsets",topic="timeline"\} 4/,
    );
    expect(metrics.text).toMatch(
      /tributary_log_size_bytes\{tenant="offsets",topic="timeline",partition="0"\} \d+/,
    );
    expect(metrics.text).toMatch(/tributary_partitions \d+/);
    const docs = await t.api.get('/docs');
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('swagger-ui');
    const openapi = await t.api.get('/openapi.json');
    expect(openapi.body.openapi).toBe('3.1.0');
    expect(openapi.body.paths['/v1/topics/{topic}/records']).toBeDefined();
  });
});
