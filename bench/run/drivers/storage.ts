// The storage engine alone (a PartitionLog on the real disk, no HTTP, no JSON) and a raw
// sequential write of the same encoded batch, both from bench/storage; each run uses a fresh
// log or file in `rootDir`, which the parent puts on the data dir's file system.
import { LIMITS } from '@tributary/common';
import { encodeTemplate, runAppendCell } from '../../storage/append-bench';
import { rawWriteRun } from '../../storage/raw-disk';
import { type Driver, type DriverRun, type JobOf } from './driver';

export function storageAppend(job: JobOf<'storage-append'>): Driver {
  const template = encodeTemplate(job.valueBytes, job.batchRecords);
  const spec = {
    valueBytes: job.valueBytes,
    batchRecords: job.batchRecords,
    durability: job.durability,
    appenders: 1,
  };
  return {
    async run(durationMs): Promise<DriverRun> {
      const { append } = await runAppendCell(job.rootDir, spec, template, {
        bytesMax: job.bytesMax,
        durationMs,
        pendingAppendBytesMax: LIMITS.pendingAppendBytesMax,
      });
      return {
        records: append.records,
        bytes: append.bytes,
        seconds: append.seconds,
        errors: 0,
      };
    },
    close: async () => undefined,
  };
}

export function rawDisk(job: JobOf<'raw-disk'>): Driver {
  const template = encodeTemplate(job.valueBytes, job.batchRecords);
  return {
    async run(durationMs): Promise<DriverRun> {
      const run = await rawWriteRun(job.rootDir, template, job.mode, 1, {
        bytesMax: job.bytesMax,
        durationMs,
      });
      return {
        records: (run.bytes / template.length) * job.batchRecords,
        bytes: run.bytes,
        seconds: run.seconds,
        errors: 0,
      };
    },
    close: async () => undefined,
  };
}
