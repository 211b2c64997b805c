import { HandlePool } from './handle-pool';
import { MemoryFileSystem } from './memory-file-system';

describe('HandlePool', () => {
  it('never keeps more files open than its bound, closing the least recently used', async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdir('/d');
    const pool = new HandlePool(fs, 3);
    for (let i = 0; i < 10; i++) {
      await pool.with(`/d/f${i}`, (h) => h.writev([Buffer.from([i])], 0));
      expect(pool.openCount).toBeLessThanOrEqual(3);
    }
    // Files closed by eviction reopen transparently with their data.
    const buf = Buffer.alloc(1);
    await pool.with('/d/f0', (h) => h.read(buf, 0, 1, 0));
    expect(buf[0]).toBe(0);
  });

  it('does not close a leased handle and refuses to exceed the bound when all are leased', async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdir('/d');
    const pool = new HandlePool(fs, 2);
    const a = await pool.acquire('/d/a');
    const b = await pool.acquire('/d/b');
    await expect(pool.acquire('/d/c')).rejects.toMatchObject({ code: 'BACKPRESSURE' });
    await a.handle.writev([Buffer.from('still open')], 0);
    a.release();
    const c = await pool.acquire('/d/c');
    expect(pool.openCount).toBe(2);
    b.release();
    c.release();
    expect(() => c.release()).toThrow(/twice/);
  });

  it('closes a forgotten file only after its last lease ends', async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdir('/d');
    const pool = new HandlePool(fs, 4);
    const lease = await pool.acquire('/d/x');
    pool.forget('/d/x');
    await lease.handle.writev([Buffer.from('ok')], 0);
    lease.release();
    await pool.closeAll();
    await expect(lease.handle.writev([Buffer.from('no')], 0)).rejects.toThrow(/closed/);
  });
});
