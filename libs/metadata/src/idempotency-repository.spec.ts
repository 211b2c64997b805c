import { randomUUID } from 'node:crypto';
import { hashSecret } from './api-key-repository';
import { openTestStore, TEST_DATABASE_KINDS, type TestStore } from './test-databases';
import { type Tenant, type Topic } from './types';

const TTL_MS = 60_000;

describe.each(TEST_DATABASE_KINDS)('IdempotencyRepository on %s', (kind) => {
  let t: TestStore;
  let tenant: Tenant;
  let topic: Topic;
  let n = 0;
  const put = (key: string, response: unknown, requestHash = hashSecret('request')) =>
    t.store.idempotency.putIfAbsent({
      tenantId: tenant.id,
      topicId: topic.id,
      key,
      requestHash,
      response: response as never,
      ttlMs: TTL_MS,
    });

  beforeAll(async () => {
    t = await openTestStore(kind);
    tenant = await t.store.tenants.create({ name: 'idem' });
    ({ topic } = await t.store.topics.create({
      tenantId: tenant.id,
      name: 'orders',
      partitionCount: 1,
      replicationFactor: 1,
      nodeId: 0,
    }));
  });
  afterAll(() => t.cleanup());

  it('stores the first answer and returns it for a repeat', async () => {
    const key = `k${++n}`;
    const first = await put(key, { offsets: [{ partition: 0, offset: 1 }] });
    expect(first).toEqual({
      stored: true,
      record: {
        tenantId: tenant.id,
        topicId: topic.id,
        key,
        requestHash: hashSecret('request'),
        response: { offsets: [{ partition: 0, offset: 1 }] },
        createdAtMs: t.clock.nowMs(),
        expiresAtMs: t.clock.nowMs() + TTL_MS,
      },
    });
    const again = await put(key, { offsets: [{ partition: 0, offset: 2 }] }, hashSecret('other'));
    expect(again).toEqual({ stored: false, record: first.record });
    expect(await t.store.idempotency.get(tenant.id, topic.id, key)).toEqual(first.record);
  });

  it('forgets a record once it expires, and replaces it on the next put', async () => {
    const key = `k${++n}`;
    await put(key, 1);
    t.clock.advance(TTL_MS);
    expect(await t.store.idempotency.get(tenant.id, topic.id, key)).toBeUndefined();
    const replaced = await put(key, 2);
    expect(replaced).toMatchObject({ stored: true, record: { response: 2 } });
  });

  it('deletes expired records', async () => {
    const keys = [`k${++n}`, `k${++n}`];
    await put(keys[0]!, 'a');
    t.clock.advance(TTL_MS / 2);
    await put(keys[1]!, 'b');
    t.clock.advance(TTL_MS / 2);
    expect(await t.store.idempotency.deleteExpired()).toBeGreaterThanOrEqual(1);
    expect(await t.store.idempotency.get(tenant.id, topic.id, keys[1]!)).toBeDefined();
    t.clock.advance(TTL_MS);
    expect(await t.store.idempotency.deleteExpired()).toBeGreaterThanOrEqual(1);
    expect(await t.store.idempotency.deleteExpired()).toBe(0);
  });

  it('stores one of concurrent puts with the same key', async () => {
    const key = `k${++n}`;
    const results = await Promise.all([1, 2, 3].map((i) => put(key, i)));
    expect(results.filter((r) => r.stored)).toHaveLength(1);
    const winner = results.find((r) => r.stored)!.record;
    for (const r of results) expect(r.record).toEqual(winner);
  });

  it('refuses a bad key and an unknown topic', async () => {
    await expect(put('', 1)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(put('x'.repeat(256), 1)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    for (const topicId of [randomUUID(), 'nope']) {
      await expect(
        t.store.idempotency.putIfAbsent({
          tenantId: tenant.id,
          topicId,
          key: 'k',
          requestHash: hashSecret('r'),
          response: 1,
          ttlMs: TTL_MS,
        }),
      ).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    }
  });
});
