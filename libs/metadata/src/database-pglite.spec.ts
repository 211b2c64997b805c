// The embedded database as a standalone node opens it: an empty data dir is initialised (in a
// worker, whose memory goes back when it exits), migrated, and opened with the small buffer
// pool; a second open finds everything where the first left it and migrates nothing.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openDatabase } from './database';

describe('the embedded metadata database', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-pglite-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('initialises an empty data dir, then reopens it as it was', async () => {
    const first = await openDatabase({ dataDir });
    try {
      expect(first.kind).toBe('pglite');
      expect(first.migrations.applied.length).toBeGreaterThan(0);
      expect(fs.existsSync(path.join(dataDir, 'metadata', 'PG_VERSION'))).toBe(true);
      const [buffers] = await first.prisma.$queryRaw<
        { shared_buffers: string }[]
      >`SHOW shared_buffers`;
      expect(buffers?.shared_buffers).toBe('16MB');
      await first.prisma.$executeRaw`CREATE TABLE kept (n int)`;
      await first.prisma.$executeRaw`INSERT INTO kept VALUES (7)`;
    } finally {
      await first.close();
    }
    const second = await openDatabase({ dataDir });
    try {
      expect(second.migrations.applied).toEqual([]);
      expect(await second.prisma.$queryRaw`SELECT n FROM kept`).toEqual([{ n: 7 }]);
    } finally {
      await second.close();
    }
  }, 60_000);
});
