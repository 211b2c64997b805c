// The in-memory file system's own promises: what a write lands, what a sync makes durable.
import { MemoryFileSystem } from './memory-file-system';

const fill = (bytes: number, value: number) => Buffer.alloc(bytes, value);

describe('MemoryFileSystem', () => {
  it('keeps every buffer of a writev that grows the file past its capacity', async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdir('/d');
    const handle = await fs.open('/d/f');
    await handle.writev([fill(3000, 1), fill(3000, 2), fill(3000, 3)], 0);
    const expected = Buffer.concat([fill(3000, 1), fill(3000, 2), fill(3000, 3)]);
    expect(fs.rawFile('/d/f')!.equals(expected)).toBe(true);
  });

  it('makes durable only what was written before a sync started, and never goes back', async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdir('/d');
    const handle = await fs.open('/d/f');
    await handle.writev([fill(10, 1)], 0);
    let release!: () => void;
    fs.onSync = () => new Promise<void>((resolve) => (release = resolve));
    const slow = handle.datasync();
    fs.onSync = undefined;
    await handle.writev([fill(10, 2)], 10);
    await handle.datasync(); // starts after the second write and ends first
    expect(fs.durableFile('/d/f')!.length).toBe(20);
    release();
    await slow;
    expect(fs.durableFile('/d/f')!.length).toBe(20);
    fs.crash();
    expect(fs.rawFile('/d/f')!.length).toBe(20);
  });

  it('lets a write or sync held across a power cut fail instead of landing', async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdir('/d');
    const handle = await fs.open('/d/f');
    let release!: () => void;
    fs.onWrite = () => new Promise<void>((resolve) => (release = resolve));
    const write = handle.writev([fill(10, 1)], 0);
    fs.crash();
    release();
    await expect(write).rejects.toThrow(/power was cut/);
    expect(fs.rawFile('/d/f')!.length).toBe(0);
  });
});
