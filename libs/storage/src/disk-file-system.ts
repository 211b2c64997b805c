import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { type FileHandle, type FileSystem, isNotFound } from './file-system';

/**
 * Writes of at most this many bytes are made from the calling thread (a copy into the page
 * cache: well under a millisecond) instead of through libuv's threadpool, whose hand-off
 * costs more than such a copy; larger writes still leave the event loop free. Syncs always go
 * through the threadpool: they wait on the device.
 */
export const SYNC_WRITE_BYTES_MAX = 1024 * 1024;
/** Reads of bytes known to be in the page cache, up to this size, are made the same way. */
export const SYNC_READ_BYTES_MAX = 1024 * 1024;

class DiskFileHandle implements FileHandle {
  constructor(private readonly handle: fsp.FileHandle) {}

  async read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    cached = false,
  ): Promise<number> {
    if (cached && length <= SYNC_READ_BYTES_MAX) {
      return fs.readSync(this.handle.fd, buffer, offset, length, position);
    }
    const { bytesRead } = await this.handle.read(buffer, offset, length, position);
    return bytesRead;
  }

  async writev(buffers: readonly Buffer[], position: number): Promise<void> {
    let pending = buffers.filter((b) => b.length > 0);
    let at = position;
    const inline = pending.reduce((sum, b) => sum + b.length, 0) <= SYNC_WRITE_BYTES_MAX;
    // writev may write fewer bytes than asked; carry on from where it stopped.
    while (pending.length > 0) {
      const bytesWritten = inline
        ? fs.writevSync(this.handle.fd, pending, at)
        : (await this.handle.writev(pending, at)).bytesWritten;
      at += bytesWritten;
      let skip = bytesWritten;
      const rest: Buffer[] = [];
      for (const buffer of pending) {
        if (skip >= buffer.length) {
          skip -= buffer.length;
        } else {
          rest.push(skip > 0 ? buffer.subarray(skip) : buffer);
          skip = 0;
        }
      }
      pending = rest;
    }
  }

  datasync(): Promise<void> {
    return this.handle.datasync();
  }

  truncate(lengthBytes: number): Promise<void> {
    return this.handle.truncate(lengthBytes);
  }

  async sizeBytes(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

export class DiskFileSystem implements FileSystem {
  async open(file: string): Promise<FileHandle> {
    // O_RDWR | O_CREAT without O_APPEND: writes are positional.
    const flags = fs.constants.O_RDWR | fs.constants.O_CREAT;
    return new DiskFileHandle(await fsp.open(file, flags, 0o644));
  }

  async readFileIfExists(file: string): Promise<Buffer | null> {
    try {
      return await fsp.readFile(file);
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async writeFileAtomic(file: string, data: Buffer): Promise<void> {
    const tmp = `${file}.tmp`;
    const handle = await fsp.open(tmp, 'w', 0o644);
    try {
      await handle.writeFile(data);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await fsp.rename(tmp, file);
    await this.syncDir(path.dirname(file));
  }

  async createExclusive(file: string, data: Buffer): Promise<boolean> {
    try {
      await fsp.writeFile(file, data, { flag: 'wx', mode: 0o644 });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
  }

  async mkdir(dir: string): Promise<void> {
    await fsp.mkdir(dir, { recursive: true });
  }

  readdir(dir: string): Promise<string[]> {
    return fsp.readdir(dir);
  }

  async exists(file: string): Promise<boolean> {
    try {
      await fsp.stat(file);
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async unlink(file: string): Promise<void> {
    try {
      await fsp.unlink(file);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  async rmdir(dir: string): Promise<void> {
    await fsp.rm(dir, { recursive: true, force: true });
  }

  rename(from: string, to: string): Promise<void> {
    return fsp.rename(from, to);
  }

  async syncDir(dir: string): Promise<void> {
    const handle = await fsp.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}
