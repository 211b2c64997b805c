// One run of one append cell: a fresh LogManager and partition log in its own directory,
// N appenders each awaiting its own append in a loop until the cell's byte or time limit,
// hrtime around every append. Optionally the whole log is then read back (1 MiB fetches) and
// decoded. The file system is the real DiskFileSystem behind a pass-through that counts the
// writev and fdatasync calls on .log files, to show how group commit grouped the appends.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assert } from '@tributary/common';
import { decodeRecordBatches, encodeRecordBatch } from '@tributary/protocol';
import {
  DEFAULT_LOG_CONFIG,
  DiskFileSystem,
  type Durability,
  type FileHandle,
  type FileSystem,
  LogManager,
  type PartitionLog,
} from '@tributary/storage';
import { percentile } from '../common/stats';

export interface IoCounts {
  writes: number;
  syncs: number;
  /** Time from call to completion, summed (writes never overlap; a write may overlap a sync). */
  writeMs: number;
  syncMs: number;
}

const ZERO_IO: Readonly<IoCounts> = { writes: 0, syncs: 0, writeMs: 0, syncMs: 0 };

function timed(op: Promise<void>, add: (ms: number) => void): Promise<void> {
  const start = performance.now();
  return op.then(() => add(performance.now() - start));
}

class CountingHandle implements FileHandle {
  constructor(
    private readonly inner: FileHandle,
    private readonly counts: IoCounts,
  ) {}

