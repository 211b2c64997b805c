// One process per data dir. The lock file holds the owner's pid; a lock left by a process that
// no longer exists (killed, crashed) is taken over, one held by a live process is refused.
import * as path from 'node:path';
import { type FileSystem } from './file-system';

export const LOCK_FILE = '.lock';
const heldInThisProcess = new Set<string>();

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly ownerPid: number,
  ) {
    super(
      `data dir ${dataDir} is in use by process ${ownerPid}; stop it or choose another DATA_DIR`,
    );
    this.name = 'DataDirLockedError';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function lockDataDir(fs: FileSystem, dataDir: string): Promise<() => Promise<void>> {
  const key = path.resolve(dataDir);
  const file = path.join(key, LOCK_FILE);
  await fs.mkdir(key);
  if (heldInThisProcess.has(key)) throw new DataDirLockedError(key, process.pid);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await fs.createExclusive(file, Buffer.from(`${process.pid}\n`))) {
      heldInThisProcess.add(key);
      return async () => {
        heldInThisProcess.delete(key);
        await fs.unlink(file);
      };
    }
    const owner = Number((await fs.readFileIfExists(file))?.toString('utf8').trim());
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
      throw new DataDirLockedError(key, owner);
    }
    // Stale: its owner is gone. Remove it and race for it again.
    await fs.unlink(file);
  }
  throw new DataDirLockedError(key, -1);
}
