// Tributary over HTTP (and the raw node:http ceiling): closed-loop produce with the same loop
// as bench/http, and catch-up reads of every partition from offset 0 to the high watermark.
import { fetchAll, recordsBody } from '../../common/tributary-http';
import { ClosedLoop } from '../../http/load';
import { caughtUp, type Driver, type DriverRun, type JobOf } from './driver';

export function httpProduce(job: JobOf<'http-produce'>): Driver {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (job.key !== undefined) headers.authorization = `Bearer ${job.key}`;
  const load = new ClosedLoop(
    {
      origin: job.origin,
      method: 'POST',
      path: job.path,
      headers,
      body: recordsBody(job.batch, job.messageBytes),
      connections: job.concurrency,
    },
    job.batch,
  );
  return {
    async run(durationMs): Promise<DriverRun> {
      const result = await load.run(durationMs, job.recordsMax);
      const refused = Object.entries(result.statuses).filter(([status]) => !status.startsWith('2'));
      return {
        records: result.ok,
        bytes: result.ok * job.messageBytes,
        seconds: result.seconds,
        errors: result.errors,
        latency: result.latency,
        ...(refused.length === 0
          ? {}
          : { notes: [`answers: ${refused.map(([s, n]) => `${n} x ${s}`).join(', ')}`] }),
      };
    },
    close: () => load.close(),
  };
}

export function tributaryFetch(job: JobOf<'tributary-fetch'>): Driver {
  return {
    async run(): Promise<DriverRun> {
      const read = await fetchAll(job.origin, job.key, job.topic, job.partitions, job.fetchRecords);
      return {
        ...caughtUp(read.records, read.seconds, job),
        notes: [`${(read.bytes / read.records).toFixed(0)} B of JSON per record on the wire`],
      };
    },
    close: async () => undefined,
  };
}
