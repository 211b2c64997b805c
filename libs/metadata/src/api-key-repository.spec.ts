import { randomUUID } from 'node:crypto';
import { hashSecret } from './api-key-repository';
import { openTestStore, TEST_DATABASE_KINDS, type TestStore } from './test-databases';
import { type Tenant } from './types';

describe('hashSecret', () => {
  it('is sha256 in lowercase hex', () => {
    expect(hashSecret('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});

describe.each(TEST_DATABASE_KINDS)('ApiKeyRepository on %s', (kind) => {
  let t: TestStore;
  let tenant: Tenant;
  let other: Tenant;
  let n = 0;
  const secretHash = () => hashSecret(`secret-${kind}-${++n}`);

  beforeAll(async () => {
    t = await openTestStore(kind);
    tenant = await t.store.tenants.create({ name: 'keys' });
    other = await t.store.tenants.create({ name: 'other' });
  });
  afterAll(() => t.cleanup());

  it('creates a key with permissions and finds it by id and by secret hash', async () => {
    const permissions = [
      { operation: 'read', resource: 'topic', pattern: 'orders', patternType: 'literal' },
      { operation: 'write', resource: 'group', pattern: 'app-', patternType: 'prefixed' },
    ] as const;
    const hash = secretHash();
    const key = await t.store.apiKeys.create({
      tenantId: tenant.id,
      name: 'ci',
      secretHash: hash,
      permissions,
    });
    expect(key).toEqual({
      id: expect.any(String),
      tenantId: tenant.id,
      name: 'ci',
      secretHash: hash,
      permissions,
      createdAtMs: t.clock.nowMs(),
      revokedAtMs: null,
    });
    expect(await t.store.apiKeys.get(key.id)).toEqual(key);
    expect(t.store.cache.apiKey(key.id)).toEqual(key);
    expect(t.store.cache.activeApiKeyBySecretHash(hash)).toEqual(key);
    expect(await t.store.apiKeys.listByTenant(tenant.id)).toContainEqual(key);
    expect(await t.store.apiKeys.listByTenant(other.id)).not.toContainEqual(key);
  });

  it('defaults to no permissions (everything inside the tenant)', async () => {
    const key = await t.store.apiKeys.create({
      tenantId: tenant.id,
      name: 'all',
      secretHash: secretHash(),
    });
    expect(key.permissions).toEqual([]);
  });

  it.each([
    ['not an array', {}],
    [
      'an unknown operation',
      [{ operation: 'delete', resource: 'topic', pattern: 'a', patternType: 'literal' }],
    ],
    [
      'an unknown resource',
      [{ operation: 'read', resource: 'cluster', pattern: 'a', patternType: 'literal' }],
    ],
    [
      'an unknown pattern type',
      [{ operation: 'read', resource: 'topic', pattern: 'a', patternType: 'glob' }],
    ],
    [
      'an empty pattern',
      [{ operation: 'read', resource: 'topic', pattern: '', patternType: 'literal' }],
    ],
    [
      'an extra field',
      [{ operation: 'read', resource: 'topic', pattern: 'a', patternType: 'literal', x: 1 }],
    ],
    ['a missing field', [{ operation: 'read', resource: 'topic', pattern: 'a' }]],
  ])('refuses permissions that are %s', async (_case, permissions) => {
    await expect(
      t.store.apiKeys.create({
        tenantId: tenant.id,
        name: 'bad',
        secretHash: secretHash(),
        permissions: permissions as never,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('refuses an empty name, and keys of a tenant that does not exist', async () => {
    await expect(
      t.store.apiKeys.create({ tenantId: tenant.id, name: '', secretHash: secretHash() }),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    // NUL cannot be stored at all; the other controls and unpaired surrogates follow the name rule.
    for (const name of ['a\u0000b', 'a\nb', '\ud800', 'x'.repeat(256)]) {
      await expect(
        t.store.apiKeys.create({ tenantId: tenant.id, name, secretHash: secretHash() }),
      ).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    }
    await expect(
      t.store.apiKeys.create({
        tenantId: tenant.id,
        name: 'k',
        secretHash: secretHash(),
        permissions: [
          { operation: 'read', resource: 'group', pattern: 'g\u0000', patternType: 'prefixed' },
        ],
      }),
    ).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    for (const tenantId of [randomUUID(), 'nope']) {
      await expect(
        t.store.apiKeys.create({ tenantId, name: 'x', secretHash: secretHash() }),
      ).rejects.toMatchObject({ code: 'UNKNOWN_TENANT' });
    }
  });

  it('revokes at once, once, and only within the tenant', async () => {
    const hash = secretHash();
    const key = await t.store.apiKeys.create({ tenantId: tenant.id, name: 'r', secretHash: hash });
    expect(await t.store.apiKeys.revoke(other.id, key.id)).toBeUndefined();
    expect(t.store.cache.activeApiKeyBySecretHash(hash)).toEqual(key);

    t.clock.advance(5_000);
    const revoked = await t.store.apiKeys.revoke(tenant.id, key.id);
    expect(revoked).toEqual({ ...key, revokedAtMs: t.clock.nowMs() });
    expect(t.store.cache.activeApiKeyBySecretHash(hash)).toBeUndefined();
    expect(t.store.cache.apiKey(key.id)).toEqual(revoked);

    t.clock.advance(5_000);
    expect(await t.store.apiKeys.revoke(tenant.id, key.id)).toEqual(revoked);
    expect(await t.store.apiKeys.revoke(tenant.id, randomUUID())).toBeUndefined();
    expect(await t.store.apiKeys.revoke(tenant.id, 'nope')).toBeUndefined();
  });
});
