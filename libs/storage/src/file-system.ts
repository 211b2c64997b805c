// The file operations the log needs, behind one interface so that the same log code runs on
// the real disk and on an in-memory file system (tests, and crash simulation: MemoryFileSystem
// can drop every byte that was never covered by a datasync).

export interface FileHandle {
  /**
   * Reads up to `length` bytes at `position`; returns how many were read (0 at the end).
   * `cached`: this process wrote those bytes a moment ago, so they are in the page cache and
   * the implementation may copy them out on the calling thread.
   */
  read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    cached?: boolean,
  ): Promise<number>;
  /** Writes every byte of `buffers`, in order, starting at `position`. */
  writev(buffers: readonly Buffer[], position: number): Promise<void>;
  datasync(): Promise<void>;
  truncate(lengthBytes: number): Promise<void>;
  sizeBytes(): Promise<number>;
  close(): Promise<void>;
}

export interface FileSystem {
  /** Opens for reading and writing, creating the file when it is missing. */
  open(path: string): Promise<FileHandle>;
  readFileIfExists(path: string): Promise<Buffer | null>;
  /** Replaces a file so that a crash leaves either the old or the new content, never a mix. */
  writeFileAtomic(path: string, data: Buffer): Promise<void>;
  /** Creates a file only if it does not exist; returns false when it does. */
  createExclusive(path: string, data: Buffer): Promise<boolean>;
  mkdir(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  exists(path: string): Promise<boolean>;
  unlink(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Makes directory entries (created, renamed, removed files) durable. */
  syncDir(path: string): Promise<void>;
}

export function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
