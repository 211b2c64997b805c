import { randomUUID } from 'node:crypto';
import { hashSecret } from './api-key-repository';
import { openTestStore, TEST_DATABASE_KINDS, type TestStore, soleReplicas } from './test-databases';

describe.each(TEST_DATABASE_KINDS)('TenantRepository on %s', (kind) => {
  let t: TestStore;
  let n = 0;
  const unique = (prefix: string) => `${prefix}-${++n}`;

  beforeAll(async () => {
    t = await openTestStore(kind);
  });
  afterAll(() => t.cleanup());

  it('creates, reads, lists and updates a tenant', async () => {
    const { tenants, cache } = t.store;
    const name = unique('acme');
    const created = await tenants.create({ name, quotas: { maxTopics: 10, fetchBytesPerSec: 0 } });
    expect(created).toEqual({
      id: expect.any(String),
      name,
      quotas: { maxTopics: 10, fetchBytesPerSec: 0 },
      createdAtMs: t.clock.nowMs(),
      updatedAtMs: t.clock.nowMs(),
    });
    expect(await tenants.get(created.id)).toEqual(created);
    expect(await tenants.getByName(name)).toEqual(created);
    expect((await tenants.list()).map((x) => x.name)).toContain(name);
    expect(cache.tenantByName(name)).toEqual(created);

    t.clock.advance(1_000);
    const updated = await tenants.setQuotas(created.id, { produceBytesPerSec: 1_048_576 });
    expect(updated.quotas).toEqual({ produceBytesPerSec: 1_048_576 });
    expect(updated.updatedAtMs).toBe(created.updatedAtMs + 1_000);
    expect(await tenants.get(created.id)).toEqual(updated);
    expect(cache.tenant(created.id)).toEqual(updated);
  });

  it('refuses a second tenant with the same name', async () => {
    const name = unique('dup');
    await t.store.tenants.create({ name });
    await expect(t.store.tenants.create({ name })).rejects.toMatchObject({
      name: 'BrokerError',
      code: 'TENANT_ALREADY_EXISTS',
      status: 409,
    });
  });

  it.each([
    ['empty', ''],
    ['upper case', 'Acme'],
    ['underscore', 'a_b'],
    ['dot', 'a.b'],
    ['64 characters', 'a'.repeat(64)],
    ['space', 'a b'],
  ])('refuses a tenant name with %s', async (_case, name) => {
    await expect(t.store.tenants.create({ name })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
  });

  it('accepts a 63-character name of [a-z0-9-]', async () => {
    const name = `${'a'.repeat(50)}-0123456789${n++}`.slice(0, 63);
    await expect(t.store.tenants.create({ name })).resolves.toMatchObject({ name });
  });

  it.each([
    ['an unknown quota', { maxWidgets: 1 }],
    ['a negative quota', { maxTopics: -1 }],
    ['a fractional quota', { maxTopics: 1.5 }],
    ['a string quota', { maxTopics: '1' }],
    ['an array', [1]],
  ])('refuses %s', async (_case, quotas) => {
    await expect(
      t.store.tenants.create({ name: unique('q'), quotas: quotas as never }),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('answers UNKNOWN_TENANT for a tenant that does not exist', async () => {
    for (const id of [randomUUID(), 'not-a-uuid']) {
      expect(await t.store.tenants.get(id)).toBeUndefined();
      await expect(t.store.tenants.setQuotas(id, {})).rejects.toMatchObject({
        code: 'UNKNOWN_TENANT',
      });
      await expect(t.store.tenants.delete(id)).rejects.toMatchObject({ code: 'UNKNOWN_TENANT' });
    }
  });

  it('deletes a tenant with its keys, topics and partitions, in the database and the cache', async () => {
    const { tenants, apiKeys, topics, cache } = t.store;
    const tenant = await tenants.create({ name: unique('gone') });
    const key = await apiKeys.create({
      tenantId: tenant.id,
      name: 'k',
      secretHash: hashSecret(`s-${tenant.id}`),
    });
    const { topic } = await topics.create({
      tenantId: tenant.id,
      name: 'orders',
      partitionCount: 2,
      replicationFactor: 1,
      replicas: soleReplicas(0, 2),
    });
    await tenants.delete(tenant.id);
    expect(await tenants.get(tenant.id)).toBeUndefined();
    expect(await apiKeys.get(key.id)).toBeUndefined();
    expect(await topics.get(topic.id)).toBeUndefined();
    expect(cache.tenant(tenant.id)).toBeUndefined();
    expect(cache.tenantByName(tenant.name)).toBeUndefined();
    expect(cache.apiKey(key.id)).toBeUndefined();
    expect(cache.activeApiKeyBySecretHash(key.secretHash)).toBeUndefined();
    expect(cache.topic(topic.id)).toBeUndefined();
    expect(cache.partitions(topic.id)).toEqual([]);
    await expect(tenants.create({ name: tenant.name })).resolves.toMatchObject({
      name: tenant.name,
    });
  });
});
