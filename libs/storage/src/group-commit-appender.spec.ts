import { GroupCommitAppender } from './group-commit-appender';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('GroupCommitAppender', () => {
  it('coalesces appends made in the same turn into one group, in order', async () => {
    const groups: number[][] = [];
    const appender = new GroupCommitAppender<number>(
      async (items) => {
        groups.push(items);
      },
      { pendingBytesMax: 1000, groupBytesMax: 1000 },
    );
    await Promise.all([1, 2, 3, 4, 5].map((n) => appender.enqueue(n, 10)));
    expect(groups).toEqual([[1, 2, 3, 4, 5]]);
  });

  it('gathers appends that arrive during a write into the next group', async () => {
    const groups: number[][] = [];
    const gate = deferred();
    const appender = new GroupCommitAppender<number>(
      async (items) => {
        groups.push(items);
        if (groups.length === 1) await gate.promise;
      },
      { pendingBytesMax: 1000, groupBytesMax: 1000 },
    );
    const first = appender.enqueue(1, 10);
    await new Promise((r) => setImmediate(r));
    const later = [2, 3, 4].map((n) => appender.enqueue(n, 10));
    gate.resolve();
    await Promise.all([first, ...later]);
    expect(groups).toEqual([[1], [2, 3, 4]]);
  });

  it('splits groups at the group byte bound', async () => {
    const groups: number[][] = [];
    const appender = new GroupCommitAppender<number>(
      async (items) => {
        groups.push(items);
      },
      { pendingBytesMax: 1000, groupBytesMax: 25 },
    );
    await Promise.all([1, 2, 3, 4, 5].map((n) => appender.enqueue(n, 10)));
    expect(groups).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('refuses appends past the pending byte bound with a retriable error', async () => {
    const appender = new GroupCommitAppender<number>(async () => undefined, {
      pendingBytesMax: 25,
      groupBytesMax: 1000,
    });
    const ok = [appender.enqueue(1, 10), appender.enqueue(2, 10)];
    expect(() => appender.enqueue(3, 10)).toThrow(
      expect.objectContaining({ code: 'BACKPRESSURE', retriable: true }),
    );
    await Promise.all(ok);
    await expect(appender.enqueue(4, 10)).resolves.toBeUndefined();
  });

  it('fails the group and everything after a write error, then stays failed', async () => {
    const appender = new GroupCommitAppender<number>(
      async () => {
        throw new Error('disk gone');
      },
      { pendingBytesMax: 1000, groupBytesMax: 1000 },
    );
    await expect(appender.enqueue(1, 10)).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    expect(() => appender.checkCapacity(1)).toThrow(/offline/);
    expect(appender.pendingByteCount).toBe(0);
  });

  it('runs exclusive steps between groups, in queue order', async () => {
    const events: string[] = [];
    const appender = new GroupCommitAppender<number>(
      async (items) => {
        events.push(`write ${items.join(',')}`);
      },
      { pendingBytesMax: 1000, groupBytesMax: 1000 },
    );
    const a = appender.enqueue(1, 1);
    const x = appender.exclusive(async () => events.push('exclusive'));
    const b = appender.enqueue(2, 1);
    await Promise.all([a, x, b, appender.idle()]);
    expect(events).toEqual(['write 1', 'exclusive', 'write 2']);
  });
});
