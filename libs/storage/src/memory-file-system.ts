import * as path from 'node:path';
import { type FileHandle, type FileSystem } from './file-system';

interface MemoryFile {
  data: Buffer;
  lengthBytes: number;
  /** Bumped by every change of the content. */
  version: number;
  /** Content as of the last datasync: what survives `crash()`. */
  durable: Buffer;
  /** The `version` that `durable` holds. */
  durableVersion: number;
}

function memoryFile(data: Buffer): MemoryFile {
  return {
    data,
    lengthBytes: data.length,
    version: 0,
    durable: Buffer.from(data),
    durableVersion: 0,
  };
}

function enoent(file: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`ENOENT: no such file, '${file}'`);
  error.code = 'ENOENT';
  return error;
}

class MemoryFileHandle implements FileHandle {
  private closed = false;

  constructor(
    private readonly fsys: MemoryFileSystem,
    private readonly file: MemoryFile,
    private readonly path: string,
  ) {}

  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    this.checkOpen();
    const held = this.fsys.onRead?.(this.path);
    if (held !== undefined) await held;
    const end = Math.min(this.file.lengthBytes, position + length);
    if (end <= position) return 0;
    this.file.data.copy(buffer, offset, position, end);
    return end - position;
  }

  async writev(buffers: readonly Buffer[], position: number): Promise<void> {
    this.checkOpen();
    const held = this.fsys.onWrite?.(this.path);
    if (held !== undefined) await this.fsys.surviving(held);
    let at = position;
    this.ensureCapacity(position + buffers.reduce((sum, b) => sum + b.length, 0));
    for (const buffer of buffers) {
      buffer.copy(this.file.data, at);
      at += buffer.length;
    }
    this.file.lengthBytes = Math.max(this.file.lengthBytes, at);
    this.file.version += 1;
  }

  /** Makes durable what was written before the call; a later write may not be covered. */
  async datasync(): Promise<void> {
    this.checkOpen();
    const version = this.file.version;
    const content = Buffer.from(this.file.data.subarray(0, this.file.lengthBytes));
    const held = this.fsys.onSync?.(this.path);
    if (held !== undefined) await this.fsys.surviving(held);
    // Syncs may overlap: one that finishes late must not bring back an older content.
    if (version < this.file.durableVersion) return;
    this.file.durable = content;
    this.file.durableVersion = version;
  }

  async truncate(lengthBytes: number): Promise<void> {
    this.checkOpen();
    this.ensureCapacity(lengthBytes);
    if (lengthBytes > this.file.lengthBytes) {
      this.file.data.fill(0, this.file.lengthBytes, lengthBytes);
    }
    this.file.lengthBytes = lengthBytes;
    this.file.version += 1;
  }

  async sizeBytes(): Promise<number> {
    this.checkOpen();
    return this.file.lengthBytes;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('EBADF: file handle is closed');
  }

  private ensureCapacity(bytes: number): void {
    if (bytes <= this.file.data.length) return;
    const grown = Buffer.alloc(Math.max(bytes, this.file.data.length * 2, 4096));
    this.file.data.copy(grown, 0, 0, this.file.lengthBytes);
    this.file.data = grown;
  }
}

/**
 * An in-memory file system. Directory entries are durable at once; file contents are durable
 * only up to the last datasync, and `crash()` throws away the rest, as a power cut would.
 */
export class MemoryFileSystem implements FileSystem {
  private readonly files = new Map<string, MemoryFile>();
  private readonly dirs = new Set<string>(['/']);
  private crashCount = 0;
  /**
   * Test hook, called when a handle write starts: it may throw (the write fails) or return a
   * promise, and the bytes land when it resolves.
   */
  onWrite: ((file: string) => void | Promise<void>) | undefined;
  /**
   * Test hook, called when a datasync starts: it may throw or return a promise; the content
   * written before the call becomes durable when it resolves.
   */
  onSync: ((file: string) => void | Promise<void>) | undefined;
  /** Test hook, called when a handle read starts: a returned promise holds the read. */
  onRead: ((file: string) => void | Promise<void>) | undefined;

  /** Waits for a held write or sync; one still held when the power is cut never happens. */
  async surviving(held: Promise<void>): Promise<void> {
    const crashes = this.crashCount;
    await held;
    if (this.crashCount !== crashes) throw new Error('EIO: the power was cut during the call');
  }

  async open(file: string): Promise<FileHandle> {
    const key = path.resolve(file);
    this.requireDir(path.dirname(key));
    let entry = this.files.get(key);
    if (entry === undefined) {
      entry = memoryFile(Buffer.alloc(0));
      this.files.set(key, entry);
    }
    return new MemoryFileHandle(this, entry, key);
  }

  async readFileIfExists(file: string): Promise<Buffer | null> {
    const entry = this.files.get(path.resolve(file));
    return entry === undefined ? null : Buffer.from(entry.data.subarray(0, entry.lengthBytes));
  }

  async writeFileAtomic(file: string, data: Buffer): Promise<void> {
    const key = path.resolve(file);
    this.requireDir(path.dirname(key));
    this.files.set(key, memoryFile(Buffer.from(data)));
  }

  async createExclusive(file: string, data: Buffer): Promise<boolean> {
    if (this.files.has(path.resolve(file))) return false;
    await this.writeFileAtomic(file, data);
    return true;
  }

  async mkdir(dir: string): Promise<void> {
    let current = path.resolve(dir);
    while (!this.dirs.has(current)) {
      this.dirs.add(current);
      current = path.dirname(current);
    }
  }

  async readdir(dir: string): Promise<string[]> {
    const key = path.resolve(dir);
    this.requireDir(key);
    const names = new Set<string>();
    for (const entry of [...this.files.keys(), ...this.dirs]) {
      if (entry !== key && path.dirname(entry) === key) names.add(path.basename(entry));
    }
    return [...names].sort();
  }

  async exists(file: string): Promise<boolean> {
    const key = path.resolve(file);
    return this.files.has(key) || this.dirs.has(key);
  }

  async unlink(file: string): Promise<void> {
    this.files.delete(path.resolve(file));
  }

  async rmdir(dir: string): Promise<void> {
    const key = path.resolve(dir);
    const inside = (entry: string) => entry === key || entry.startsWith(key + path.sep);
    for (const file of [...this.files.keys()]) if (inside(file)) this.files.delete(file);
    for (const d of [...this.dirs]) if (inside(d)) this.dirs.delete(d);
  }

  async rename(from: string, to: string): Promise<void> {
    const entry = this.files.get(path.resolve(from));
    if (entry === undefined) throw enoent(from);
    this.files.delete(path.resolve(from));
    this.files.set(path.resolve(to), entry);
  }

  async syncDir(dir: string): Promise<void> {
    this.requireDir(path.resolve(dir));
  }

  /** Simulates a power cut: every file falls back to its last synced content. */
  crash(): void {
    this.crashCount += 1;
    for (const entry of this.files.values()) {
      entry.data = Buffer.from(entry.durable);
      entry.lengthBytes = entry.durable.length;
    }
  }

  /** Test helper: direct access to a file's bytes (for corruption tests). */
  rawFile(file: string): Buffer | undefined {
    const entry = this.files.get(path.resolve(file));
    return entry?.data.subarray(0, entry.lengthBytes);
  }

  /** Test helper: the bytes of a file that would survive `crash()` now. */
  durableFile(file: string): Buffer | undefined {
    return this.files.get(path.resolve(file))?.durable;
  }

  private requireDir(dir: string): void {
    if (!this.dirs.has(dir)) throw enoent(dir);
  }
}
