// What the disk does without the storage engine: the same chunks (one encoded 1000-record
// batch each) written back to back into one fresh file, in the loops the engine's cells are
// compared with. Each run ends with an untimed fdatasync so that no dirty pages spill into
// the next measurement. A loop compared with a cell of N appenders writes from N copies of the
// chunk in turn, as the cell does (each appender appends its own copy): 100 copies of a 1 MB
// batch do not stay in the CPU's cache the way one does, and the copy into the page cache
// runs at the speed of memory then.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assert } from '@tributary/common';

export type RawMode =
  /** writeSync per chunk, no sync: the page-cache bandwidth `replicated` is compared with. */
  | 'write'
  /** writeSync + fdatasyncSync per chunk: one sync per batch, as one `fsync` appender gets. */
  | 'write+fdatasync'
  /** writevSync of a group of chunks + one fdatasyncSync: what group commit can reach. */
  | 'writev-group+fdatasync'
  /** fs.promises FileHandle.write per chunk, no sync: adds the libuv thread-pool hop. */
  | 'fsp-write'
  /** fs.promises write + datasync per chunk. */
  | 'fsp-write+datasync';

export interface RawLimits {
  bytesMax: number;
  durationMs: number;
}

export interface RawRun {
  bytes: number;
  seconds: number;
  writes: number;
  syncs: number;
}

/**
 * One timed run of `mode`; `groupChunks` applies to the group mode only; `copies` is the number
 * of distinct copies of `chunk` written in turn (made before the clock starts).
 */
export async function rawWriteRun(
  dir: string,
  chunk: Buffer,
  mode: RawMode,
  groupChunks: number,
  limits: RawLimits,
  copies = 1,
): Promise<RawRun> {
  assert(chunk.length > 0 && groupChunks >= 1 && copies >= 1, 'bad raw write parameters');
  const file = path.join(dir, `raw-${process.hrtime.bigint()}.dat`);
  const chunks = Array.from({ length: copies }, () => Buffer.from(chunk));
  try {
    return mode.startsWith('fsp-')
      ? await asyncLoop(file, chunks, mode === 'fsp-write+datasync', limits)
      : syncLoop(file, chunks, mode, groupChunks, limits);
  } finally {
    fs.rmSync(file, { force: true });
  }
}

function syncLoop(
  file: string,
  chunks: readonly Buffer[],
  mode: RawMode,
  groupChunks: number,
  limits: RawLimits,
): RawRun {
  const size = chunks[0]!.length;
  const groupLength = mode === 'writev-group+fdatasync' ? groupChunks : 1;
  // Every group the loop writes, cycling through the copies.
  const groups = Array.from({ length: chunks.length }, (_, g) =>
    Array.from({ length: groupLength }, (_, i) => chunks[(g * groupLength + i) % chunks.length]!),
  );
  const groupBytes = size * groupLength;
  const sync = mode !== 'write';
  const fd = fs.openSync(file, 'wx+', 0o644);
  try {
    let bytes = 0;
    let writes = 0;
    let syncs = 0;
    const start = performance.now();
    let elapsedMs = 0;
    while (bytes < limits.bytesMax && elapsedMs < limits.durationMs) {
      const group = groups[writes % groups.length]!;
      const written =
        group.length === 1
          ? fs.writeSync(fd, group[0]!, 0, size, bytes)
          : fs.writevSync(fd, group, bytes);
      assert(written === groupBytes, 'short write on the raw file');
      bytes += written;
      writes += 1;
      if (sync) {
        fs.fdatasyncSync(fd);
        syncs += 1;
      }
      elapsedMs = performance.now() - start;
    }
    assert(fs.fstatSync(fd).size === bytes, 'raw file size does not match the bytes written');
    fs.fdatasyncSync(fd);
    return { bytes, seconds: elapsedMs / 1000, writes, syncs };
  } finally {
    fs.closeSync(fd);
  }
}

async function asyncLoop(
  file: string,
  chunks: readonly Buffer[],
  sync: boolean,
  limits: RawLimits,
): Promise<RawRun> {
  const handle = await fs.promises.open(file, 'wx+', 0o644);
  let bytes = 0;
  let writes = 0;
  let syncs = 0;
  const start = performance.now();
  let elapsedMs = 0;
  try {
    while (bytes < limits.bytesMax && elapsedMs < limits.durationMs) {
      const chunk = chunks[writes % chunks.length]!;
      const { bytesWritten } = await handle.write(chunk, 0, chunk.length, bytes);
      assert(bytesWritten === chunk.length, 'short write on the raw file');
      bytes += bytesWritten;
      writes += 1;
      if (sync) {
        await handle.datasync();
        syncs += 1;
      }
      elapsedMs = performance.now() - start;
    }
    assert((await handle.stat()).size === bytes, 'raw file size does not match the bytes written');
    await handle.datasync();
  } finally {
    await handle.close();
  }
  return { bytes, seconds: elapsedMs / 1000, writes, syncs };
}
