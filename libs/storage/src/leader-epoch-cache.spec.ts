import { writeCheckpoint } from './checkpoint-file';
import { LeaderEpochCache } from './leader-epoch-cache';
import { MemoryFileSystem } from './memory-file-system';

async function cache(): Promise<{ fs: MemoryFileSystem; c: LeaderEpochCache }> {
  const fs = new MemoryFileSystem();
  await fs.mkdir('/p');
  return { fs, c: new LeaderEpochCache(fs, '/p') };
}

describe('LeaderEpochCache', () => {
  it('answers end offsets per epoch as Kafka does', async () => {
    const { c } = await cache();
    c.assign(0, 0);
    c.assign(2, 10);
    c.assign(5, 30);
    expect(c.endOffsetFor(0, 50)).toEqual({ epoch: 0, endOffset: 10 });
    expect(c.endOffsetFor(1, 50)).toEqual({ epoch: 0, endOffset: 10 });
    expect(c.endOffsetFor(4, 50)).toEqual({ epoch: 2, endOffset: 30 });
    expect(c.endOffsetFor(5, 50)).toEqual({ epoch: 5, endOffset: 50 });
    expect(c.endOffsetFor(9, 50)).toEqual({ epoch: 5, endOffset: 50 });
  });

  it('refuses an epoch going backwards', async () => {
    const { c } = await cache();
    c.assign(3, 0);
    expect(c.assign(3, 10)).toBe(false);
    expect(() => c.assign(2, 20)).toThrow(/after epoch 3/);
  });

  it('truncates from the end and the start, and survives a checkpoint round trip', async () => {
    const { fs, c } = await cache();
    c.assign(1, 0);
    c.assign(2, 10);
    c.assign(3, 20);
    c.truncateFromEnd(20);
    c.truncateFromStart(5);
    expect(c.all()).toEqual([
      { epoch: 1, startOffset: 5 },
      { epoch: 2, startOffset: 10 },
    ]);
    await c.checkpoint();
    const again = new LeaderEpochCache(fs, '/p');
    expect(await again.load()).toBe(true);
    expect(again.all()).toEqual(c.all());
  });

  it('rejects malformed checkpoints', async () => {
    const { fs } = await cache();
    const cases: [string, string][] = [
      ['wrong version', '1\n1\n0 0\n'],
      ['count mismatch', '0\n2\n0 0\n'],
      ['not numbers', '0\n1\nx y\n'],
      ['epochs out of order', '0\n2\n3 0\n2 5\n'],
    ];
    for (const [name, text] of cases) {
      await fs.writeFileAtomic('/p/leader-epoch-checkpoint', Buffer.from(text));
      expect([name, await new LeaderEpochCache(fs, '/p').load()]).toEqual([name, false]);
    }
    await writeCheckpoint(fs, '/p/leader-epoch-checkpoint', [[4, 7]]);
    expect(await new LeaderEpochCache(fs, '/p').load()).toBe(true);
  });
});