  read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    cached?: boolean,
  ): Promise<number> {
    return this.inner.read(buffer, offset, length, position, cached);
  }

  writev(buffers: readonly Buffer[], position: number): Promise<void> {
    this.counts.writes += 1;
    return timed(this.inner.writev(buffers, position), (ms) => (this.counts.writeMs += ms));
  }

  datasync(): Promise<void> {
    this.counts.syncs += 1;
    return timed(this.inner.datasync(), (ms) => (this.counts.syncMs += ms));
  }

  truncate(lengthBytes: number): Promise<void> {
    return this.inner.truncate(lengthBytes);
  }

  sizeBytes(): Promise<number> {
    return this.inner.sizeBytes();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** DiskFileSystem, counting the writes and syncs of segment (.log) files. */
class CountingFileSystem implements FileSystem {
  readonly counts: IoCounts = { ...ZERO_IO };
  private readonly disk = new DiskFileSystem();

  async open(file: string): Promise<FileHandle> {
    const handle = await this.disk.open(file);
    return file.endsWith('.log') ? new CountingHandle(handle, this.counts) : handle;
  }
  readFileIfExists(file: string): Promise<Buffer | null> {
    return this.disk.readFileIfExists(file);
  }
  writeFileAtomic(file: string, data: Buffer): Promise<void> {
    return this.disk.writeFileAtomic(file, data);
  }
  createExclusive(file: string, data: Buffer): Promise<boolean> {
    return this.disk.createExclusive(file, data);
  }
  mkdir(dir: string): Promise<void> {
    return this.disk.mkdir(dir);
  }
  readdir(dir: string): Promise<string[]> {
    return this.disk.readdir(dir);
  }
  exists(file: string): Promise<boolean> {
    return this.disk.exists(file);
  }
  unlink(file: string): Promise<void> {
    return this.disk.unlink(file);
  }
  rmdir(dir: string): Promise<void> {
    return this.disk.rmdir(dir);
  }
  rename(from: string, to: string): Promise<void> {
    return this.disk.rename(from, to);
  }
  syncDir(dir: string): Promise<void> {
    return this.disk.syncDir(dir);
  }
}

/** One batch of `batchRecords` records with random (incompressible) values and no keys. */
export function encodeTemplate(valueBytes: number, batchRecords: number): Buffer {
  const records = Array.from({ length: batchRecords }, () => ({
    key: null,
    value: randomBytes(valueBytes),
  }));
  return encodeRecordBatch(records, { defaultTimestampMs: Date.now() });
}

export interface CellSpec {
  valueBytes: number;
  batchRecords: number;
  durability: Durability;
  appenders: number;
}

export interface AppendLimits {
  bytesMax: number;
  durationMs: number;
  /** Queued-append limit of the log manager; must exceed appenders x batch bytes. */
  pendingAppendBytesMax: number;
}

export interface AppendRun {
  records: number;
  bytes: number;
  appends: number;
  seconds: number;
  latencyMsP50: number;
  latencyMsP99: number;
  io: IoCounts;
}

export interface ReadRun {
  bytes: number;
  records: number;
  fetches: number;
  readSeconds: number;
  decodeSeconds: number;
}

/**
 * Runs one cell once. `template` is an encoded batch of `spec.batchRecords` records; each
 * appender gets its own copy, because append stamps offsets into the buffer in place and the
 * buffer is written after the call returns (it is free again once the append resolves).
 */
export async function runAppendCell(
  rootDir: string,
  spec: CellSpec,
  template: Buffer,
  limits: AppendLimits,
  readRuns = 0,
): Promise<{ append: AppendRun; reads: ReadRun[] }> {
  assert(spec.appenders * template.length < limits.pendingAppendBytesMax, 'pending limit too low');
  const dataDir = fs.mkdtempSync(path.join(rootDir, 'cell-'));
  const fileSystem = new CountingFileSystem();
  const manager = await LogManager.open({
    dataDir,
    fs: fileSystem,
    retentionCheckIntervalMs: 0,
    checkpointIntervalMs: 0,
    pendingAppendBytesMax: limits.pendingAppendBytesMax,
  });
  try {
    const log = await manager.openLog('bench-0', {
      ...DEFAULT_LOG_CONFIG,
      durability: spec.durability,
      flushIntervalMs: null,
    });
    Object.assign(fileSystem.counts, ZERO_IO); // opening the log wrote and synced too
    const append = await appendLoops(log, spec, template, limits);
    append.io = { ...fileSystem.counts };
    assert(log.logEndOffset === append.records, 'log end does not match the records appended');
    const reads: ReadRun[] = [];
    if (readRuns > 0) {
      await log.flush();
      for (let i = 0; i < readRuns; i++) reads.push(await readWholeLog(log));
    }
    return { append, reads };
  } finally {
    await manager.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function appendLoops(
  log: PartitionLog,
  spec: CellSpec,
  template: Buffer,
  limits: AppendLimits,
): Promise<AppendRun> {
  const latenciesMs: number[] = [];
  let bytes = 0;
  let appends = 0;
  let stop = false;
  let deadlineNs = 0n;
  const appender = async (batch: Buffer): Promise<void> => {
    while (!stop) {
      const before = process.hrtime.bigint();
      // The template came from encodeRecordBatch, as the gateway's batches do: its CRC is
      // ours, so the log need not hash every copy again (default: it does).
      await log.append(batch, log.leaderEpoch, { crcVerified: true });
      const after = process.hrtime.bigint();
      latenciesMs.push(Number(after - before) / 1e6);
      appends += 1;
      bytes += batch.length;
      if (bytes >= limits.bytesMax || after >= deadlineNs) stop = true;
    }
  };
  // Copied before the clock starts: first touches of fresh memory are slow in this VM.
  const batches = Array.from({ length: spec.appenders }, () => Buffer.from(template));
  const start = process.hrtime.bigint();
  deadlineNs = start + BigInt(Math.round(limits.durationMs * 1e6));
  await Promise.all(batches.map(appender));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const samples = Float64Array.from(latenciesMs);
  return {
    records: appends * spec.batchRecords,
    bytes,
    appends,
    seconds,
    latencyMsP50: percentile(samples, 50),
    latencyMsP99: percentile(samples, 99),
    io: { ...ZERO_IO },
  };
}

const FETCH_BYTES = 1024 * 1024;

/**
 * Reads the log from its start to the high watermark in 1 MiB fetches, timing the reads and,
 * separately, decodeRecordBatches on what each fetch returned. Checks that every offset comes
 * back exactly once, in order.
 */
async function readWholeLog(log: PartitionLog): Promise<ReadRun> {
  const end = log.highWatermark;
  assert(end === log.logEndOffset, 'high watermark below the log end after a flush');
  let offset = log.logStartOffset;
  let bytes = 0;
  let records = 0;
  let fetches = 0;
  let readNs = 0n;
  let decodeNs = 0n;
  while (offset < end) {
    const t0 = process.hrtime.bigint();
    const read = await log.read(offset, FETCH_BYTES);
    const t1 = process.hrtime.bigint();
    const batches = decodeRecordBatches(read.records);
    const t2 = process.hrtime.bigint();
    readNs += t1 - t0;
    decodeNs += t2 - t1;
    assert(batches[0]?.baseOffset === offset, () => `fetch at ${offset} started elsewhere`);
    for (const batch of batches) {
      assert(batch.baseOffset === offset, () => `gap or overlap at offset ${offset}`);
      offset += batch.records.length;
      records += batch.records.length;
    }
    assert(read.nextOffset === offset, 'nextOffset does not follow the last batch');
    bytes += read.records.length;
    fetches += 1;
  }
  assert(records === end - log.logStartOffset, 'records read do not match the log');
  return {
    bytes,
    records,
    fetches,
    readSeconds: Number(readNs) / 1e9,
    decodeSeconds: Number(decodeNs) / 1e9,
  };
}
