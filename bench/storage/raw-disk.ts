// What the disk does without the storage engine: the same chunks (one encoded 1000-record
// batch each) written back to back into one fresh file, in the loops the engine's cells are
// compared with. Each run ends with an untimed fdatasync so that no dirty pages spill into
// the next measurement.
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

/** One timed run of `mode`; `groupChunks` applies to the group mode only. */
export async function rawWriteRun(
  dir: string,
  chunk: Buffer,
  mode: RawMode,
  groupChunks: number,
  limits: RawLimits,
): Promise<RawRun> {
  assert(chunk.length > 0 && groupChunks >= 1, 'bad raw write parameters');
  const file = path.join(dir, `raw-${process.hrtime.bigint()}.dat`);
  try {
    return mode.startsWith('fsp-')
      ? await asyncLoop(file, chunk, mode === 'fsp-write+datasync', limits)
      : syncLoop(file, chunk, mode, groupChunks, limits);
  } finally {
    fs.rmSync(file, { force: true });
  }
}

function syncLoop(
  file: string,
  chunk: Buffer,
  mode: RawMode,
  groupChunks: number,
  limits: RawLimits,
): RawRun {
  const group =
    mode === 'writev-group+fdatasync' ? new Array<Buffer>(groupChunks).fill(chunk) : [chunk];
  const groupBytes = chunk.length * group.length;
  const sync = mode !== 'write';
  const fd = fs.openSync(file, 'wx+', 0o644);
  try {
    let bytes = 0;
    let writes = 0;
    let syncs = 0;
    const start = performance.now();
    let elapsedMs = 0;
    while (bytes < limits.bytesMax && elapsedMs < limits.durationMs) {
      const written =
        group.length === 1
          ? fs.writeSync(fd, chunk, 0, chunk.length, bytes)
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
  chunk: Buffer,
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
