import { AssertionError } from '@tributary/common';
import { openTestStore, TEST_DATABASE_KINDS, type TestStore } from './test-databases';

describe.each(TEST_DATABASE_KINDS)('AuditRepository on %s', (kind) => {
  let t: TestStore;

  beforeAll(async () => {
    t = await openTestStore(kind);
  });
  afterAll(() => t.cleanup());

  it('appends entries and lists them newest first, a page at a time, with filters', async () => {
    const { audit } = t.store;
    const appended = [];
    for (let i = 0; i < 5; i++) {
      t.clock.advance(1);
      appended.push(
        await audit.append({
          actor: i % 2 === 0 ? 'operator' : 'key:1',
          action: 'topic.create',
          target: `tenant/acme/topic/t${i}`,
          detail: { i },
        }),
      );
    }
    expect(appended[0]).toEqual({
      id: expect.any(Number),
      atMs: t.clock.nowMs() - 4,
      actor: 'operator',
      action: 'topic.create',
      target: 'tenant/acme/topic/t0',
      detail: { i: 0 },
    });
    const newestFirst = [...appended].reverse();
    expect(await audit.list()).toEqual(newestFirst);
    const page1 = await audit.list({ limit: 2 });
    const page2 = await audit.list({ limit: 2, beforeId: page1.at(-1)!.id });
    expect([...page1, ...page2]).toEqual(newestFirst.slice(0, 4));
    expect((await audit.list({ actor: 'key:1' })).map((e) => e.target)).toEqual([
      'tenant/acme/topic/t3',
      'tenant/acme/topic/t1',
    ]);
    expect(await audit.list({ target: 'tenant/acme/topic/t2' })).toEqual([appended[2]]);
    await expect(audit.list({ limit: 0 })).rejects.toThrow(AssertionError);
    await expect(audit.list({ limit: 1_001 })).rejects.toThrow(AssertionError);
  });
});
